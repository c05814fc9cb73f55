"""One training example (``StepRecord``): a stored state, one candidate action and its label.

A record names its screenshot by path and content hash and knows the size the model family
resizes it to (``image_size``, by the family's own rule: the very size llama.cpp and torch both
get, see ``models.imaging``). The pixels are loaded and resized lazily by :meth:`image`, with a
small per-process cache, so a dataset of thousands of records costs no memory until used.

The design choice a reader must know: every point in a record (action, target, cursor) is in
*virtual-screen pixels*, the frame of the store and of ``models.actions``. A reward compares
the family parser's output (which converts the model's own frame to the screen) with these,
so no reward ever needs to know a model's coordinate convention.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from models import actions
from models.families.base import HistoryStep
from models.frames import Frame, Monitor


@dataclass(frozen=True)
class Target:
    """Where a right click lands, in screen pixels: a point with a radius, and/or a box.

    >>> Target(10, 10, 3.0).contains(12, 11), Target(10, 10, 3.0).contains(14, 10)
    (True, False)
    >>> Target(0, 0, 0.0, box=(20, 20, 40, 30)).contains(25, 25)
    True
    """

    x: float
    y: float
    radius: float
    box: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1 (inclusive)
    source: str = "click"  # click: an approved/corrected click; box: a widget box

    def in_box(self, x: float, y: float) -> bool:
        if self.box is None:
            return False
        x0, y0, x1, y1 = self.box
        return x0 <= x <= x1 and y0 <= y <= y1

    def contains(self, x: float, y: float) -> bool:
        """Inside the box, or within ``radius`` of the point."""
        return self.in_box(x, y) or (x - self.x) ** 2 + (y - self.y) ** 2 <= self.radius ** 2


@lru_cache(maxsize=32)
def _resized(path: str, width: int, height: int) -> np.ndarray:
    from agent.store.screens import load_rgb
    from models.imaging import resize_rgb

    image = resize_rgb(load_rgb(Path(path)), height, width)
    image.setflags(write=False)  # shared by every caller of the cache
    return image


@dataclass(frozen=True)
class StepRecord:
    """One labelled candidate action on one stored step."""

    key: str  # "<episode key>#<step index>/<candidate>": stable and unique in a dataset
    episode_key: str  # what the holdout split hashes
    episode_id: int
    step_id: int
    step_index: int
    family: str
    task: str
    screenshot_path: Path
    screenshot_sha256: str
    screenshot_size: tuple[int, int]  # (width, height) of the stored screenshot, physical px
    image_size: tuple[int, int]  # (width, height) the family resizes it to
    monitor: Monitor
    cursor: tuple[int, int] | None
    history: tuple[HistoryStep, ...]
    action: dict[str, Any]  # the candidate action (DESIGN §3 JSON, screen pixels)
    reasoning: str  # the reasoning that came with it (the actor's, or an imported bad thought)
    raw_output: str | None  # the actor's raw text, when the candidate is its own proposal
    label: float  # in [0, 1]
    label_source: str  # see learner.data.labels.Labelled.source
    reference_action: dict[str, Any] | None  # the action known to be right here, if any
    target: Target | None  # verifiable click target, if any

    def frame(self) -> Frame:
        """The coordinate frame the family's parser needs for this record."""
        return Frame(self.monitor, *self.image_size)

    def screenshot(self) -> np.ndarray:
        """The stored screenshot, ``[H, W, 3]`` uint8, full resolution."""
        from agent.store.screens import load_rgb

        return load_rgb(self.screenshot_path)

    def image(self) -> np.ndarray:
        """The screenshot resized by the family's rule, ``[h, w, 3]`` uint8 (read-only)."""
        return _resized(str(self.screenshot_path), *self.image_size)

    def history_text(self) -> tuple[str, ...]:
        """The earlier steps in words, oldest first."""
        return tuple(actions.describe(h.action) for h in self.history)

    def columns(self) -> dict[str, Any]:
        """Plain values for a dataset row, in the form ``learner.rewards`` reads."""
        t = self.target
        wrong = self.label <= 0.25 and self.label_source != "negative"
        return {
            "key": self.key,
            "family": self.family,
            "frame": frame_column(self.monitor, self.image_size),
            "cursor": list(self.cursor) if self.cursor else None,
            "action": json.dumps(self.action, sort_keys=True),
            "label": self.label,
            "reference_action": (json.dumps(self.reference_action, sort_keys=True)
                                 if self.reference_action else None),
            # the action the person said no to here (rejected, rated low, corrected away)
            "rejected_action": json.dumps(self.action, sort_keys=True) if wrong else None,
            "target": None if t is None else {
                "x": t.x, "y": t.y, "radius": t.radius,
                "box": list(t.box) if t.box is not None else None},
        }

    def content(self) -> dict[str, Any]:
        """Everything that defines the example (no database ids, no paths): hashed."""
        return {
            "key": self.key, "family": self.family, "task": self.task,
            "screenshot": self.screenshot_sha256, "screenshot_size": list(self.screenshot_size),
            "image_size": list(self.image_size),
            "monitor": [self.monitor.left, self.monitor.top, self.monitor.width,
                        self.monitor.height, self.monitor.scale],
            "cursor": list(self.cursor) if self.cursor else None,
            "history": [[actions.to_json(h.action), h.reasoning] for h in self.history],
            "action": self.action, "reasoning": self.reasoning, "raw_output": self.raw_output,
            "label": self.label, "label_source": self.label_source,
            "reference_action": self.reference_action,
            "target": None if self.target is None else [
                self.target.x, self.target.y, self.target.radius,
                list(self.target.box) if self.target.box else None, self.target.source],
        }


def frame_column(monitor: Monitor, image_size: tuple[int, int]) -> dict[str, Any]:
    """A frame as the plain mapping a dataset column holds (see ``learner.rewards``)."""
    return {"left": monitor.left, "top": monitor.top, "width": monitor.width,
            "height": monitor.height, "scale": monitor.scale,
            "image_width": image_size[0], "image_height": image_size[1]}


def content_hash(train: list[StepRecord], holdout: list[StepRecord]) -> str:
    """sha256 over every record's content, split by split, in key order.

    >>> content_hash([], []) == content_hash([], [])
    True
    """
    digest = hashlib.sha256()
    for split, records in (("train", train), ("holdout", holdout)):
        for record in sorted(records, key=lambda r: r.key):
            line = json.dumps([split, record.content()], sort_keys=True, ensure_ascii=True)
            digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def states(records: list[StepRecord], *, with_reference: bool = False) -> list[StepRecord]:
    """One record per stored step (its first candidate), in key order — the actor's prompts.

    ``with_reference``: only steps whose right action is known (verifiable rewards apply).
    """
    seen: set[int] = set()
    out = []
    for record in sorted(records, key=lambda r: r.key):
        if record.step_id in seen or (with_reference and record.reference_action is None):
            continue
        seen.add(record.step_id)
        out.append(record)
    return out
