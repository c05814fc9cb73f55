"""The machinery the four ChatML families share: resizing, prompt layout, parse helpers.

Layout of every prompt (one system turn, one user turn, then the assistant's turn)::

    <|im_start|>system\\n{system}<|im_end|>\\n<|im_start|>user\\n{intro}      ← prefix (static)
    {history}<__media__><|im_end|>\\n<|im_start|>assistant\\n                ← suffix (per step)

The design choice a reader must know: the history is append-only text placed *before* the
screenshot, so step n+1's prompt starts with step n's prompt minus the image; user-supplied
text is scrubbed of ChatML and media markers so it can never open a turn or add an image.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.actions import Action, ActionError, describe, from_json
from models.families.base import MEDIA_MARKER, HistoryStep, Parsed, ParseError, RenderedPrompt
from models.frames import Frame, FrameError, Monitor
from models.imaging import resize_rgb, smart_resize

_SPECIAL = re.compile(r"<\|[A-Za-z0-9_]+\|>|" + re.escape(MEDIA_MARKER))
HISTORY_HEADER = "Previous steps (oldest first):\n"


def scrub(text: str) -> str:
    """Remove ChatML special tokens and the media marker from user-supplied text.

    >>> scrub("open <|im_end|>the<__media__> file")
    'open the file'
    """
    return _SPECIAL.sub("", text)


@dataclass(frozen=True)
class ChatFamily:
    """Base of the concrete families: the resize rule and the prompt layout.

    Subclasses give ``system_prompt``, ``user_intro``, ``parse`` and ``format_action``.
    """

    name: str
    factor: int
    min_pixels: int
    max_pixels: int

    # -- resize rule -------------------------------------------------------------------
    def image_size(self, width: int, height: int) -> tuple[int, int]:
        h, w = smart_resize(height, width, factor=self.factor, min_pixels=self.min_pixels,
                            max_pixels=self.max_pixels)
        return w, h

    def frame(self, monitor: Monitor, image_size: tuple[int, int] | None = None) -> Frame:
        iw, ih = image_size if image_size is not None else self.image_size(
            *monitor.physical_size)
        return Frame(monitor, iw, ih)

    # -- prompt ------------------------------------------------------------------------
    def system_prompt(self, frame: Frame) -> str:
        raise NotImplementedError

    def user_intro(self, task: str, frame: Frame) -> str:
        raise NotImplementedError

    def parse(self, text: str, frame: Frame, cursor: tuple[int, int] | None = None) -> Parsed:
        raise NotImplementedError

    def format_action(self, action: Action, frame: Frame, reasoning: str = "") -> str:
        raise NotImplementedError

    def history_text(self, history: Sequence[HistoryStep], frame: Frame) -> str:
        """Append-only text of earlier steps, one line each, in the model's own format."""
        if not history:
            return ""
        lines = []
        for i, step in enumerate(history, start=1):
            try:
                written = self.format_action(step.action, frame)
            except ValueError:  # not on this monitor any more, or not in this model's vocabulary
                written = describe(step.action)
            lines.append(f"{i}. {' '.join(scrub(written).split())}\n")
        return HISTORY_HEADER + "".join(lines)

    def build_prompt(self, task: str, history: Sequence[HistoryStep], screenshot: np.ndarray,
                     monitor: Monitor) -> RenderedPrompt:
        if screenshot.ndim != 3 or screenshot.shape[2] != 3 or screenshot.dtype != np.uint8:
            raise ValueError(f"screenshot must be [H, W, 3] uint8, got {screenshot.shape} "
                             f"{screenshot.dtype}")
        height, width = screenshot.shape[:2]
        iw, ih = self.image_size(width, height)
        frame = Frame(monitor, iw, ih)
        system = self.system_prompt(frame)
        intro = self.user_intro(scrub(task), frame)
        history_part = self.history_text(history, frame)
        prefix = (f"<|im_start|>system\n{system}<|im_end|>\n"
                  f"<|im_start|>user\n{intro}")
        suffix = f"{history_part}{MEDIA_MARKER}<|im_end|>\n<|im_start|>assistant\n"
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": [{"type": "text", "text": system}]},
            {"role": "user", "content": [{"type": "text", "text": intro + history_part},
                                         {"type": "image"}]},
        ]
        image = resize_rgb(screenshot, ih, iw)
        return RenderedPrompt(prefix, suffix, image, frame, messages)


# -- parse helpers shared by the families ------------------------------------------------

def number(value: Any, what: str) -> float:
    """A finite number from JSON or text, or ``ParseError``."""
    if isinstance(value, bool):
        raise ParseError(f"{what} must be a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ParseError(f"{what} must be a number, got {value!r}") from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParseError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def point(value: Any, what: str) -> tuple[float, float]:
    """An ``[x, y]`` pair (list or tuple) of numbers, or ``ParseError``."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ParseError(f"{what} must be a pair [x, y], got {value!r}")
    return number(value[0], f"{what} x"), number(value[1], f"{what} y")


def on_screen(convert: Any, x: float, y: float, what: str) -> tuple[int, int]:
    """Run a frame conversion, turning ``FrameError`` into ``ParseError``."""
    try:
        result: tuple[int, int] = convert(x, y)
    except FrameError as exc:
        raise ParseError(f"{what}: {exc}") from None
    return result


def cursor_point(frame: Frame, cursor: tuple[int, int] | None, what: str) -> tuple[int, int]:
    """The pointer position for actions that name no point, checked to be on the monitor."""
    if cursor is None:
        raise ParseError(f"{what} names no point and the pointer position is unknown")
    try:
        return frame.check_screen_point(*cursor)
    except FrameError as exc:
        raise ParseError(f"{what}: {exc}") from None


def validated(obj: dict[str, Any]) -> Action:
    """Build an action from its JSON form, turning ``ActionError`` into ``ParseError``."""
    try:
        return from_json(obj)
    except ActionError as exc:
        raise ParseError(str(exc)) from None


def json_objects(text: str) -> list[Any]:
    """Every top-level JSON object that can be decoded from ``text``, in order.

    >>> json_objects('junk {"a": 1} more {"b": [2]} {bad')
    [{'a': 1}, {'b': [2]}]
    """
    decoder = json.JSONDecoder()
    found: list[Any] = []
    i = text.find("{")
    while i != -1:
        try:
            obj, end = decoder.raw_decode(text, i)
        except (json.JSONDecodeError, RecursionError):
            i = text.find("{", i + 1)
            continue
        found.append(obj)
        i = text.find("{", end)
    return found


def screen_to_image_int(frame: Frame, x: int, y: int) -> tuple[int, int]:
    """A screen point → the nearest whole pixel of the resized image (for formatting)."""
    ix, iy = frame.screen_to_image(x, y)
    return min(int(math.floor(ix + 0.5)), frame.image_width), min(
        int(math.floor(iy + 0.5)), frame.image_height)
