"""Typed configuration: TOML tables onto frozen dataclasses, with errors that name the key.

Each subsystem owns one frozen dataclass (``models.runtime.config.RuntimeConfig``,
``agent.settings.AgentConfig``, ``learner.config.LearnerConfig``, ...); the app assembles
them into one top-level dataclass and calls :func:`load` on it. This module knows nothing of
any particular section: it only maps nested mappings onto nested dataclasses, strictly.

Overrides from the command line are dotted ``key=value`` strings (``runtime.threads=4``),
parsed as TOML values so that types are checked the same way as in the file.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


class ConfigError(ValueError):
    """A configuration value is missing, unknown or of the wrong type; names the key."""


def load(cls: type[T], path: Path | None = None, overrides: list[str] | None = None) -> T:
    """Read ``path`` (if it exists) into ``cls``, then apply ``key=value`` overrides."""
    return from_dict(cls, read(path, overrides))


def read(path: Path | None = None, overrides: list[str] | None = None) -> dict[str, Any]:
    """The tables the person wrote (``path``, then the overrides), before any default: what
    :func:`load` builds from, and how a caller tells a value set on purpose from a default."""
    data: dict[str, Any] = {}
    if path is not None and path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    for item in overrides or []:
        key, value = parse_override(item)
        _set_dotted(data, key, value)
    return data


def parse_override(item: str) -> tuple[str, Any]:
    """``"runtime.threads=4"`` → ``("runtime.threads", 4)``; bare words are strings.

    >>> parse_override("safety.deny_titles=['Bank', 'Mail']")
    ('safety.deny_titles', ['Bank', 'Mail'])
    >>> parse_override("actor.model=qwen")
    ('actor.model', 'qwen')
    """
    if "=" not in item:
        raise ConfigError(f"override {item!r} is not of the form key=value")
    key, raw = (part.strip() for part in item.split("=", 1))
    if not key:
        raise ConfigError(f"override {item!r} has no key")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{key}: {part!r} is a value, not a table")
        node = child
    node[parts[-1]] = value


def from_dict(cls: type[T], data: Any, prefix: str = "") -> T:
    """Build dataclass ``cls`` from a mapping; unknown keys and wrong types raise."""
    where = prefix or "config"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table, got {_type_name(data)}")
    hints = get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(known))
    if unknown:
        name = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise ConfigError(f"unknown key {name!r} (known: {', '.join(sorted(known))})")
    kwargs = {}
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else name
        kwargs[name] = _convert(hints[name], value, key)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _convert(hint: Any, value: Any, key: str) -> Any:
    origin = get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, key)  # type: ignore[arg-type]
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if len(errors) == 1 else f"{key}: no type of {hint} fits "
                          f"{value!r}")
    if origin is typing.Literal:
        if value not in get_args(hint):
            choices = ", ".join(repr(a) for a in get_args(hint))
            raise ConfigError(f"{key}: must be one of {choices}, got {value!r}")
        return value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {_type_name(value)}")
        args = get_args(hint)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, f"{key}[{i}]") for i, v in enumerate(value))
        if origin is tuple:
            if len(args) != len(value):
                raise ConfigError(f"{key}: expected {len(args)} items, got {len(value)}")
            return tuple(_convert(a, v, f"{key}[{i}]") for i, (a, v) in
                         enumerate(zip(args, value, strict=True)))
        item = args[0] if args else Any
        return [_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if hint is Any:
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {_type_name(value)} {value!r}")
        return float(value)
    if hint is int or hint is bool or hint is str:
        if type(value) is not hint:
            raise ConfigError(f"{key}: expected {hint.__name__}, got {_type_name(value)} "
                              f"{value!r}")
        return value
    if hint is Path:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a path string, got {_type_name(value)}")
        return Path(value).expanduser()
    raise ConfigError(f"{key}: unsupported type {hint!r}")  # a bug in a config dataclass


def to_dict(obj: Any) -> dict[str, Any]:
    """A dataclass config as plain TOML-ready data (paths as strings, tuples as lists)."""
    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, Path):
            return str(v)
        return v
    result = plain(obj)
    assert isinstance(result, dict)
    return result


def to_json(obj: Any) -> str:
    """The resolved config as JSON, for logging with every episode and training run."""
    return json.dumps(to_dict(obj), sort_keys=True, default=str)


def _type_name(value: Any) -> str:
    return {dict: "table", list: "list", str: "string", bool: "boolean"}.get(
        type(value), type(value).__name__)
