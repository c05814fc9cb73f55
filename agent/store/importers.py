"""Import of trajectories into the store: r1-computer-use JSONL and Deskhand's own JSONL export.

One design choice a reader must know: a file is imported in *one transaction*. Every line is
checked (JSON, types, action) before its rows are added; the first bad line aborts the import
with an error naming the line, the transaction is rolled back and the screenshot files written
so far are removed, so nothing of the file remains. With ``skip_bad`` bad lines are listed and
left out, and the rest is imported.

r1-computer-use (github.com/agentsea/r1-computer-use, ``data/comp_thoughts.jsonl``): one JSON
object per step with ``task``, ``image_before``, ``image_after``, ``action`` (JSON text
``{"name": ..., "parameters": {...}}``), ``thought``, ``bad_thought``, ``subtask``,
``bad_subtask``. Consecutive lines with the same task form one episode. The screenshot of a
step is ``image_before`` (a path relative to the file, or a URL fetched only with
``fetch_images``; otherwise the step is kept with ``image_missing`` and the URL in
``image_source``). ``thought`` is the step's reasoning; a non-empty ``bad_thought`` becomes a
``negative`` judgment (value 0, the bad thought in ``reasoning``, ``bad_subtask`` as comment)
for the reward model. Actions map onto Deskhand's vocabulary (DESIGN §3) like this:

=============  ====================================================================
r1 name        Deskhand action
=============  ====================================================================
move_mouse     move(x, y)
click          click(x, y, button); without x/y at the pointer (the last point moved to)
double_click   click(..., count=2), same rule for the position
drag_mouse     drag from the pointer to (x, y)
scroll         scroll(dy=clicks, default -3) at the pointer (else the screenshot's centre)
type_text      type(text)
press_key      key([key])
hot_key        key(keys); pyautogui's left/right variants (ctrlleft, ...) fold to ctrl, ...
exec           shell(cmd)
open_url       shell("xdg-open <url>") — Deskhand has no browser action; the shell opens it
=============  ====================================================================
"""

from __future__ import annotations

import io
import json
import shlex
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from agent.store import records
from agent.store.repo import Monitor, Store, action_fractions
from agent.store.schema import Episode, Judgment, Step
from agent.store.screens import ImageError
from models import actions

FORMATS = ("r1", "jsonl")
Progress = Callable[[int, int], None]
_PYAUTOGUI_SIDES = {"ctrlleft": "ctrl", "ctrlright": "ctrl", "altleft": "alt", "altright": "alt",
                    "shiftleft": "shift", "shiftright": "shift", "winleft": "win",
                    "winright": "win", "optionleft": "alt", "optionright": "alt"}


class ImportInputError(ValueError):
    """The file cannot be imported; the message names the file and line."""


class BadLine(ValueError):
    """One line is malformed (the message says how; the caller adds where)."""


@dataclass
class ImportSummary:
    episodes: int = 0
    steps: int = 0
    judgments: int = 0
    missing_images: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


class _Images:
    """Reads a step's image (local path or URL) and puts it into the store's screen files."""

    def __init__(self, store: Store, base: Path, fetch: bool) -> None:
        self.store, self.base, self.fetch = store, base, fetch
        self.created: list[tuple[str, str]] = []

    def read(self, ref: str | None) -> bytes | None:
        """The image bytes, or None when the image is missing (not fetched, absent, failed)."""
        if not ref:
            return None
        if ref.startswith(("http://", "https://")):
            if not self.fetch:
                return None
            try:
                with urllib.request.urlopen(ref, timeout=30) as response:
                    data: bytes = response.read()
                    return data
            except (urllib.error.URLError, OSError, ValueError):
                return None
        path = Path(ref.removeprefix("file://"))
        path = path if path.is_absolute() else self.base / path
        return path.read_bytes() if path.is_file() else None

    def put(self, data: bytes) -> dict[str, Any]:
        """Step columns of a stored image; raises ``BadLine`` if the bytes are no image."""
        try:
            image = self.store.screens.put(data)
        except ImageError as exc:
            raise BadLine(f"image: {exc}") from None
        if image.created:
            self.created.append((image.sha256, image.format))
        return {"screenshot_sha256": image.sha256, "screenshot_format": image.format,
                "screenshot_width": image.width, "screenshot_height": image.height}


def _image_size(data: bytes) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError) as exc:
        raise BadLine(f"image: not a readable image: {exc}") from None


def _json_object(text: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise BadLine(f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _opt_str(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadLine(f"field {name!r} must be a string, got {type(value).__name__}")
    return value


class _R1Reader:
    """Lines of an r1-computer-use file → episodes (consecutive same task) and steps."""

    def __init__(self, session: Session, images: _Images, summary: ImportSummary,
                 name: str) -> None:
        self.session, self.images, self.summary, self.name = session, images, summary, name
        self.episode: Episode | None = None
        self.cursor: tuple[int, int] | None = None

    def line(self, lineno: int, text: str) -> None:
        obj = _json_object(text)
        task = _opt_str(obj, "task")
        if not task.strip():
            raise BadLine("field 'task' is missing or empty")
        raw_action = obj.get("action")
        if isinstance(raw_action, str):
            call = _json_object(raw_action) if raw_action.strip() else {}
        elif isinstance(raw_action, dict):
            call, raw_action = raw_action, json.dumps(raw_action)
        else:
            raise BadLine(f"field 'action' must be JSON text or an object, got {raw_action!r}")
        texts = {k: _opt_str(obj, k) for k in ("thought", "bad_thought", "subtask",
                                                "bad_subtask", "image_before", "image_after")}
        new_episode = self.episode is None or self.episode.task != task
        cursor = None if new_episode else self.cursor
        data = self.images.read(texts["image_before"])
        size = _image_size(data) if data is not None else None
        action = r1_action(call, cursor, size)
        columns = self.images.put(data) if data is not None else {"image_missing": True}
        if new_episode:
            self.episode = Episode(task=task, status="done", source="import",
                                   source_ref=f"{self.name}:{lineno}")
            self.session.add(self.episode)
            self.summary.episodes += 1
        assert self.episode is not None
        self._add(lineno, action, raw_action, texts, columns, size)
        self.cursor = _pointer_after(action, cursor)

    def _add(self, lineno: int, action: actions.Action, raw_action: str,
             texts: dict[str, str], columns: dict[str, Any], size: tuple[int, int] | None) -> None:
        assert self.episode is not None
        action_json = actions.to_json(action)
        monitor = None
        if size is not None:
            monitor = Monitor(0, 0, size[0], size[1])
            columns.update(monitor_left=0, monitor_top=0, monitor_width=size[0],
                           monitor_height=size[1], monitor_scale=1.0)
        extra = {k: texts[k] for k in ("subtask", "bad_subtask", "image_after") if texts[k]}
        step = Step(index=len(self.episode.steps), outcome="executed", action=action_json,
                    reasoning=texts["thought"] or None,
                    raw_output=f"<think>{texts['thought']}</think><answer>{raw_action}</answer>",
                    image_source=texts["image_before"] or None, extra=extra or None,
                    **action_fractions(action_json, monitor), **columns)
        self.episode.steps.append(step)
        self.summary.steps += 1
        self.summary.missing_images += bool(columns.get("image_missing"))
        if texts["bad_thought"].strip():
            self.session.add(Judgment(episode=self.episode, step=step, kind="negative",
                                      value=0.0, reasoning=texts["bad_thought"],
                                      comment=texts["bad_subtask"] or None, source="import"))
            self.summary.judgments += 1


def _pointer_after(action: actions.Action, before: tuple[int, int] | None
                   ) -> tuple[int, int] | None:
    if isinstance(action, actions.Drag):
        return action.to_x, action.to_y
    if isinstance(action, (actions.Click, actions.Move, actions.Scroll)):
        return action.x, action.y
    return before


def r1_action(call: dict[str, Any], cursor: tuple[int, int] | None,
              size: tuple[int, int] | None = None) -> actions.Action:
    """Map one r1 ``{"name", "parameters"}`` call to a Deskhand action (see module docstring).

    >>> r1_action({"name": "click", "parameters": {"x": 5, "y": 7, "button": "left"}}, None)
    Click(x=5, y=7, button='left', count=1)
    >>> r1_action({"name": "scroll", "parameters": {"clicks": 2}}, (10, 20))
    Scroll(x=10, y=20, dx=0, dy=2)
    >>> r1_action({"name": "open_url", "parameters": {"url": "https://a.b/?q=1&r=2"}}, None)
    Shell(command="xdg-open 'https://a.b/?q=1&r=2'")
    """
    name, params = call.get("name"), call.get("parameters") or {}
    if not isinstance(params, dict):
        raise BadLine(f"action parameters must be an object, got {params!r}")

    def at() -> dict[str, Any]:
        if "x" in params and "y" in params and params["x"] is not None:
            return {"x": params["x"], "y": params["y"]}
        if cursor is not None:
            return {"x": cursor[0], "y": cursor[1]}
        raise BadLine(f"{name}: no x/y and no earlier pointer position in this episode")

    try:
        if name == "move_mouse":
            return actions.from_json({"type": "move", "x": params.get("x"), "y": params.get("y")})
        if name in ("click", "double_click"):
            return actions.from_json({"type": "click", **at(),
                                      "button": params.get("button") or "left",
                                      "count": 2 if name == "double_click" else 1})
        if name == "drag_mouse":
            if cursor is None:
                raise BadLine("drag_mouse: no earlier pointer position to drag from")
            return actions.from_json({"type": "drag", "x": cursor[0], "y": cursor[1],
                                      "to_x": params.get("x"), "to_y": params.get("y")})
        if name == "scroll":
            where = at() if cursor or "x" in params or size is None else {
                "x": size[0] // 2, "y": size[1] // 2}
            return actions.from_json({"type": "scroll", **where,
                                      "dy": params.get("clicks", -3)})
        if name == "type_text":
            return actions.from_json({"type": "type", "text": params.get("text")})
        if name == "press_key":
            return actions.from_json({"type": "key", "keys": [params.get("key")]})
        if name == "hot_key":
            keys = params.get("keys")
            if isinstance(keys, list):
                keys = [_PYAUTOGUI_SIDES.get(k, k) if isinstance(k, str) else k for k in keys]
            return actions.from_json({"type": "key", "keys": keys})
        if name == "exec":
            return actions.from_json({"type": "shell", "command": params.get("cmd")})
        if name == "open_url":
            url = params.get("url")
            if not isinstance(url, str) or not url.strip():
                raise BadLine("open_url: parameter 'url' must be a non-empty string")
            return actions.Shell(f"xdg-open {shlex.quote(url)}")
    except actions.ActionError as exc:
        raise BadLine(f"{name}: {exc}") from None
    raise BadLine(f"unknown action name {name!r}")


class _NativeReader:
    """Lines of Deskhand's own ``steps.jsonl`` export → the same episodes, steps, judgments."""

    def __init__(self, session: Session, images: _Images, summary: ImportSummary,
                 name: str) -> None:
        self.session, self.images, self.summary, self.name = session, images, summary, name
        self.episodes: dict[Any, Episode] = {}
        self.seen: set[tuple[Any, int]] = set()

    def line(self, lineno: int, text: str) -> None:
        obj = _json_object(text)
        if obj.get("format") != records.FORMAT:
            raise BadLine(f"field 'format' must be {records.FORMAT!r}, got {obj.get('format')!r}")
        try:
            key = obj["episode"]["key"]
            ep_fields = records.episode_from_json(obj["episode"])
            step_fields = records.step_from_json(obj["step"])
            judgments = [records.judgment_from_json(j, f"judgments[{i}]")
                         for i, j in enumerate(_list(obj, "judgments"))]
            whole = [records.judgment_from_json(j, f"episode_judgments[{i}]")
                     for i, j in enumerate(_list(obj, "episode_judgments"))]
        except (KeyError, TypeError) as exc:
            raise BadLine(f"missing field {exc}") from None
        except records.RecordError as exc:
            raise BadLine(str(exc)) from None
        if (key, step_fields["index"]) in self.seen:
            raise BadLine(f"step {step_fields['index']} of episode {key!r} appears twice")
        data = self.images.read(obj["step"].get("image"))
        if data is not None:
            step_fields.update(self.images.put(data))
        elif obj["step"].get("image") is not None or step_fields.get("image_missing"):
            step_fields["image_missing"] = True
        self.seen.add((key, step_fields["index"]))
        episode = self.episodes.get(key)
        if episode is None:
            ep_fields.update(source="import", source_ref=f"{self.name}:{lineno}")
            episode = self.episodes[key] = Episode(**ep_fields)
            self.session.add(episode)
            self.summary.episodes += 1
        step = Step(**step_fields)
        episode.steps.append(step)
        self.summary.steps += 1
        self.summary.missing_images += bool(step_fields.get("image_missing"))
        for fields in judgments:
            self.session.add(Judgment(episode=episode, step=step, **fields))
        for fields in whole:
            self.session.add(Judgment(episode=episode, step=None, **fields))
        self.summary.judgments += len(judgments) + len(whole)


def _list(obj: dict[str, Any], name: str) -> list[Any]:
    value = obj.get(name, [])
    if not isinstance(value, list):
        raise BadLine(f"field {name!r} must be a list, got {type(value).__name__}")
    return value


def import_file(store: Store, path: Path, fmt: str, *, skip_bad: bool = False,
                fetch_images: bool = False, progress: Progress | None = None) -> ImportSummary:
    """Import ``path`` (format ``r1`` or ``jsonl``) in one transaction; see module docstring."""
    if fmt not in FORMATS:
        raise ImportInputError(f"unknown import format {fmt!r} (known: {', '.join(FORMATS)})")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportInputError(f"cannot read {path}: {exc}") from None
    summary, images = ImportSummary(), _Images(store, path.parent, fetch_images)
    reader_type = _R1Reader if fmt == "r1" else _NativeReader
    try:
        with store.session() as session:
            reader = reader_type(session, images, summary, path.name)
            for lineno, text in enumerate(lines, 1):
                if text.strip():
                    try:
                        reader.line(lineno, text)
                    except BadLine as exc:
                        if not skip_bad:
                            raise ImportInputError(f"{path.name}: line {lineno}: {exc}") from None
                        summary.skipped.append((lineno, str(exc)))
                if progress:
                    progress(lineno, len(lines))
    except BaseException:
        referenced = store.referenced_images()
        for sha, image_format in images.created:
            if sha not in referenced:
                store.screens.remove(sha, image_format)
        raise
    return summary
