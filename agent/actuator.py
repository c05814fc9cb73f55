"""The ``Actuator`` seam: turn an ``Action`` into real mouse and keyboard events.

``PyAutoGuiActuator`` drives the real desktop through an input backend: on X11
``agent.xtest.XTestInput`` (XTEST on one connection that checks the desktop before every
group of events: the person's keys, modifiers, buttons and pointer, and the corner failsafe),
elsewhere ``agent.pyautogui_input.PyAutoGuiInput``. ``RecordingActuator`` is the fake for
tests: the same plan of events, no desktop.

The one design choice a reader must know: an action is first validated and spelled out as
groups of low-level events (``agent.input_plan``: one wheel click, one typed character, one
press-and-release, one chord), and every group goes through ``_send_group``, which — holding
off ``StopToken.stop`` — checks the stop, lets the backend check the person's hands, logs
the events to ``sent`` (and hands them to ``on_event``, the takeover monitor, which may
refuse them), then sends. So after a stop, a person's key press or the failsafe, not one more
group goes out; only a button the agent held down (a drag) is released.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.input_plan import (
    Group,
    Low,
    Pacing,
    canonical,
    plan,
    sends_input,
    text_chunks,
    validate,
)
from agent.stop_token import FailSafeHit, Stopped, StopToken, TakenOver
from models.actions import Action

__all__ = ["DRY_RUN_ENV", "Actuator", "DryRunError", "InputBackend", "Pacing",
           "PyAutoGuiActuator", "RecordingActuator", "SentEvent", "StopToken", "Stopped",
           "TakenOver", "text_chunks"]

DRY_RUN_ENV = "DESKHAND_DRY_RUN"


class DryRunError(RuntimeError):
    """The real actuator was asked to act while ``DESKHAND_DRY_RUN=1``."""


@dataclass(frozen=True)
class SentEvent:
    kind: str  # "move", "down", "up", "scroll", "key_down", "key_up", "text", "release"
    detail: tuple[Any, ...]
    time: float  # time.monotonic() just before it was sent
    codes: tuple[int, ...] = ()  # X keycodes it presses, in order (Shift first); () unknown


class Actuator(Protocol):
    def execute(self, action: Action) -> None: ...


class InputBackend(Protocol):
    """Where low-level events go. ``send`` checks the desktop and raises ``TakenOver`` (a
    person is acting) or ``FailSafeHit`` instead of sending."""

    screen: tuple[int, int] | None

    def begin(self, wait: Callable[[float], bool], grace: float) -> None: ...

    def end(self) -> None: ...

    def send(self, events: Sequence[Low],
             announce: Callable[[Sequence[tuple[int, ...]]], None]) -> None: ...

    def check(self) -> None: ...

    def release_held(self) -> list[Low]: ...

    def close(self) -> None: ...


CHECK_EVERY = 0.005  # seconds: how often a pause looks at the person's hands


@dataclass
class RecordingActuator:
    """The fake: records the planned events (honouring stop and wait) without a desktop."""

    stop_token: StopToken = field(default_factory=StopToken)
    executed: list[Action] = field(default_factory=list)
    sent: list[SentEvent] = field(default_factory=list)
    event_delay: float = 0.0  # per group of events, to simulate real pacing
    screen: tuple[int, int] | None = None

    def execute(self, action: Action) -> None:
        action = canonical(action)
        validate(action, self.screen)
        for step in plan(action, Pacing(move_duration=0.0, between_clicks=0.0,
                                        between_chunks=0.0, drag_duration=0.0,
                                        between_wheel=0.0)):
            if isinstance(step, Group):
                if self.event_delay and self.stop_token.wait(self.event_delay):
                    raise Stopped(self.stop_token.reason)
                with self.stop_token.holding():
                    if self.stop_token.stopped:
                        raise Stopped(self.stop_token.reason)
                    now = time.monotonic()
                    self.sent.extend(SentEvent(kind, detail, now) for kind, detail in
                                     step.events)
            elif self.stop_token.wait(step):
                raise Stopped(self.stop_token.reason)
        self.executed.append(action)


def default_backend() -> InputBackend:
    if sys.platform.startswith("linux"):
        from agent.xtest import XTestInput

        return XTestInput()
    from agent.pyautogui_input import PyAutoGuiInput

    return PyAutoGuiInput()


class PyAutoGuiActuator:
    """The real desktop. Refuses to act when ``DESKHAND_DRY_RUN=1``.

    The corner failsafe stays on: the pointer in a screen corner stops the agent (token
    reason ``"failsafe"``) before the next group of events, mid-action included.
    """

    def __init__(self, stop_token: StopToken | None = None, pacing: Pacing | None = None,
                 on_event: Callable[[SentEvent], None] | None = None,
                 backend: InputBackend | None = None) -> None:
        if os.environ.get(DRY_RUN_ENV) == "1":
            raise DryRunError(f"{DRY_RUN_ENV}=1: the real actuator will not run")
        self._input = backend if backend is not None else default_backend()
        self.stop_token = stop_token or StopToken()
        self.pacing = pacing or Pacing()
        self.sent: list[SentEvent] = []
        self._on_event = on_event
        self._lock = threading.Lock()  # one action at a time

    def close(self) -> None:
        """Close the backend's X connection now (a finaliser would fail once X is gone)."""
        self._input.close()

    def execute(self, action: Action) -> None:
        if os.environ.get(DRY_RUN_ENV) == "1":
            raise DryRunError(f"{DRY_RUN_ENV}=1: the real actuator will not run")
        action = canonical(action)  # the keys the gate decided on, or refused
        validate(action, self._input.screen)  # before anything is sent
        with self._lock:
            if self.stop_token.stopped:
                raise Stopped(self.stop_token.reason)
            try:
                if sends_input(action):
                    self._input.begin(self.stop_token.wait, self.pacing.release_grace)
                try:
                    self._run(action)
                finally:
                    if sends_input(action):
                        self._input.end()
            except FailSafeHit:
                self.stop_token.stop("failsafe")
                self._release_held()
                raise Stopped("failsafe") from None
            except Stopped:
                self._release_held()
                raise

    def _run(self, action: Action) -> None:
        watch = sends_input(action)  # a wait action is not watched: the loop's pause is
        for step in plan(action, self.pacing):
            if isinstance(step, Group):
                self._send_group(step.events)
            else:
                self._pause(step, watch)

    def _pause(self, seconds: float, watch: bool) -> None:
        """Sleep, woken at once by a stop and, with ``watch``, within ``CHECK_EVERY`` by the
        person's hands (a drag's button is then let go of at once)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.stop_token.wait(min(left, CHECK_EVERY) if watch else left):
                raise Stopped(self.stop_token.reason)
            if watch:
                self._input.check()

    def _send_group(self, events: Sequence[Low]) -> None:
        """Check the stop, let the backend check the desktop, log, send — with ``stop()``
        held off, so a stop that returned is never followed by an event."""
        with self.stop_token.holding():
            if self.stop_token.stopped:
                raise Stopped(self.stop_token.reason)

            def announce(codes: Sequence[tuple[int, ...]]) -> None:
                now = time.monotonic()
                logged = [SentEvent(kind, detail, now, tuple(code))
                          for (kind, detail), code in zip(events, codes, strict=True)]
                if self._on_event is not None:
                    for event in logged:  # the monitor may refuse: then nothing is sent
                        self._on_event(event)
                self.sent.extend(logged)

            self._input.send(events, announce)

    def _release_held(self) -> None:
        """After a stop: release what the agent holds (a drag's button), and log it."""
        try:
            released = self._input.release_held()
        except Exception:  # the display is gone: nothing is held any more either
            return
        now = time.monotonic()
        self.sent.extend(SentEvent("release", detail, now) for _, detail in released)
