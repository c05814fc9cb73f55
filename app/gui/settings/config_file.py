"""Reading and writing ``config.toml`` from the app: only the keys a page edits change.

The design choice a reader must know: a page never serialises the whole ``DeskhandConfig``.
It reads the file as plain TOML, sets the dotted keys it edits, checks the result with the
same strict loader every command uses (``app.config.load_config``), and only then replaces the
file atomically (temp file, fsync, rename). Tables and keys the page knows nothing about —
hand-written comments aside — survive a save untouched; an invalid value never reaches disk.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agent import config as loader
from agent.config import ConfigError
from app.config import DeskhandConfig


def read_table(path: Path) -> dict[str, Any]:
    """The file as nested dicts ({} when it does not exist); ConfigError if unreadable."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None


def with_values(data: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``data`` with each dotted key of ``values`` set (tables created).

    >>> with_values({"a": {"x": 1}, "b": 2}, {"a.y": 3})
    {'a': {'x': 1, 'y': 3}, 'b': 2}
    """
    out = _copy(data)
    for key, value in values.items():
        node = out
        *parents, last = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{key}: {part!r} is a value, not a table")
            node = child
        node[last] = _plain(value)
    return out


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in data.items()}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}  # a Rect
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def validate(data: Mapping[str, Any], overrides: list[str] | None = None) -> DeskhandConfig:
    """The config ``data`` would load as (with the app's overrides); ConfigError if not."""
    merged = dict(data)
    for item in overrides or []:
        key, value = loader.parse_override(item)
        merged = with_values(merged, {key: value})
    return loader.from_dict(DeskhandConfig, merged)


def write_config(path: Path, data: Mapping[str, Any]) -> None:
    """Replace ``path`` with ``data`` as TOML, atomically."""
    import tomli_w

    text = tomli_w.dumps(dict(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def save_values(path: Path, values: Mapping[str, Any], overrides: list[str] | None = None
                ) -> DeskhandConfig:
    """Set ``values`` (dotted keys) in the file after validating; the new config."""
    data = with_values(read_table(path), values)
    validate(data)  # the file on its own must load, whatever the overrides say
    write_config(path, data)
    return validate(data, overrides)
