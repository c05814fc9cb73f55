"""The state channel: the practice app writes one JSON document, readers poll it.

The document (``STATE_VERSION`` 1)::

    {"version": 1, "seq": 7, "spec": {...ExerciseSpec.to_json()...},
     "window": {"title": "...", "box": [x, y, w, h]},
     "state": {...kind's plain state...}, "geometry": {"boxes": {...}, "numbers": {...}},
     "targets": {"button:Orange": [x, y, w, h]}, "solved": false, "details": "...",
     "last_press": {"widget": "button:Orange", "local": [5, 7], "global": [812, 300]}}

The one design choice a reader must know: every write is atomic (a temporary file in the same
folder, fsync, ``os.replace``), so a reader never sees half a document; ``seq`` grows by one
with every write, so a reader can wait for *a newer* state than the one it saw.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.practice.generators import make_exercise
from agent.practice.spec import ExerciseSpec, Geometry

STATE_VERSION = 1


def write_state(path: Path, document: dict[str, Any]) -> None:
    """Write the document to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_state(path: Path) -> dict[str, Any] | None:
    """The last document written, or None if there is none yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    document = json.loads(text)
    if not isinstance(document, dict):
        raise ValueError(f"{path} does not hold a practice state document")
    return document


def wait_for_state(path: Path, predicate: Callable[[dict[str, Any]], bool],
                   timeout: float = 20.0, poll: float = 0.05) -> dict[str, Any]:
    """Poll until a document satisfies ``predicate``; raise ``TimeoutError`` with the last one.

    >>> wait_for_state(Path("/nonexistent/state.json"), lambda d: True, timeout=0.1)
    Traceback (most recent call last):
    ...
    TimeoutError: no practice state satisfied the condition within 0.1 s; last: None
    """
    deadline = time.monotonic() + timeout
    last: dict[str, Any] | None = None
    while True:
        last = read_state(path)
        if last is not None and predicate(last):
            return last
        if time.monotonic() >= deadline:
            brief = None if last is None else {k: last.get(k) for k in ("seq", "state",
                                                                          "details")}
            raise TimeoutError(f"no practice state satisfied the condition within {timeout:g} s;"
                               f" last: {brief}")
        time.sleep(poll)


def spec_of(document: dict[str, Any]) -> ExerciseSpec:
    """The exercise a state document is about (regenerated from its kind and seed)."""
    spec = document["spec"]
    return make_exercise(str(spec["kind"]), int(spec["seed"]))


def geometry_of(document: dict[str, Any]) -> Geometry:
    return Geometry.from_json(document["geometry"])
