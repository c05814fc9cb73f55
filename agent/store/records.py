"""Deskhand's native JSONL record (one per step), both ways: rows → JSON and JSON → row fields.

Both directions live here so that export → import → export is visibly the identity. One design
choice a reader must know: the fields are the table columns themselves (minus ids and the
screenshot's storage columns), converted by column type, so a column added by a migration is
exported and imported without touching this file; JSON → row checks every value's type against
its column and names the field when it is wrong.

A record::

    {"format": "deskhand.step/1",
     "episode": {"key": 3, "task": ..., "status": ..., <episode columns>},
     "step": {"index": 0, "image": "images/ab12….png" | null, "image_sha256": ..., <step columns>},
     "judgments": [{"kind": "approve", "value": 1.0, ...}, ...],
     "episode_judgments": [...]}      # judgments on the whole episode, in its first record only
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.sql.expression import FromClause

from agent.store.schema import (
    EPISODE_STATUSES,
    JUDGMENT_KINDS,
    SOURCES,
    STEP_OUTCOMES,
    Episode,
    Judgment,
    Step,
)
from models import actions

FORMAT = "deskhand.step/1"
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1  # SQLite's INTEGER
_ALWAYS_SKIPPED = {"id", "episode_id", "step_id"}
# Bookkeeping of this store's imports: another store computes its own.
_EPISODE_SKIPPED = _ALWAYS_SKIPPED | {"import_sha256"}
# Storage details of the screenshot: the record names the image file instead.
_STEP_SKIPPED = _ALWAYS_SKIPPED | {"screenshot_sha256", "screenshot_format"}


class RecordError(ValueError):
    """A field of a record is missing or of the wrong type; the message names it."""


def _columns(table: FromClause, skipped: set[str]) -> list[tuple[str, Any, bool]]:
    return [(c.name, c.type, bool(c.nullable)) for c in table.columns if c.name not in skipped]


def _to_json(row: Any, table: FromClause, skipped: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, _type, _ in _columns(table, skipped):
        value = getattr(row, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def episode_to_json(episode: Episode) -> dict[str, Any]:
    return {"key": episode.id, **_to_json(episode, Episode.__table__, _EPISODE_SKIPPED)}


def step_to_json(step: Step, image: str | None) -> dict[str, Any]:
    """``image``: the image file's path relative to the export folder (None if missing)."""
    return {**_to_json(step, Step.__table__, _STEP_SKIPPED), "image": image,
            "image_sha256": step.screenshot_sha256}


def judgment_to_json(judgment: Judgment) -> dict[str, Any]:
    return _to_json(judgment, Judgment.__table__, _ALWAYS_SKIPPED)


def _from_json(obj: Any, table: FromClause, skipped: set[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise RecordError(f"{where}: expected an object, got {type(obj).__name__}")
    fields: dict[str, Any] = {}
    for name, col_type, nullable in _columns(table, skipped):
        if name not in obj:
            continue  # the column's default applies
        fields[name] = _value(obj[name], col_type, nullable, f"{where}.{name}")
    return fields


def _value(value: Any, col_type: Any, nullable: bool, where: str) -> Any:
    if value is None:
        if not nullable:
            raise RecordError(f"{where}: must not be null")
        return None
    if isinstance(col_type, Boolean):
        ok = isinstance(value, bool)
    elif isinstance(col_type, Integer):
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and not _INT_MIN <= value <= _INT_MAX:
            raise RecordError(f"{where}: {value!r:.40} does not fit in 64 bits")
    elif isinstance(col_type, Float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and not math.isfinite(float(value)):
            raise RecordError(f"{where}: {value!r:.40} is not a finite number")
        value = float(value) if ok else value
    elif isinstance(col_type, DateTime):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=None)
        except (TypeError, ValueError):
            raise RecordError(f"{where}: expected an ISO date-time, got {value!r}") from None
    elif isinstance(col_type, (String, Text)):
        ok = isinstance(value, str)
    elif isinstance(col_type, JSON):
        ok = isinstance(value, dict)
    else:  # pragma: no cover - a column type this file does not know yet
        raise RecordError(f"{where}: unsupported column type {col_type!r}")
    if not ok:
        raise RecordError(f"{where}: wrong type {type(value).__name__} ({value!r:.60})")
    return value


def _word(fields: dict[str, Any], name: str, allowed: tuple[str, ...], where: str) -> None:
    if name in fields and fields[name] not in allowed:
        raise RecordError(f"{where}.{name}: {fields[name]!r} is not one of {', '.join(allowed)}")


def episode_from_json(obj: Any, where: str = "episode") -> dict[str, Any]:
    fields = _from_json(obj, Episode.__table__, _EPISODE_SKIPPED, where)
    if "task" not in fields:
        raise RecordError(f"{where}.task: missing")
    _word(fields, "status", EPISODE_STATUSES, where)
    _word(fields, "source", SOURCES, where)
    return fields


def step_from_json(obj: Any, where: str = "step") -> dict[str, Any]:
    fields = _from_json(obj, Step.__table__, _STEP_SKIPPED, where)
    if "index" not in fields:
        raise RecordError(f"{where}.index: missing")
    _word(fields, "outcome", STEP_OUTCOMES, where)
    if fields.get("action") is not None:
        fields["action"] = _checked_action(fields["action"], f"{where}.action")
    image = obj.get("image")
    if image is not None and not isinstance(image, str):
        raise RecordError(f"{where}.image: expected a path string, got {image!r}")
    return fields


def judgment_from_json(obj: Any, where: str = "judgment") -> dict[str, Any]:
    fields = _from_json(obj, Judgment.__table__, _ALWAYS_SKIPPED, where)
    if "kind" not in fields:
        raise RecordError(f"{where}.kind: missing")
    _word(fields, "kind", JUDGMENT_KINDS, where)
    _word(fields, "source", SOURCES, where)
    if fields.get("corrected_action") is not None:
        fields["corrected_action"] = _checked_action(fields["corrected_action"],
                                                     f"{where}.corrected_action")
    return fields


def _checked_action(obj: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        return actions.to_json(actions.from_json(obj))
    except actions.ActionError as exc:
        raise RecordError(f"{where}: {exc}") from None
