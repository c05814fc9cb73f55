"""The "let me do it" recorder: the person's own input, recorded as Deskhand actions.

While the agent is paused the person acts; ``UserActionRecorder`` listens and folds the raw
events into the action vocabulary, which the loop stores as the corrected action:
a press and release close together is a click (repeated within the double-click time: one
click with a count), far apart a drag; wheel clicks at one point add up to one scroll;
printable keys merge into one ``type`` (backspace edits it); a fold never grows past the
vocabulary's bounds (a fourth click, a 51st wheel click, the 10,001st character start a new
action), so what is recorded always reads back (side buttons, button 8 and up, which no
click names, are left out); a key with Ctrl, Alt or Win held is a chord; other named keys
(enter, tab, arrows, esc, ...) are single ``key`` actions. A key action the actuator could
not press on replay (F13 and up, a shortcut read on a first group that is not Latin, such
as ctrl+é on AZERTY) fails ``validate`` and is left out, like a key nobody can name.

The one design choice a reader must know: events are folded as they arrive (``snapshot``
shows the actions so far), and anything that started before the recorder did — a release
with no press, a modifier already held — is ignored, so the click that opened "let me do
it" never becomes part of the recording; clicks inside ``ignore`` regions (Deskhand's own
window, where the person will press "done") are dropped.

On X11 it listens to one X RECORD stream (``xrecord.RecordListener``): keys and buttons in the
order the server handled them, every event the server handled before ``finish`` delivered, and
keys named as pynput names them (``xkeys``). pynput's two listeners put the mouse and the
keyboard on two threads (a click then typing came back under load as the typing then the
click) and drop what is still in flight once stopped (a click just before ``finish`` was
lost). Elsewhere, or with another pynput backend chosen (``PYNPUT_BACKEND``), pynput listens.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from agent.control.keys import key_name
from agent.control.listeners import ListenerGroup
from agent.control.xrecord import BUTTONS, WHEEL, RecordedEvent, RecordListener
from agent.screen import Rect
from models.actions import (
    MAX_CLICK_COUNT,
    MAX_SCROLL_CLICKS,
    MAX_TEXT_CHARS,
    MOUSE_BUTTONS,
    Action,
    ActionError,
    Click,
    Drag,
    Key,
    Scroll,
    Type,
    validate,
)

CHORD_MODIFIERS = ("ctrl", "alt", "shift", "win")  # the order chords are written in
_MODIFIERS = frozenset({*CHORD_MODIFIERS, "altgr"})


@dataclass(frozen=True)
class RecorderSettings:
    double_click_seconds: float = 0.5
    double_click_pixels: float = 4.0
    drag_pixels: float = 8.0  # a release this far from its press makes a drag
    scroll_pixels: float = 16.0  # wheel clicks this close together make one scroll


def _far(a: tuple[int, int], b: tuple[int, int], limit: float) -> bool:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5) >= limit


class UserActionRecorder(ListenerGroup):
    """``with UserActionRecorder() as rec: ...person acts...; actions = rec.finish()``."""

    def __init__(self, settings: RecorderSettings | None = None, ignore: Sequence[Rect] = (),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or RecorderSettings()
        self.ignore = tuple(ignore)
        self._clock = clock
        self._lock = threading.Lock()
        self._actions: list[Action] = []
        self._text = ""
        self._held: set[str] = set()
        self._press: tuple[int, int, str] | None = None
        self._last_click_at = float("-inf")
        self._listeners: list[Any] = []

    # -- the result -----------------------------------------------------------------------
    def snapshot(self) -> list[Action]:
        """The actions so far, text being typed included."""
        with self._lock:
            return self._actions + ([Type(self._text)] if self._text else [])

    def finish(self) -> list[Action]:
        """Stop listening and return the recorded actions."""
        self.stop()
        with self._lock:
            self._flush_text()
            return list(self._actions)

    # -- folding (callable directly, e.g. by tests) ---------------------------------------
    def mouse_press(self, x: int, y: int, button: str) -> None:
        if button not in MOUSE_BUTTONS:
            return  # a side button (back, forward: button8...): no click action names it
        with self._lock:
            self._flush_text()
            self._press = (int(x), int(y), button)

    def mouse_release(self, x: int, y: int, button: str) -> None:
        if button not in MOUSE_BUTTONS:
            return
        with self._lock:
            press, self._press = self._press, None
            if press is None or press[2] != button or self._ignored(press[0], press[1]):
                return
            start, end = (press[0], press[1]), (int(x), int(y))
            if button == "left" and _far(start, end, self.settings.drag_pixels):
                self._actions.append(Drag(*start, *end))
                return
            now, last = self._clock(), self._actions[-1] if self._actions else None
            if (isinstance(last, Click) and last.button == button
                    and last.count < MAX_CLICK_COUNT
                    and now - self._last_click_at <= self.settings.double_click_seconds
                    and not _far((last.x, last.y), start, self.settings.double_click_pixels)):
                self._actions[-1] = replace(last, count=last.count + 1)
            else:
                self._actions.append(Click(*start, button=button))
            self._last_click_at = now

    def wheel(self, x: int, y: int, dx: int, dy: int) -> None:
        with self._lock:
            if self._ignored(int(x), int(y)):
                return
            self._flush_text()
            last = self._actions[-1] if self._actions else None
            if isinstance(last, Scroll) and not _far((last.x, last.y), (int(x), int(y)),
                                                     self.settings.scroll_pixels) and max(
                    abs(last.dx + int(dx)), abs(last.dy + int(dy))) <= MAX_SCROLL_CLICKS:
                folded = replace(last, dx=last.dx + int(dx), dy=last.dy + int(dy))
                if folded.dx or folded.dy:
                    self._actions[-1] = folded
                else:  # down and up again: no scroll at all
                    self._actions.pop()
            elif dx or dy:
                self._actions.append(Scroll(int(x), int(y), int(dx), int(dy)))

    def key_press(self, name: str | None) -> None:
        if name is None:
            return  # a key nobody can name (e.g. a borrowed keycode): nothing to record
        with self._lock:
            if name in _MODIFIERS:
                self._held.add(name)
                return
            if self._held & {"ctrl", "alt", "win"}:
                self._flush_text()
                mods = tuple(m for m in CHORD_MODIFIERS if m in self._held)
                self._add_key((*mods, name.lower()))
            elif len(name) == 1 and name.isprintable():
                self._text += name
            elif name == "space":
                self._text += " "
            elif name == "backspace" and self._text:
                self._text = self._text[:-1]
            else:
                self._flush_text()
                shift = ("shift",) if "shift" in self._held else ()
                self._add_key((*shift, name))

    def key_release(self, name: str | None) -> None:
        with self._lock:
            self._held.discard(name or "")

    def _add_key(self, keys: tuple[str, ...]) -> None:
        try:
            self._actions.append(validate(Key(keys)))
        except ActionError:  # the actuator could not press it: it would never read back
            pass

    def _flush_text(self) -> None:
        for start in range(0, len(self._text), MAX_TEXT_CHARS):
            self._actions.append(Type(self._text[start:start + MAX_TEXT_CHARS]))
        self._text = ""

    def _ignored(self, x: int, y: int) -> bool:
        return any(r.left <= x < r.left + r.width and r.top <= y < r.top + r.height
                   for r in self.ignore)

    # -- listening ------------------------------------------------------------------------
    def _make_listeners(self) -> list[Any]:
        if uses_x_record():
            return [RecordListener(self._recorded, name_keys=True)]
        from pynput import keyboard, mouse

        def on_click(x: int, y: int, button: Any, pressed: bool, *_: Any) -> None:
            name = str(getattr(button, "name", button))
            (self.mouse_press if pressed else self.mouse_release)(x, y, name)

        return [
            mouse.Listener(on_click=on_click,
                           on_scroll=lambda x, y, dx, dy, *_: self.wheel(x, y, dx, dy)),
            keyboard.Listener(on_press=lambda key, *_: self.key_press(key_name(key)),
                              on_release=lambda key, *_: self.key_release(key_name(key))),
        ]

    def _recorded(self, event: RecordedEvent) -> None:
        """One event of the X RECORD stream, folded as pynput's would be."""
        if event.kind == "key":
            (self.key_press if event.pressed else self.key_release)(event.name)
        elif event.kind != "button":
            return
        elif event.detail in WHEEL:
            if event.pressed:
                self.wheel(event.x, event.y, *WHEEL[event.detail])
        else:
            button = BUTTONS.get(event.detail, f"button{event.detail}")  # pynput's names
            (self.mouse_press if event.pressed else self.mouse_release)(event.x, event.y, button)


def uses_x_record() -> bool:
    """Whether the recorder listens through X RECORD: on Linux, unless a pynput backend other
    than X11's is chosen (``PYNPUT_BACKEND``, e.g. ``uinput``: that one keeps pynput)."""
    if not sys.platform.startswith("linux"):
        return False
    chosen = {os.environ.get(name, "") for name in (
        "PYNPUT_BACKEND", "PYNPUT_BACKEND_KEYBOARD", "PYNPUT_BACKEND_MOUSE")} - {""}
    return chosen <= {"xorg"}
