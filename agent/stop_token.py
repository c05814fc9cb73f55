"""The stop: one switch shared by the Stop button, the hotkey, the failsafe and the loop.

``StopToken.stop()`` and the actuator's sending of one group of events exclude each other
(``holding``): the actuator checks the token and sends the group while it holds the token's
lock, so once ``stop()`` has returned not one more event goes out — not even one whose check
had passed an instant before. ``TakenOver`` is the other way an action is cut short: the
person is using the keyboard or mouse, so the agent lets go (and waits) without ending.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager


class Stopped(Exception):
    """The action was cut short and nothing more was sent (the stop token fired, or a person
    took over: see ``TakenOver``)."""


class TakenOver(Stopped):
    """A person pressed a key or button, holds one, or moved the pointer while the agent
    acted: the action was cut short before its next event. The stop token is not set — the
    episode pauses until the person hands back control (or stops it)."""


class FailSafeHit(Exception):
    """The pointer is in a screen corner (pyautogui's failsafe): the actuator stops."""


class StopToken:
    """A one-way switch; ``reason`` says who pulled it ("hotkey", "failsafe", "user", ...)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.RLock()
        self.reason = ""

    def stop(self, reason: str = "stop") -> None:
        """Set the switch. Waits for a group of events being sent to finish (a millisecond
        at most), so that nothing is sent once this returns."""
        with self._lock:
            if not self._event.is_set():
                self.reason = reason
            self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if stopped meanwhile (wakes at once on stop)."""
        return self._event.wait(seconds)

    def holding(self) -> AbstractContextManager[bool]:
        """Hold off ``stop()`` while one group of events is checked and sent."""
        return self._lock
