"""What the X server handled, in its own order: every key, button and motion event from any
client or device (``RecordListener``), for tests that must know what came after what.

A window's own log (the probe) is not enough for that: Tk hands a key pressed with Control
held to its bindings later than the keys around it, so its order is not the server's.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from agent.control.listeners import start_listener, stop_listener
from agent.control.xrecord import RecordedEvent, RecordListener


class ServerLog:
    def __init__(self) -> None:
        self.events: list[RecordedEvent] = []
        self._lock = threading.Lock()
        self._listener = RecordListener(self._add)

    def _add(self, event: RecordedEvent) -> None:
        with self._lock:
            self.events.append(event)

    def snapshot(self, settle: float = 0.3) -> list[RecordedEvent]:
        time.sleep(settle)
        with self._lock:
            return list(self.events)

    def __enter__(self) -> ServerLog:
        start_listener(self._listener)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        stop_listener(self._listener)
