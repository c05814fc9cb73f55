"""The global stop hotkey: a pynput ``GlobalHotKeys`` listener that fires ``token.stop``.

Started and stopped with the episode (a context manager). On X11 pynput reads input through
the RECORD extension, so it sees every key from every client, including the agent's own
synthetic keys: that is harmless because the agent never sends the stop chord (and xdotool's
keys in the tests count as a person's, which is what they stand for).

The one design choice a reader must know: the callback only flips the ``StopToken``; the
actuator checks the token before every group of events, so the hotkey needs no access to
the actuator — it works the same whatever thread the episode runs in. The chord's first key
(Ctrl) has by then already halted any action under way: the actuator sees a person's key
before each group (``agent.xtest``), so no event mixes with the chord's modifiers.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, Protocol

from agent.control.keys import parse_combo
from agent.control.listeners import start_listener, stop_listener

DEFAULT_COMBO = "<ctrl>+<alt>+<esc>"


class Stoppable(Protocol):
    def stop(self, reason: str = "stop") -> None: ...


class StopHotkey:
    """``with StopHotkey(token): run_episode()`` — the combo calls ``token.stop("hotkey")``.

    ``fired_at`` is the ``time.monotonic()`` of the last firing (None before), for benches.
    """

    def __init__(self, token: Stoppable, combo: str = DEFAULT_COMBO) -> None:
        parse_combo(combo)  # a bad combo fails here, before any listener starts
        self.token = token
        self.combo = combo
        self.fired_at: float | None = None
        self._listener: Any = None

    def _fire(self) -> None:
        self.fired_at = time.monotonic()
        self.token.stop("hotkey")

    def start(self) -> None:
        if self._listener is not None:
            return
        from pynput import keyboard

        listener = keyboard.GlobalHotKeys({self.combo: self._fire})
        start_listener(listener)  # live once this returns: no key is missed
        self._listener = listener

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            stop_listener(listener)

    def __enter__(self) -> StopHotkey:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
