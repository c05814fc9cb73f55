"""The ``Actuator`` seam: turn an ``Action`` into real mouse and keyboard events.

``PyAutoGuiActuator`` drives the real desktop (pyautogui for the mouse and key chords with
``PAUSE=0`` and our own pacing; text through XTEST with keycode borrowing on X11
(``agent.x11.XTestTyper``), because pyautogui types only what the keymap holds and pynput's
controller sends synthetic events many programs ignore; pynput's controller elsewhere).
``RecordingActuator`` is the fake for tests.

The one design choice a reader must know: every single low-level event goes through
``_send``, which checks the ``StopToken`` first. After a stop no further event is sent — text
is typed a few characters at a time so a stop cuts in mid-typing — and every sent event is
appended to ``sent`` so the takeover detector can tell the agent's own events from a person's.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from models.actions import Action, Click, Drag, Key, Move, Scroll, Type, Wait
from models.keys import pyautogui_name, send_chord

DRY_RUN_ENV = "DESKHAND_DRY_RUN"


class Stopped(Exception):
    """The stop token fired: the action was cut short and nothing more was sent."""


class DryRunError(RuntimeError):
    """The real actuator was asked to act while ``DESKHAND_DRY_RUN=1``."""


class StopToken:
    """A one-way switch shared by the Stop button, the hotkey, the failsafe and the loop."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def stop(self, reason: str = "stop") -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if stopped meanwhile (wakes at once on stop)."""
        return self._event.wait(seconds)


@dataclass(frozen=True)
class SentEvent:
    kind: str  # "move", "down", "up", "scroll", "key_down", "key_up", "text"
    detail: tuple[Any, ...]
    time: float


@dataclass(frozen=True)
class Pacing:
    """Human-like but brisk pacing between low-level events (seconds)."""

    move_duration: float = 0.05
    between_clicks: float = 0.06
    chunk_chars: int = 4
    between_chunks: float = 0.01
    drag_duration: float = 0.3


def text_chunks(text: str, size: int) -> list[str]:
    """ASCII runs in chunks of ``size``; every other character on its own (it may need a
    keyboard remap, which is slow, so a stop gets a chance between them).

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


class Actuator(Protocol):
    def execute(self, action: Action) -> None: ...


SendSpec = tuple[str, tuple[Any, ...], Callable[[], object]]


@dataclass
class RecordingActuator:
    """The fake: records actions (and honours stop and wait) without touching the desktop."""

    stop_token: StopToken = field(default_factory=StopToken)
    executed: list[Action] = field(default_factory=list)
    sent: list[SentEvent] = field(default_factory=list)
    event_delay: float = 0.0  # per recorded low-level event, to simulate real pacing

    def execute(self, action: Action) -> None:
        for kind, detail in _events_of(action):
            if self.stop_token.stopped:
                raise Stopped(self.stop_token.reason)
            if self.event_delay and self.stop_token.wait(self.event_delay):
                raise Stopped(self.stop_token.reason)
            self.sent.append(SentEvent(kind, detail, time.monotonic()))
        if isinstance(action, Wait) and self.stop_token.wait(action.seconds):
            raise Stopped(self.stop_token.reason)
        self.executed.append(action)


def _events_of(action: Action) -> list[tuple[str, tuple[Any, ...]]]:
    """The low-level events an action becomes (what the recording fake logs)."""
    if isinstance(action, Click):
        one = [("down", (action.button,)), ("up", (action.button,))]
        return [("move", (action.x, action.y))] + one * action.count
    if isinstance(action, Move):
        return [("move", (action.x, action.y))]
    if isinstance(action, Drag):
        return [("move", (action.x, action.y)), ("down", ("left",)),
                ("move", (action.to_x, action.to_y)), ("up", ("left",))]
    if isinstance(action, Scroll):
        return [("move", (action.x, action.y)), ("scroll", (action.dx, action.dy))]
    if isinstance(action, Type):
        return [("text", (chunk,)) for chunk in text_chunks(action.text, Pacing.chunk_chars)]
    if isinstance(action, Key):
        return ([("key_down", (k,)) for k in action.keys]
                + [("key_up", (k,)) for k in reversed(action.keys)])
    return []


class PyAutoGuiActuator:
    """The real desktop. Refuses to act when ``DESKHAND_DRY_RUN=1``.

    pyautogui's corner failsafe stays on: throwing the mouse into a screen corner raises
    its ``FailSafeException``, which this class turns into a stop.
    """

    def __init__(self, stop_token: StopToken | None = None, pacing: Pacing | None = None,
                 on_event: Callable[[SentEvent], None] | None = None) -> None:
        if os.environ.get(DRY_RUN_ENV) == "1":
            raise DryRunError(f"{DRY_RUN_ENV}=1: the real actuator will not run")
        import pyautogui

        self._gui: Any = pyautogui
        self._gui.PAUSE = 0  # we pace ourselves, so a stop is never stuck in a sleep
        self._gui.FAILSAFE = True
        self._keyboard: Any
        if sys.platform == "linux":
            from agent.x11 import XTestTyper

            self._keyboard = XTestTyper()
        else:
            from pynput.keyboard import Controller

            self._keyboard = Controller()
        self.stop_token = stop_token or StopToken()
        self.pacing = pacing or Pacing()
        self.sent: list[SentEvent] = []
        self._on_event = on_event
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the typer's X connection now (a finaliser would fail once X is gone)."""
        close = getattr(self._keyboard, "close", None)
        if close is not None:
            close()

    def execute(self, action: Action) -> None:
        if os.environ.get(DRY_RUN_ENV) == "1":
            raise DryRunError(f"{DRY_RUN_ENV}=1: the real actuator will not run")
        try:
            self._execute(action)
        except self._gui.FailSafeException:
            self.stop_token.stop("failsafe")
            raise Stopped("failsafe") from None

    def _send(self, kind: str, detail: tuple[Any, ...], do: Callable[[], object]) -> None:
        self._send_group([(kind, detail, do)])

    def _send_group(self, events: Sequence[SendSpec]) -> None:
        """Send events that must not be split (a press and its release, a key chord): the
        stop is checked once before them, so a stop never leaves a key or button held."""
        with self._lock:
            if self.stop_token.stopped:
                raise Stopped(self.stop_token.reason)
            for kind, detail, do in events:
                event = SentEvent(kind, detail, time.monotonic())
                self.sent.append(event)  # logged first: the listener may see it at once
                if self._on_event is not None:
                    self._on_event(event)
                do()

    def _pause(self, seconds: float) -> None:
        if seconds > 0 and self.stop_token.wait(seconds):
            raise Stopped(self.stop_token.reason)

    def _move(self, x: int, y: int) -> None:
        self._send("move", (x, y), lambda: self._gui.moveTo(x, y))
        self._pause(self.pacing.move_duration)

    def _execute(self, action: Action) -> None:
        gui, pace = self._gui, self.pacing
        if isinstance(action, Click):
            self._move(action.x, action.y)
            for i in range(action.count):
                self._send_group([
                    ("down", (action.button,),
                     lambda: gui.mouseDown(action.x, action.y, button=action.button)),
                    ("up", (action.button,),
                     lambda: gui.mouseUp(action.x, action.y, button=action.button))])
                if i + 1 < action.count:
                    self._pause(pace.between_clicks / 2)
        elif isinstance(action, Move):
            self._move(action.x, action.y)
        elif isinstance(action, Drag):
            self._move(action.x, action.y)
            self._send("down", ("left",), lambda: gui.mouseDown(button="left"))
            try:
                steps = 8
                for i in range(1, steps + 1):
                    x = round(action.x + (action.to_x - action.x) * i / steps)
                    y = round(action.y + (action.to_y - action.y) * i / steps)
                    self._send("move", (x, y), partial(gui.moveTo, x, y))
                    self._pause(pace.drag_duration / steps)
            except Stopped:
                gui.mouseUp(button="left")  # the one event after a stop: never leave it held
                raise
            self._send("up", ("left",), lambda: gui.mouseUp(button="left"))
        elif isinstance(action, Scroll):
            self._move(action.x, action.y)
            if action.dy:
                self._send("scroll", (0, action.dy), lambda: gui.scroll(action.dy))
            if action.dx:
                self._send("scroll", (action.dx, 0), lambda: gui.hscroll(action.dx))
        elif isinstance(action, Type):
            for chunk in text_chunks(action.text, pace.chunk_chars):
                self._send("text", (chunk,), partial(self._keyboard.type, chunk))
                self._pause(pace.between_chunks)
        elif isinstance(action, Key):
            keys = send_chord(action.keys)  # the names the gate decided on; refuses unknown ones
            chord: list[SendSpec] = [("key_down", (k,), partial(gui.keyDown, pyautogui_name(k)))
                                     for k in keys]
            chord += [("key_up", (k,), partial(gui.keyUp, pyautogui_name(k)))
                      for k in reversed(keys)]
            self._send_group(chord)
        elif isinstance(action, Wait):
            self._pause(action.seconds)
        # done / fail / ask_user / shell send no input: the loop handles them
