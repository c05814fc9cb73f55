"""Export of the store for power users: native JSONL, chat-messages JSONL, Parquet.

* ``jsonl``: ``steps.jsonl``, one native record per step (see records.py), images in ``images/``.
* ``messages``: ``messages.jsonl`` in the chat form TRL / LLaMA-Factory / ms-swift read —
  ``{"messages": [system, user "<image>…", assistant], "images": ["images/ab12….png"]}`` — one
  record per step, plus ``dataset_info.json`` for LLaMA-Factory (``formatting: sharegpt``).
* ``parquet``: ``data.parquet``, the same conversation per step with the image bytes embedded
  (``datasets.load_dataset("parquet", data_files=...)`` decodes them as images) and without the
  ``<image>`` tag: TRL (``prepare_multimodal_messages``) puts the image before the user's text.

One design choice a reader must know: the assistant turn is what the user *wanted*: the
corrected action where the step has a correction (its reasoning is then the correction's
comment, since the model's reasoning argued for the wrong action), else the original action;
``label`` says approved / rejected / corrected / rated / demonstration (an imported step, done
on purpose by the person who recorded it) / unjudged / parse_failed. Where the step also has a
worse answer — the original of a correction, or an imported ``negative`` (a bad thought) — it
is in ``rejected`` (``[{"role": "assistant", "content": ...}]``, as TRL's preference trainers
read it; ``rejected_label`` says which kind), so ``messages[:2]``, ``messages[2:]`` and
``rejected`` are a prompt / chosen / rejected triple. Records are per step, so an episode
without steps is not exported. Progress is reported through a plain ``(done, total)`` callback.

``redact`` (if given) fails closed: each row is copied with *every* string of every column
redacted (``agent.store.redact.redact_value``: JSON columns, dictionary keys and large
integers included) before any format is built from it, and each finished record is walked
once more before it is written — a new column, or a format's own field, cannot escape it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql.expression import FromClause

from agent.store import records
from agent.store.redact import redact_value
from agent.store.repo import Store
from agent.store.schema import Episode, Judgment, Step
from models import actions

FORMATS = ("jsonl", "messages", "parquet")
IMAGE_TAG = "<image>"  # where the image goes, for LLaMA-Factory and ms-swift
Progress = Callable[[int, int], None]
Redact = Callable[[str], str]

SYSTEM_PROMPT = (
    "You are Deskhand, an assistant that operates a computer for its user. You see a "
    "screenshot of the screen. Think step by step, then answer with exactly one action as "
    "JSON: <think>your reasoning</think><answer>{\"type\": ...}</answer>. Coordinates are "
    "screen pixels.")
# Where the screenshot file is: a content hash and "png"/"webp", never the person's text.
_STORAGE = {"screenshot_sha256", "screenshot_format"}
_VERDICTS = {"approve": "approved", "reject": "rejected", "correct": "corrected", "rate": "rated"}


def redact_fields(obj: Any, redact: Redact) -> Any:
    """Redact every string at any depth (see ``agent.store.redact.redact_value``)."""
    return redact_value(obj, redact)


def _redacted(row: Any, table: FromClause, redact: Redact, **relations: Any) -> Any:
    """A copy of ``row`` with every column redacted (the storage columns aside)."""
    values = {c.name: getattr(row, c.name) for c in table.columns}
    clean = {name: value if name in _STORAGE else redact_value(value, redact)
             for name, value in values.items()}
    return SimpleNamespace(**clean, **relations)


class ExportError(ValueError):
    """The export cannot be made (unknown format, unknown episode, ...)."""


@dataclass(frozen=True)
class ExportSummary:
    path: Path  # the main file written
    records: int
    images: int
    without_image: int  # steps exported without a screenshot (never had one, or missing)


def export(store: Store, out_dir: Path, fmt: str, *, episode_ids: list[int] | None = None,
           progress: Progress | None = None, redact: Redact | None = None) -> ExportSummary:
    """Write the chosen episodes (default: all) to ``out_dir`` in format ``fmt``."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    _check_ids(store, episode_ids)
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = {"jsonl": _write_jsonl, "messages": _write_messages, "parquet": _write_parquet}[fmt]
    return writer(store, out_dir, _Steps(store, episode_ids, progress, redact))


def _check_ids(store: Store, ids: list[int] | None) -> None:
    if not ids:
        return
    found = {e.id for e in store.list_episodes(ids=ids)}
    missing = sorted(set(ids) - found)
    if missing:
        raise ExportError(f"no episode with id {', '.join(map(str, missing))}")


class _Steps:
    """Iterates (episode, step) in episode then step order, reporting progress as it goes."""

    def __init__(self, store: Store, ids: list[int] | None, progress: Progress | None,
                 redact: Redact | None) -> None:
        self.store, self.ids, self.progress, self.redact = store, ids or None, progress, redact
        self.images = self.missing = 0

    def _where(self, query: Any) -> Any:
        return query.where(Step.episode_id.in_(self.ids)) if self.ids else query

    def __iter__(self) -> Iterator[tuple[Episode, Step]]:
        with self.store.session() as s:
            total = s.scalar(self._where(select(func.count()).select_from(Step))) or 0
        done = 0
        if self.progress:
            self.progress(0, total)
        for episode in sorted(self.store.list_episodes(ids=self.ids), key=lambda e: e.id):
            shown = self._episode(episode)
            for step in self.store.steps(episode.id):
                yield shown, self._step(step)
                done += 1
                if self.progress:
                    self.progress(done, total)

    def _episode(self, episode: Episode) -> Any:
        if self.redact is None:
            return episode
        return _redacted(episode, Episode.__table__, self.redact,
                         judgments=[self._judgment(j) for j in episode.judgments])

    def _step(self, step: Step) -> Any:
        if self.redact is None:
            return step
        return _redacted(step, Step.__table__, self.redact,
                         judgments=[self._judgment(j) for j in step.judgments])

    def _judgment(self, judgment: Judgment) -> Any:
        assert self.redact is not None
        return _redacted(judgment, Judgment.__table__, self.redact)

    def text(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The finished record, walked once more (fail closed), ready to be written."""
        if self.redact is None:
            return obj
        cleaned: dict[str, Any] = redact_value(obj, self.redact)
        return cleaned

    def copy_image(self, step: Any, out_dir: Path) -> str | None:
        """Copy the step's screenshot to ``out_dir/images``; its relative path, or None."""
        source = self.store.screenshot_path(step)
        if source is None or not source.exists():
            self.missing += 1
            return None
        rel = f"images/{step.screenshot_sha256}.{step.screenshot_format}"
        target = out_dir / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            self.images += 1
        return rel


def _write_jsonl(store: Store, out_dir: Path, steps: _Steps) -> ExportSummary:
    path, count, seen = out_dir / "steps.jsonl", 0, set()
    with open(path, "w", encoding="utf-8") as fh:
        for episode, step in steps:
            record: dict[str, Any] = {
                "format": records.FORMAT,
                "episode": records.episode_to_json(episode),
                "step": records.step_to_json(step, steps.copy_image(step, out_dir)),
                "judgments": [records.judgment_to_json(j) for j in step.judgments],
            }
            if episode.id not in seen:
                seen.add(episode.id)
                record["episode_judgments"] = [records.judgment_to_json(j)
                                               for j in episode.judgments if j.step_id is None]
            fh.write(json.dumps(steps.text(record), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return ExportSummary(path, count, steps.images, steps.missing)


def _answer(thought: str, action: dict[str, Any]) -> str:
    return f"<think>{thought}</think><answer>{json.dumps(action, ensure_ascii=False)}</answer>"


def _rejected(step: Any, chosen: dict[str, Any] | None, corrected: bool
              ) -> tuple[list[dict[str, str]] | None, str | None]:
    """The worse answer of a step, as a preference trainer reads it, and what it is."""
    if corrected and step.action is not None and step.action != chosen:
        return ([{"role": "assistant", "content": _answer(step.reasoning or "", step.action)}],
                "correct_original")
    action = step.action
    for judgment in step.judgments:
        if judgment.kind == "negative" and action is not None:
            thought = judgment.reasoning or judgment.comment or ""
            return [{"role": "assistant", "content": _answer(thought, action)}], "negative"
    return None, None


def conversation(episode: Any, step: Any, history: list[str], image: str | None,
                 redact: Redact | None = None) -> dict[str, Any]:
    """One step as a chat-messages record (``<image>`` in the user turn iff an image).

    ``episode`` and ``step`` are rows (or their redacted copies); ``redact`` is applied to
    the finished record as well.
    """
    verdicts = [j for j in step.judgments if j.kind in _VERDICTS]
    last = verdicts[-1] if verdicts else None
    value = last.value if last else None
    correction = next((j for j in reversed(verdicts)
                       if j.kind == "correct" and j.corrected_action), None)
    if correction is not None:
        action, thought, label = correction.corrected_action, correction.comment or "", "corrected"
    else:
        action, thought = step.action, step.reasoning or ""
        if last is not None:
            label = _VERDICTS[last.kind]
        elif step.action is None:
            label = "parse_failed"
        elif episode.source == "import":
            label, value = "demonstration", 1.0
        else:
            label = "unjudged"
    answer = _answer(thought, action) if action is not None else (step.raw_output or "")
    rejected, rejected_label = _rejected(step, action, correction is not None)
    prompt = f"Task: {episode.task}"
    if history:
        prompt += "\nPrevious actions:\n" + "\n".join(
            f"{i}. {h}" for i, h in enumerate(history, 1))
    record = {
        "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                     {"role": "user", "content": (IMAGE_TAG if image else "") + prompt},
                     {"role": "assistant", "content": answer}],
        "images": [image] if image else [],
        "label": label, "value": value,
        "rejected": rejected, "rejected_label": rejected_label,
        "episode_id": episode.id, "step_index": step.index,
    }
    cleaned: dict[str, Any] = redact_value(record, redact) if redact is not None else record
    return cleaned


def _conversations(steps: _Steps, image_of: Callable[[Any], str | None],
                   ) -> Iterator[tuple[dict[str, Any], Any]]:
    history: list[str] = []
    current = None
    for episode, step in steps:
        if episode.id != current:
            current, history = episode.id, []
        yield conversation(episode, step, history, image_of(step), steps.redact), step
        if step.action is not None:
            history.append(_describe(step.action))


def _describe(action: dict[str, Any]) -> str:
    try:
        return actions.describe(actions.from_json(action))
    except actions.ActionError:  # a redacted action may no longer be a valid one
        return json.dumps(action, ensure_ascii=False)


def _write_messages(store: Store, out_dir: Path, steps: _Steps) -> ExportSummary:
    path, count = out_dir / "messages.jsonl", 0
    with open(path, "w", encoding="utf-8") as fh:
        for record, _step in _conversations(steps, lambda st: steps.copy_image(st, out_dir)):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    info = {"deskhand": {"file_name": "messages.jsonl", "formatting": "sharegpt",
                         "columns": {"messages": "messages", "images": "images"},
                         "tags": {"role_tag": "role", "content_tag": "content",
                                  "user_tag": "user", "assistant_tag": "assistant",
                                  "system_tag": "system"}}}
    (out_dir / "dataset_info.json").write_text(json.dumps(info, indent=2) + "\n",
                                               encoding="utf-8")
    return ExportSummary(path, count, steps.images, steps.missing)


def _write_parquet(store: Store, out_dir: Path, steps: _Steps, batch: int = 64) -> ExportSummary:
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    features = datasets.Features({
        "messages": [{"role": datasets.Value("string"), "content": datasets.Value("string")}],
        "images": [datasets.Image()],
        "label": datasets.Value("string"), "value": datasets.Value("float64"),
        "episode_id": datasets.Value("int64"), "step_index": datasets.Value("int64"),
        "rejected": [{"role": datasets.Value("string"), "content": datasets.Value("string")}],
        "rejected_label": datasets.Value("string"),
        "action": datasets.Value("string"), "judgments": datasets.Value("string"),
    })
    schema = features.arrow_schema
    path, rows, count = out_dir / "data.parquet", [], 0

    def image_of(step: Any) -> str | None:
        source = steps.store.screenshot_path(step)
        if source is None or not source.exists():
            steps.missing += 1
            return None
        steps.images += 1
        return source.name

    with pq.ParquetWriter(path, schema) as writer:
        for record, step in _conversations(steps, image_of):
            source = steps.store.screenshot_path(step)
            record["images"] = [{"bytes": source.read_bytes(), "path": name}
                                for name in record["images"] if source is not None]
            user = record["messages"][1]
            user["content"] = user["content"].removeprefix(IMAGE_TAG)  # TRL places the image
            record["action"] = (json.dumps(step.action, ensure_ascii=False)
                                if step.action is not None else None)
            record["judgments"] = json.dumps([records.judgment_to_json(j)
                                              for j in step.judgments], ensure_ascii=False)
            rows.append(steps.text(record))
            count += 1
            if len(rows) >= batch:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                rows = []
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
    return ExportSummary(path, count, steps.images, steps.missing)
