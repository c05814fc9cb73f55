"""Start and stop pynput listeners so that stopping always ends their thread.

pynput 1.8's X11 listener asks the RECORD extension to stop on the very connection its own
thread is blocked reading, without flushing it; once any event has been recorded, ``join``
then waits until the next input event (pynput PR #583, unmerged). ``stop_listener`` also
sends the disable on the listener's second connection and flushes it, which wakes the thread
at once. Every listener in this package goes through these two functions.

A listener that can be abandoned (``xrecord.RecordListener``: it delivers everything the
server recorded before the stop, which takes as long as its callbacks take) is given
``JOIN_SECONDS`` to do so; past that it is abandoned — it delivers nothing more and its
thread is woken from its socket — so a stop returns within ``JOIN_SECONDS +
ABANDON_SECONDS`` and leaves no thread blocked on the X server.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Any, Self

JOIN_SECONDS = 5.0
ABANDON_SECONDS = 1.0  # for an abandoned listener's thread to leave its callback

log = logging.getLogger(__name__)


def start_listener(listener: Any) -> None:
    """Start and wait until the listener receives events (none is missed after this)."""
    listener.start()
    listener.wait()


def disable_record_context(display: Any, context: Any) -> None:
    """End an X RECORD context from another connection, which wakes the thread blocked in it;
    nothing when either is missing."""
    if display is None or context is None:
        return
    try:
        display.record_disable_context(context)
        display.flush()
    except Exception:  # the thread may already have closed it: it is ending anyway
        pass


def stop_listener(listener: Any) -> None:
    """Stop a started listener and wait for its thread to end."""
    listener.stop()
    if sys.platform.startswith("linux"):
        disable_record_context(getattr(listener, "_display_stop", None),
                               getattr(listener, "_context", None))
    listener.join(JOIN_SECONDS)
    if listener.is_alive() and hasattr(listener, "abandon"):
        log.warning("%s: events still being delivered after %s s; the rest are dropped",
                    type(listener).__name__, JOIN_SECONDS)
        listener.abandon()
        listener.join(ABANDON_SECONDS)
        return  # it delivers nothing more; a callback still running ends on its own
    if listener.is_alive():
        raise RuntimeError(f"{type(listener).__name__} did not stop within {JOIN_SECONDS} s")


class ListenerGroup:
    """Mouse and keyboard listeners that start and stop together (a context manager).

    Subclasses say which listeners in ``_make_listeners``; a failed start stops the ones
    already running, so no listener thread outlives its owner.
    """

    _listeners: list[Any]

    def _make_listeners(self) -> list[Any]:
        raise NotImplementedError

    def start(self) -> None:
        if getattr(self, "_listeners", None):
            return
        self._listeners = []
        for listener in self._make_listeners():
            start_listener(listener)
            self._listeners.append(listener)

    def stop(self) -> None:
        listeners, self._listeners = getattr(self, "_listeners", []), []
        for listener in listeners:
            stop_listener(listener)

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
