"""Deskhand's action vocabulary and its JSON form (DESIGN.md §3).

This is the contract between the model families (which parse raw model output into
actions), the agent (which validates and executes them), the store and every export or
replay file. It lives in ``models`` because it is the lowest layer that all others import.

One design choice a reader must know: actions are small frozen dataclasses with integer
coordinates in pixels of the *virtual screen* (the frame xdotool and pyautogui use).
Conversion from a model's own frame happens in the family parsers, never here. Every action
that enters the system from outside (a model's output, a replay file, the store, an editor)
passes ``validate``: the bounds below are refused, never clamped, because an action beyond
them is a model's (or a file's) mistake, and the stop must be able to cut any action short.
So is what the actuator could not carry out as shown: a key it cannot press
(``models.keys.sendable``), and typed text or a shell command that holds a control
character or hides what it types (``models.typed_text``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from models.errors import ActionError as ActionError
from models.keys import KEY_ALIASES as KEY_ALIASES
from models.keys import MAX_CHORD, sendable
from models.keys import MODIFIER_KEYS as MODIFIER_KEYS
from models.keys import describe as _short
from models.keys import normalize_key as normalize_key
from models.typed_text import check_typed

MOUSE_BUTTONS = ("left", "right", "middle")


@dataclass(frozen=True)
class Click:
    x: int
    y: int
    button: str = "left"
    count: int = 1
    kind: ClassVar[str] = "click"


@dataclass(frozen=True)
class Move:
    x: int
    y: int
    kind: ClassVar[str] = "move"


@dataclass(frozen=True)
class Drag:
    x: int
    y: int
    to_x: int
    to_y: int
    kind: ClassVar[str] = "drag"


@dataclass(frozen=True)
class Scroll:
    """Wheel clicks at a point: ``dy > 0`` scrolls up, ``dy < 0`` down (pyautogui's and
    Qwen's convention), ``dx > 0`` scrolls right."""

    x: int
    y: int
    dx: int = 0
    dy: int = 0
    kind: ClassVar[str] = "scroll"


@dataclass(frozen=True)
class Type:
    text: str
    kind: ClassVar[str] = "type"


@dataclass(frozen=True)
class Key:
    keys: tuple[str, ...]
    kind: ClassVar[str] = "key"


@dataclass(frozen=True)
class Wait:
    seconds: float = 1.0
    kind: ClassVar[str] = "wait"


@dataclass(frozen=True)
class Done:
    summary: str = ""
    kind: ClassVar[str] = "done"


@dataclass(frozen=True)
class Fail:
    reason: str = ""
    kind: ClassVar[str] = "fail"


@dataclass(frozen=True)
class AskUser:
    question: str
    kind: ClassVar[str] = "ask_user"


@dataclass(frozen=True)
class Shell:
    command: str
    kind: ClassVar[str] = "shell"


Action = Click | Move | Drag | Scroll | Type | Key | Wait | Done | Fail | AskUser | Shell
ACTION_TYPES: dict[str, type] = {
    cls.kind: cls
    for cls in (Click, Move, Drag, Scroll, Type, Key, Wait, Done, Fail, AskUser, Shell)
}
# Bounds of one action. Beyond them an action is malformed (``validate`` says why).
MAX_COORDINATE = 32_767  # X11's own limit: every virtual-screen pixel is within ±this
MAX_CLICK_COUNT = 3  # single, double, triple
MAX_SCROLL_CLICKS = 50  # wheel clicks per axis and action: a few screens, never a runaway
MAX_WAIT_SECONDS = 60.0  # anything longer is almost surely a parse accident
MAX_TEXT_CHARS = 10_000  # typed text, summaries, reasons, questions and shell commands
MAX_CHORD_KEYS = MAX_CHORD  # ctrl+alt+shift+win+key is the largest real chord


def points(action: Action) -> list[tuple[int, int]]:
    """Every screen point an action touches (for bounds checks and drawing).

    >>> points(Drag(1, 2, 3, 4))
    [(1, 2), (3, 4)]
    >>> points(Type("hi"))
    []
    """
    if isinstance(action, Drag):
        return [(action.x, action.y), (action.to_x, action.to_y)]
    if isinstance(action, (Click, Move, Scroll)):
        return [(action.x, action.y)]
    return []


def to_json(action: Action) -> dict[str, Any]:
    """The JSON object of an action, in the form of DESIGN.md §3.

    >>> to_json(Key(("ctrl", "s")))
    {'type': 'key', 'keys': ['ctrl', 's']}
    """
    out: dict[str, Any] = {"type": action.kind}
    for field in fields(action):
        value = getattr(action, field.name)
        out[field.name] = list(value) if isinstance(value, tuple) else value
    return out


def dumps(action: Action) -> str:
    """Compact, key-stable JSON text of an action."""
    return json.dumps(to_json(action), ensure_ascii=False, separators=(", ", ": "))


def _int(obj: dict[str, Any], name: str, whole: bool = False) -> int:
    """A number field as an int (rounded; ``whole``: it must be a whole number)."""
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ActionError(f"field {name!r} must be a number, got {_short(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ActionError(f"field {name!r} must be finite, got {value!r}")
    if abs(value) >= 1e15:  # before rounding: no giant ints (validate gives the real bounds)
        raise ActionError(f"field {name!r} is out of range: {_short(value)}")
    if whole and value != int(value):
        raise ActionError(f"field {name!r} must be a whole number, got {value!r}")
    return int(round(value))


def _str(obj: dict[str, Any], name: str, default: str | None = None) -> str:
    value = obj.get(name, default)
    if not isinstance(value, str):
        raise ActionError(f"field {name!r} must be a string, got {_short(value)}")
    return value


_ALLOWED_FIELDS: dict[str, set[str]] = {
    kind: {f.name for f in fields(cls)} for kind, cls in ACTION_TYPES.items()
}


def from_json(obj: Any) -> Action:
    """Build and validate an action from its JSON object (a dict, or JSON text).

    >>> from_json({"type": "click", "x": 300, "y": 250})
    Click(x=300, y=250, button='left', count=1)
    >>> from_json('{"type": "key", "keys": "ctrl+s"}')
    Key(keys=('ctrl', 's'))
    >>> from_json({"type": "jump"})
    Traceback (most recent call last):
    ...
    models.actions.ActionError: unknown action type 'jump'
    """
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except (ValueError, RecursionError) as exc:  # also: too many digits, too deep
            raise ActionError(f"not JSON: {str(exc)[:200]}") from None
    if not isinstance(obj, dict):
        raise ActionError(f"an action must be a JSON object, got {type(obj).__name__}")
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in ACTION_TYPES:
        raise ActionError(f"unknown action type {_short(kind)}")
    extra = {str(key) for key in obj} - _ALLOWED_FIELDS[kind] - {"type"}
    if extra:
        raise ActionError(f"{kind}: unexpected field(s) {_short(sorted(extra))}")
    action: Action
    if kind == "click":
        button = _str(obj, "button", "left")
        if button not in MOUSE_BUTTONS:
            raise ActionError(f"click: button must be one of {MOUSE_BUTTONS}, got {button!r}")
        count = _int(obj, "count", whole=True) if "count" in obj else 1
        action = Click(_int(obj, "x"), _int(obj, "y"), button, count)
    elif kind == "move":
        action = Move(_int(obj, "x"), _int(obj, "y"))
    elif kind == "drag":
        action = Drag(_int(obj, "x"), _int(obj, "y"), _int(obj, "to_x"), _int(obj, "to_y"))
    elif kind == "scroll":
        dx = _int(obj, "dx", whole=True) if "dx" in obj else 0
        dy = _int(obj, "dy", whole=True) if "dy" in obj else 0
        action = Scroll(_int(obj, "x"), _int(obj, "y"), dx, dy)
    elif kind == "type":
        action = Type(_str(obj, "text"))
    elif kind == "key":
        action = Key(parse_keys(obj.get("keys")))
    elif kind == "wait":
        seconds = obj.get("seconds", 1.0)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (
                math.isfinite(seconds) and 0 <= seconds <= MAX_WAIT_SECONDS):
            raise ActionError(f"wait: seconds must be 0..{MAX_WAIT_SECONDS:g}, "
                              f"got {_short(seconds)}")
        action = Wait(float(seconds))
    elif kind == "done":
        action = Done(_str(obj, "summary", ""))
    elif kind == "fail":
        action = Fail(_str(obj, "reason", ""))
    elif kind == "ask_user":
        action = AskUser(_str(obj, "question"))
    else:
        action = Shell(_str(obj, "command"))
    return validate(action)


def _coordinate(value: Any, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ActionError(f"{what} must be a whole number of pixels, got {_short(value)}")
    if not -MAX_COORDINATE <= value <= MAX_COORDINATE:
        raise ActionError(f"{what} = {_short(value)} is beyond ±{MAX_COORDINATE}, "
                          "off any screen")


def _text(value: Any, what: str, empty: bool = True) -> None:
    if not isinstance(value, str):
        raise ActionError(f"{what} must be a string, got {_short(value)}")
    if len(value) > MAX_TEXT_CHARS:
        raise ActionError(f"{what} has {len(value)} characters; at most {MAX_TEXT_CHARS}")
    if not _encodable(value):
        raise ActionError(f"{what} holds a lone surrogate, which no keyboard or file can carry")
    if not empty and value.strip() == "":
        raise ActionError(f"{what} is empty")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. from a JSON "\\ud800" escape
        return False
    return True


def _validate_keys(keys: Any) -> None:
    if not isinstance(keys, tuple) or not keys:
        raise ActionError(f"key: keys must be a non-empty tuple, got {_short(keys)}")
    if len(keys) > MAX_CHORD_KEYS:
        raise ActionError(f"key: a chord of {len(keys)} keys is not plausible")
    for key in keys:
        if not isinstance(key, str) or not (key.isprintable() and _encodable(key)) or (
                normalize_key(key) != key):
            raise ActionError(f"key: {_short(key)} is not a canonical key name")
        if not sendable(key):  # the actuator would refuse it: say so at the parse
            hint = " (type it instead)" if len(key) == 1 else ""
            raise ActionError(f"key: {key!r} cannot be pressed by the actuator{hint}")


def validate(action: Action) -> Action:
    """Check an action against the vocabulary's bounds; return it, or raise ``ActionError``.

    >>> validate(Scroll(10, 10, 0, -3))
    Scroll(x=10, y=10, dx=0, dy=-3)
    >>> validate(Scroll(10, 10, 0, -10_000_000))
    Traceback (most recent call last):
    ...
    models.actions.ActionError: scroll: dy = -10000000 wheel clicks; at most ±50 per action
    """
    for i, (x, y) in enumerate(points(action)):
        prefix = "to_" if i else ""
        _coordinate(x, f"{action.kind}: {prefix}x")
        _coordinate(y, f"{action.kind}: {prefix}y")
    if isinstance(action, Click):
        if action.button not in MOUSE_BUTTONS:
            raise ActionError(f"click: button must be one of {MOUSE_BUTTONS}, "
                              f"got {_short(action.button)}")
        count = action.count
        if isinstance(count, bool) or not isinstance(count, int) or not (
                1 <= count <= MAX_CLICK_COUNT):
            raise ActionError(f"click: count must be 1..{MAX_CLICK_COUNT}, got {_short(count)}")
    elif isinstance(action, Scroll):
        for name, value in (("dx", action.dx), ("dy", action.dy)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ActionError(f"scroll: {name} must be whole wheel clicks, "
                                  f"got {_short(value)}")
            if abs(value) > MAX_SCROLL_CLICKS:
                raise ActionError(f"scroll: {name} = {_short(value)} wheel clicks; at most "
                                  f"±{MAX_SCROLL_CLICKS} per action")
        if action.dx == 0 and action.dy == 0:
            raise ActionError("scroll: dx and dy are both 0")
    elif isinstance(action, Type):
        _text(action.text, "type: text")
        if action.text == "":
            raise ActionError("type: text is empty")
        check_typed(action.text)
    elif isinstance(action, Key):
        _validate_keys(action.keys)
    elif isinstance(action, Wait):
        seconds = action.seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (
                math.isfinite(seconds) and 0 <= seconds <= MAX_WAIT_SECONDS):
            raise ActionError(f"wait: seconds must be 0..{MAX_WAIT_SECONDS:g}, "
                              f"got {_short(seconds)}")
    elif isinstance(action, Done):
        _text(action.summary, "done: summary")
    elif isinstance(action, Fail):
        _text(action.reason, "fail: reason")
    elif isinstance(action, AskUser):
        _text(action.question, "ask_user: question")
    elif isinstance(action, Shell):
        _text(action.command, "shell: command", empty=False)
        check_typed(action.command, "shell: command")
    elif not isinstance(action, (Move, Drag)):
        raise ActionError(f"not an action: {_short(action)}")
    return action


def parse_keys(value: Any) -> tuple[str, ...]:
    """Keys of a chord from a list (``["ctrl", "s"]``) or text (``"ctrl+s"``, ``"ctrl s"``),
    each in its canonical spelling (``models.keys``).

    >>> parse_keys("Ctrl+Shift+T")
    ('ctrl', 'shift', 't')
    >>> parse_keys(["alt", "F4"])
    ('alt', 'f4')
    >>> parse_keys("ctrl++"), parse_keys("Page Up"), parse_keys("ctrl+\\t"), parse_keys("\\n")
    (('ctrl', '+'), ('pageup',), ('ctrl', 'tab'), ('enter',))
    """
    if isinstance(value, str):
        parts = _chord_parts(value)
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        raise ActionError(f"key: keys must be a list or a string, got {_short(value)}")
    if not parts:
        raise ActionError("key: no keys given")
    if len(parts) > MAX_CHORD_KEYS:
        raise ActionError(f"key: a chord of {len(parts)} keys is not plausible")
    return tuple(normalize_key(p) for p in parts)


def _chord_parts(text: str) -> list[str]:
    """Split chord text on ``+`` (a ``+`` right after a separator is the plus key); a part
    that is no key name but holds spaces is several keys (``"alt f4"``)."""
    if len(text) == 1:
        return [text]
    if text.strip() == "":  # "  ": no key is named (a lone " " above is the space bar)
        return []
    pieces, current = [], ""
    for char in text:
        if char == "+" and current.strip(" ") != "":
            pieces.append(current)
            current = ""
        else:
            current += char
    pieces.append(current)
    parts: list[str] = []
    for piece in pieces:
        stripped = piece.strip(" ")
        if stripped == "":
            parts.extend(["space"] if piece else [])
            continue
        words = stripped.split()
        if len(words) > 1:
            try:
                normalize_key(stripped)
            except ActionError:
                parts.extend(words)
                continue
        parts.append(stripped)
    return parts


def describe(action: Action) -> str:
    """The action in words, for people.

    >>> describe(Click(10, 20, "right", 2))
    'double right-click at (10, 20)'
    >>> describe(Key(("ctrl", "s")))
    'press ctrl+s'
    """
    if isinstance(action, Click):
        times = {1: "", 2: "double ", 3: "triple "}[action.count]
        button = "" if action.button == "left" else f"{action.button}-"
        return f"{times}{button}click at ({action.x}, {action.y})"
    if isinstance(action, Move):
        return f"move the pointer to ({action.x}, {action.y})"
    if isinstance(action, Drag):
        return f"drag from ({action.x}, {action.y}) to ({action.to_x}, {action.to_y})"
    if isinstance(action, Scroll):
        return f"scroll by ({action.dx}, {action.dy}) at ({action.x}, {action.y})"
    if isinstance(action, Type):
        return f"type {action.text!r}"
    if isinstance(action, Key):
        return "press " + "+".join(action.keys)
    if isinstance(action, Wait):
        return f"wait {action.seconds:g} s"
    if isinstance(action, Done):
        return f"done: {action.summary}" if action.summary else "done"
    if isinstance(action, Fail):
        return f"give up: {action.reason}" if action.reason else "give up"
    if isinstance(action, AskUser):
        return f"ask: {action.question}"
    return f"run shell command {action.command!r}"
