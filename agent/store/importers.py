"""Import of trajectories into the store: r1-computer-use JSONL and Deskhand's own JSONL export.

One design choice a reader must know: a file is imported in *one transaction*. Every line is
checked (UTF-8, JSON, values that fit the database, types, action, image) before its rows are
built (see ``import_input``); the first bad line aborts the import with an error naming the
line, the transaction is rolled back and the screenshot files written so far are removed, so
nothing of the file remains. With ``skip_bad`` bad lines are listed and left out (with the
images they had written), and the rest is imported.

Re-importing is noticed: each imported episode keeps the sha256 of its content
(``episodes.import_sha256``: its lines, without what an export or import changes by design —
episode keys, sources, image paths). An episode whose hash is already in the store (or
earlier in the same file) is skipped and reported, unless ``allow_duplicates``.

Images are read only from the imported file's folder or the folders in ``allow_outside`` (an
absolute path, ``../`` or a symlink pointing elsewhere is a bad line); URLs only with
``fetch_images`` (otherwise the step is kept with ``image_missing`` and the URL in
``image_source``). The r1 format and its action mapping are described in ``r1_format``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from agent.store import records
from agent.store.engine import StoreError
from agent.store.import_input import (
    BadLine,
    ImageSource,
    check_values,
    decode,
    image_size,
    parse_object,
    split_lines,
)
from agent.store.r1_format import TEXT_FIELDS, negative, pointer_after, r1_action
from agent.store.repo import Monitor, Store, action_fractions
from agent.store.schema import Episode, Judgment, Step
from models import actions

__all__ = ["FORMATS", "Duplicate", "ImportInputError", "ImportSummary", "import_file",
           "r1_action"]

FORMATS = ("r1", "jsonl")
Progress = Callable[[int, int], None]


class ImportInputError(ValueError):
    """The file cannot be imported; the message names the file and line."""


@dataclass(frozen=True)
class Duplicate:
    """An episode of the file that was already imported, so it was not imported again."""

    task: str
    lines: tuple[int, int]  # first and last line of the file
    of: str  # "episode 12", or "lines 3-9" of the same file

    def describe(self) -> str:
        return (f"lines {self.lines[0]}-{self.lines[1]} ({self.task[:60]!r}): already "
                f"imported as {self.of}")


@dataclass
class ImportSummary:
    episodes: int = 0
    steps: int = 0
    judgments: int = 0
    missing_images: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    duplicates: list[Duplicate] = field(default_factory=list)


class _Images:
    """Puts the lines' images into the store's screen files, and takes them back out again
    for a line that turns out bad or an episode that is a duplicate."""

    def __init__(self, store: Store, source: ImageSource) -> None:
        self.store, self.source = store, source
        self.created: list[tuple[str, str]] = []  # by the import so far
        self.line: list[tuple[str, str]] = []  # by the line being read

    def put(self, data: bytes) -> dict[str, Any]:
        """Step columns of a stored image; BadLine if the bytes are no (acceptable) image."""
        image_size(data)  # refuses bombs before anything is decoded
        try:
            image = self.store.screens.put(data)
        except Exception as exc:  # ImageError, or whatever Pillow raises on hostile bytes
            raise BadLine(f"image: not a readable image: {exc}") from None
        if image.created:
            self.line.append((image.sha256, image.format))
        return {"screenshot_sha256": image.sha256, "screenshot_format": image.format,
                "screenshot_width": image.width, "screenshot_height": image.height}

    def line_done(self, ok: bool) -> list[tuple[str, str]]:
        """End of a line: its files are kept (returned) or removed."""
        made, self.line = self.line, []
        if ok:
            self.created += made
            return made
        self.remove(made)
        return []

    def remove(self, files: Sequence[tuple[str, str]]) -> None:
        for sha, image_format in files:
            self.store.screens.remove(sha, image_format)
            if (sha, image_format) in self.created:
                self.created.remove((sha, image_format))


@dataclass
class _Pending:
    """An episode being read: its rows (not yet in the session) and its content hash."""

    episode: Episode
    first: int
    last: int
    digest: Any = field(default_factory=hashlib.sha256)
    files: list[tuple[str, str]] = field(default_factory=list)
    steps: int = 0
    judgments: int = 0
    missing: int = 0

    def add_content(self, content: Any) -> None:
        self.digest.update(json.dumps(content, sort_keys=True, ensure_ascii=False).encode())
        self.digest.update(b"\n")


class _Import:
    """What both readers share: the session, the images, the summary and the known hashes."""

    def __init__(self, session: Session, images: _Images, summary: ImportSummary, name: str,
                 allow_duplicates: bool) -> None:
        self.session, self.images, self.summary, self.name = session, images, summary, name
        self.allow_duplicates = allow_duplicates
        rows = session.execute(select(Episode.import_sha256, Episode.id)
                               .where(Episode.import_sha256.is_not(None))).all()
        self.known = {sha: f"episode {ident}" for sha, ident in rows}

    def finish(self, pending: _Pending) -> None:
        """Add the episode to the session, or drop it (and its new files) as a duplicate."""
        sha = pending.digest.hexdigest()
        seen = self.known.get(sha)
        if seen is not None and not self.allow_duplicates:
            self.summary.duplicates.append(Duplicate(pending.episode.task,
                                                     (pending.first, pending.last), seen))
            self.images.remove(pending.files)
            return
        self.known.setdefault(sha, f"lines {pending.first}-{pending.last} of this file")
        pending.episode.import_sha256 = sha
        self.session.add(pending.episode)
        self.summary.episodes += 1
        self.summary.steps += pending.steps
        self.summary.judgments += pending.judgments
        self.summary.missing_images += pending.missing


def _opt_str(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadLine(f"field {name!r} must be a string, got {type(value).__name__}")
    return value


class _R1Reader:
    """Lines of an r1-computer-use file → episodes (consecutive same task) and steps."""

    def __init__(self, run: _Import) -> None:
        self.run = run
        self.pending: _Pending | None = None
        self.cursor: tuple[int, int] | None = None

    def line(self, lineno: int, text: str) -> None:
        obj = parse_object(text)
        task = _opt_str(obj, "task")
        if not task.strip():
            raise BadLine("field 'task' is missing or empty")
        raw_action = obj.get("action")
        if isinstance(raw_action, str):
            call = parse_object(raw_action, "action") if raw_action.strip() else {}
        elif isinstance(raw_action, dict):
            call, raw_action = raw_action, json.dumps(raw_action)
        else:
            raise BadLine(f"field 'action' must be JSON text or an object, got "
                          f"{raw_action!r:.60}")
        texts = {k: _opt_str(obj, k) for k in TEXT_FIELDS}
        new_episode = self.pending is None or self.pending.episode.task != task
        cursor = None if new_episode else self.cursor
        data = self.run.images.source.read(texts["image_before"])
        size = image_size(data) if data is not None else None
        action = r1_action(call, cursor, size)
        action_json = actions.to_json(action)
        check_values(action_json, "action")
        columns = self.run.images.put(data) if data is not None else {"image_missing": True}
        # nothing below can fail: the line is all or nothing
        if new_episode:
            if self.pending is not None:
                self.run.finish(self.pending)
            self.pending = _Pending(Episode(task=task, status="done", source="import",
                                            source_ref=f"{self.run.name}:{lineno}"),
                                    lineno, lineno)
        assert self.pending is not None
        self._add(self.pending, lineno, action_json, raw_action, texts, columns, size)
        self.pending.add_content(obj)
        self.cursor = pointer_after(action, cursor)

    def _add(self, pending: _Pending, lineno: int, action_json: dict[str, Any],
             raw_action: str, texts: dict[str, str], columns: dict[str, Any],
             size: tuple[int, int] | None) -> None:
        monitor = None
        if size is not None:
            monitor = Monitor(0, 0, size[0], size[1])
            columns.update(monitor_left=0, monitor_top=0, monitor_width=size[0],
                           monitor_height=size[1], monitor_scale=1.0)
        extra = {k: texts[k] for k in ("subtask", "bad_subtask", "image_after") if texts[k]}
        step = Step(index=len(pending.episode.steps), outcome="executed", action=action_json,
                    reasoning=texts["thought"] or None,
                    raw_output=f"<think>{texts['thought']}</think><answer>{raw_action}</answer>",
                    image_source=texts["image_before"] or None, extra=extra or None,
                    **action_fractions(action_json, monitor), **columns)
        pending.episode.steps.append(step)
        pending.last, pending.steps = lineno, pending.steps + 1
        pending.missing += bool(columns.get("image_missing"))
        pending.files += self.run.images.line
        bad = negative(texts)
        if bad is not None:
            Judgment(episode=pending.episode, step=step, kind="negative", value=0.0,
                     reasoning=bad[0], comment=bad[1], source="import")
            pending.judgments += 1

    def finish(self) -> None:
        if self.pending is not None:
            self.run.finish(self.pending)
            self.pending = None


_REIMPORT_CHANGES = {"key", "source", "source_ref"}


class _NativeReader:
    """Lines of Deskhand's own ``steps.jsonl`` export → the same episodes, steps, judgments."""

    def __init__(self, run: _Import) -> None:
        self.run = run
        self.pending: dict[int | str, _Pending] = {}
        self.seen: set[tuple[int | str, int]] = set()

    def line(self, lineno: int, text: str) -> None:
        obj = parse_object(text)
        if obj.get("format") != records.FORMAT:
            raise BadLine(f"field 'format' must be {records.FORMAT!r}, got "
                          f"{obj.get('format')!r:.60}")
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
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise BadLine(f"episode.key must be an integer or a string, got {key!r:.60}")
        if (key, step_fields["index"]) in self.seen:
            raise BadLine(f"step {step_fields['index']} of episode {key!r} appears twice")
        data = self.run.images.source.read(obj["step"].get("image"))
        if data is not None:
            step_fields.update(self.run.images.put(data))
        elif obj["step"].get("image") is not None or step_fields.get("image_missing"):
            step_fields["image_missing"] = True
        # nothing below can fail: the line is all or nothing
        self.seen.add((key, step_fields["index"]))
        pending = self.pending.get(key)
        if pending is None:
            ep_fields.update(source="import", source_ref=f"{self.run.name}:{lineno}")
            pending = self.pending[key] = _Pending(Episode(**ep_fields), lineno, lineno)
        step = Step(**step_fields)
        pending.episode.steps.append(step)
        for fields in judgments:
            Judgment(episode=pending.episode, step=step, **fields)
        for fields in whole:
            Judgment(episode=pending.episode, step=None, **fields)
        pending.last, pending.steps = lineno, pending.steps + 1
        pending.judgments += len(judgments) + len(whole)
        pending.missing += bool(step_fields.get("image_missing"))
        pending.files += self.run.images.line
        pending.add_content(_content(obj))

    def finish(self) -> None:
        for pending in self.pending.values():
            self.run.finish(pending)
        self.pending = {}


def _content(obj: dict[str, Any]) -> dict[str, Any]:
    """A native record without what export → import changes by design (for the hash)."""
    episode = {k: v for k, v in obj["episode"].items() if k not in _REIMPORT_CHANGES}
    step = {k: v for k, v in obj["step"].items() if k != "image"}
    return {**obj, "episode": episode, "step": step}


def _list(obj: dict[str, Any], name: str) -> list[Any]:
    value = obj.get(name, [])
    if not isinstance(value, list):
        raise BadLine(f"field {name!r} must be a list, got {type(value).__name__}")
    return value


def import_file(store: Store, path: Path, fmt: str, *, skip_bad: bool = False,
                fetch_images: bool = False, allow_outside: Sequence[Path] = (),
                allow_duplicates: bool = False,
                progress: Progress | None = None) -> ImportSummary:
    """Import ``path`` (format ``r1`` or ``jsonl``) in one transaction; see module docstring."""
    if fmt not in FORMATS:
        raise ImportInputError(f"unknown import format {fmt!r} (known: {', '.join(FORMATS)})")
    try:
        lines = split_lines(path.read_bytes())
    except OSError as exc:
        raise ImportInputError(f"cannot read {path}: {exc}") from None
    summary = ImportSummary()
    images = _Images(store, ImageSource(path.parent, allow_outside, fetch_images))
    try:
        with store.session() as session:
            run = _Import(session, images, summary, path.name, allow_duplicates)
            reader = _R1Reader(run) if fmt == "r1" else _NativeReader(run)
            for lineno, raw in lines:
                if raw.strip():
                    _read_line(reader, images, lineno, raw, path.name, skip_bad, summary)
                if progress:
                    progress(lineno, len(lines))
            reader.finish()
    except BaseException as exc:
        referenced = store.referenced_images() if not isinstance(exc, StoreError) else set()
        images.remove([f for f in images.created if f[0] not in referenced])
        if isinstance(exc, DatabaseError):
            raise ImportInputError(f"{path.name}: the import could not be written "
                                   f"({getattr(exc, 'orig', exc)}); nothing was imported"
                                   ) from None
        raise
    return summary


def _read_line(reader: _R1Reader | _NativeReader, images: _Images, lineno: int, raw: bytes,
               name: str, skip_bad: bool, summary: ImportSummary) -> None:
    try:
        try:
            reader.line(lineno, decode(raw))
        except BadLine:
            raise
        except Exception as exc:  # nothing a file holds may end in a traceback
            raise BadLine(f"unexpected {type(exc).__name__}: {exc}") from None
    except BadLine as exc:
        images.line_done(ok=False)
        if not skip_bad:
            raise ImportInputError(f"{name}: line {lineno}: {exc}") from None
        summary.skipped.append((lineno, str(exc)))
    else:
        images.line_done(ok=True)
