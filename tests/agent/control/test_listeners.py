"""Stopping a listener: everything the X server handled before the stop is delivered first."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from agent.control.listeners import stop_listener


class FakeDisplay:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def record_disable_context(self, context: Any) -> None:
        self.log.append(f"server: disable {context}")

    def flush(self) -> None:
        self.log.append("server: flush")


class FakePynputListener:
    """pynput's order of things: after ``stop`` its handler drops what is still in flight;
    the server's end of data (after a disable) ends the thread once the rest is delivered."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.running = True
        self.alive = True
        self._display_stop = FakeDisplay(log)
        self._context = 7

    def stop(self) -> None:
        if not self.alive:  # its thread closed the connections on the way out
            raise ConnectionError("display connection closed")
        self.running = False
        self.log.append("stop")

    def join(self, timeout: float | None = None) -> None:
        if "server: flush" in self.log and self.alive:
            # the server sends what it recorded before the disable, then the end of data
            self.log.append("in-flight click " + ("delivered" if self.running else "dropped"))
            self.alive = False

    def is_alive(self) -> bool:
        return self.alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X RECORD is Linux's")
def test_the_last_events_are_delivered_before_the_listener_is_stopped() -> None:
    log: list[str] = []
    listener = FakePynputListener(log)
    stop_listener(listener)
    assert "in-flight click delivered" in log, log
    assert not listener.is_alive()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X RECORD is Linux's")
def test_a_listener_that_will_not_end_is_an_error() -> None:
    class Stuck(FakePynputListener):
        def join(self, timeout: float | None = None) -> None:
            pass

    with pytest.raises(RuntimeError, match="did not stop"):
        stop_listener(Stuck([]))


def test_a_listener_without_an_x_context_is_stopped_at_once() -> None:
    """No RECORD context (another backend, or not started): nothing to drain, no waiting."""
    log: list[str] = []
    listener = FakePynputListener(log)
    listener._context = None
    joins: list[float | None] = []
    real_join = listener.join

    def join(timeout: float | None = None) -> None:
        joins.append(timeout)
        if listener.running:  # a live thread that only ends after stop
            return
        listener.alive = False
        real_join(timeout)

    listener.join = join  # type: ignore[method-assign]
    stop_listener(listener)
    assert log == ["stop"] and joins == [5.0] and not listener.is_alive()
