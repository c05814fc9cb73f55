"""An action as the low-level events the actuator sends, in groups, with pauses between.

``validate`` refuses what the actuator must never attempt, whatever a model, a replay or a
bug hands it (a wheel of ten million clicks, a point off the screen, a control character in
typed text), before a single event is sent. ``plan`` then spells the action out: each
``Group`` is sent as one unit (a button's press and its release, one typed character with
its Shift, a key chord), and the stop and the person's hands are checked before every group —
so a scroll is one group per wheel click and a long text one group per character.

Low-level events: ``("move", (x, y))``, ``("down"|"up", (button,))``, ``("scroll", (dx,
dy))`` for one wheel click (one of them ±1), ``("key_down"|"key_up", (name,))`` and
``("text", (char,))``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from models.actions import (
    MOUSE_BUTTONS,
    Action,
    ActionError,
    Click,
    Drag,
    Key,
    Move,
    Scroll,
    Type,
    Wait,
)
from models.keys import send_chord
from models.typed_text import check_typed

MAX_CLICK_COUNT = 3  # a triple click selects a paragraph; more is a runaway
MAX_SCROLL_CLICKS = 50  # wheel clicks per axis in one action (the Qwen parsers cap at 25)
MAX_CHORD_KEYS = 5
MAX_TYPE_CHARS = 10_000
MAX_WAIT_SECONDS = 60.0

Low = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Group:
    """Events sent as one unit: the stop and the person are checked before, not between."""

    events: tuple[Low, ...]


Step = Group | float  # a float is a pause in seconds (a stop wakes it)


@dataclass(frozen=True)
class Pacing:
    """Human-like but brisk pacing between low-level events (seconds)."""

    move_duration: float = 0.05
    between_clicks: float = 0.06
    chunk_chars: int = 4
    between_chunks: float = 0.01
    drag_duration: float = 0.3
    between_wheel: float = 0.005
    release_grace: float = 0.5  # at an action's start, wait this long for held keys to go up


def text_chunks(text: str, size: int) -> list[str]:
    """ASCII runs in chunks of ``size``; every other character on its own (it may need a
    keyboard remap, which is slow). The actuator pauses between chunks; the stop is checked
    before every character either way.

    >>> text_chunks("abcdé東x", 3)
    ['abc', 'd', 'é', '東', 'x']
    """
    chunks: list[str] = []
    run = ""
    for char in text:
        if char.isascii():
            run += char
            if len(run) >= max(1, size):
                chunks.append(run)
                run = ""
        else:
            if run:
                chunks.append(run)
                run = ""
            chunks.append(char)
    if run:
        chunks.append(run)
    return chunks


def _coordinate(name: str, value: object, limit: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ActionError(f"{name} must be an integer, got {value!r}")
    if limit is not None and not 0 <= value < limit:
        raise ActionError(f"{name}={value} is off the screen (0..{limit - 1})")


def _point(x: object, y: object, screen: tuple[int, int] | None) -> None:
    _coordinate("x", x, screen[0] if screen else None)
    _coordinate("y", y, screen[1] if screen else None)


def _clicks(name: str, value: object, most: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > most:
        raise ActionError(f"{name} must be an integer of at most {most} wheel clicks, "
                          f"got {value!r}")


def check_text(text: object) -> None:
    """Refuse text the actuator will not type: ``models.typed_text``'s rule (tab, newline and
    carriage return are typed as their keys; other control characters, line separators and
    bidirectional controls are refused), the same one every parser's ``validate`` applies.

    >>> check_text("Grüße 東京\\n")
    >>> check_text("exit\\x04")
    Traceback (most recent call last):
    ...
    models.actions.ActionError: type: text contains control character U+0004 (ctrl+d) at index 4
    """
    if not isinstance(text, str):
        raise ActionError(f"type: text must be a string, got {text!r}")
    if len(text) > MAX_TYPE_CHARS:
        raise ActionError(f"type: {len(text)} characters, at most {MAX_TYPE_CHARS}")
    if any(unicodedata.category(char) == "Cs" for char in text):
        raise ActionError("type: text holds a lone surrogate, which no keyboard can type")
    check_typed(text)


def canonical(action: Action) -> Action:
    """The action with its keys in the canonical names the gate decided on (``models.keys``);
    ``ActionError`` for a key the actuator cannot press (a control character, ``hyper``...).

    >>> canonical(Key(("Control_L", "\\x1b")))
    Key(keys=('ctrl', 'esc'))
    """
    if isinstance(action, Key):
        if not isinstance(action.keys, tuple):
            raise ActionError(f"key: keys must be a tuple, got {action.keys!r}")
        return Key(send_chord(action.keys))
    return action


def validate(action: Action, screen: tuple[int, int] | None = None) -> None:
    """Raise ``ActionError`` for an action the actuator refuses; ``screen`` is (width,
    height) of the virtual screen when known."""
    if isinstance(action, Click):
        _point(action.x, action.y, screen)
        if action.button not in MOUSE_BUTTONS:
            raise ActionError(f"click: unknown button {action.button!r}")
        if isinstance(action.count, bool) or not isinstance(action.count, int) or not (
                1 <= action.count <= MAX_CLICK_COUNT):
            raise ActionError(f"click: count must be 1..{MAX_CLICK_COUNT}, got {action.count!r}")
    elif isinstance(action, Move):
        _point(action.x, action.y, screen)
    elif isinstance(action, Drag):
        _point(action.x, action.y, screen)
        _point(action.to_x, action.to_y, screen)
    elif isinstance(action, Scroll):
        _point(action.x, action.y, screen)
        _clicks("scroll: dx", action.dx, MAX_SCROLL_CLICKS)
        _clicks("scroll: dy", action.dy, MAX_SCROLL_CLICKS)
    elif isinstance(action, Type):
        check_text(action.text)
    elif isinstance(action, Key):
        keys = action.keys
        if not isinstance(keys, tuple) or not 1 <= len(keys) <= MAX_CHORD_KEYS or not all(
                isinstance(k, str) and k for k in keys):
            raise ActionError(f"key: 1..{MAX_CHORD_KEYS} key names, got {keys!r}")
        if len(set(keys)) != len(keys):
            raise ActionError(f"key: a key twice in {keys!r}")
    elif isinstance(action, Wait):
        seconds = action.seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not (
                math.isfinite(seconds) and 0 <= seconds <= MAX_WAIT_SECONDS):
            raise ActionError(f"wait: seconds must be 0..{MAX_WAIT_SECONDS:g}, got {seconds!r}")


def sends_input(action: Action) -> bool:
    return isinstance(action, (Click, Move, Drag, Scroll, Type, Key))


def plan(action: Action, pace: Pacing) -> Iterator[Step]:
    """The groups and pauses of a validated action.

    >>> [s.events if isinstance(s, Group) else s for s in plan(Scroll(5, 6, 0, -2), Pacing())]
    [(('move', (5, 6)),), 0.05, (('scroll', (0, -1)),), 0.005, (('scroll', (0, -1)),)]
    """
    if isinstance(action, (Click, Move, Drag, Scroll)):
        yield Group((("move", (action.x, action.y)),))
        if pace.move_duration > 0:
            yield pace.move_duration
    if isinstance(action, Click):
        for i in range(action.count):
            if i:
                yield pace.between_clicks / 2
            yield Group((("down", (action.button,)), ("up", (action.button,))))
    elif isinstance(action, Drag):
        yield Group((("down", ("left",)),))
        steps = 8
        for i in range(1, steps + 1):
            x = round(action.x + (action.to_x - action.x) * i / steps)
            y = round(action.y + (action.to_y - action.y) * i / steps)
            yield Group((("move", (x, y)),))
            yield pace.drag_duration / steps
        yield Group((("up", ("left",)),))
    elif isinstance(action, Scroll):
        wheel = [(0, 1 if action.dy > 0 else -1)] * abs(action.dy)
        wheel += [(1 if action.dx > 0 else -1, 0)] * abs(action.dx)
        for i, click in enumerate(wheel):
            if i and pace.between_wheel > 0:
                yield pace.between_wheel
            yield Group((("scroll", click),))
    elif isinstance(action, Type):
        for n, chunk in enumerate(text_chunks(action.text, pace.chunk_chars)):
            if n and pace.between_chunks > 0:
                yield pace.between_chunks
            for char in chunk:
                yield Group((("text", (char,)),))
    elif isinstance(action, Key):
        yield Group(tuple(("key_down", (k,)) for k in action.keys)
                    + tuple(("key_up", (k,)) for k in reversed(action.keys)))
    elif isinstance(action, Wait) and action.seconds > 0:
        yield float(action.seconds)
