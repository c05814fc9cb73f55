"""Stopping an X RECORD listener: everything the server handled before the stop is delivered,
and the stop returns in bounded time even when delivery cannot finish, with no thread left
blocked on the X server."""

from __future__ import annotations

import threading
import time

import pytest

from agent.control import listeners
from agent.control.listeners import start_listener, stop_listener
from agent.control.xrecord import RecordedEvent, RecordListener
from tests.fixtures.xhands import XHands

pytestmark = pytest.mark.display


@pytest.fixture
def short_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listeners, "JOIN_SECONDS", 0.5)
    monkeypatch.setattr(listeners, "ABANDON_SECONDS", 0.5, raising=False)


def _buttons(events: list[RecordedEvent]) -> list[tuple[int, bool]]:
    return [(e.detail, e.pressed) for e in events if e.kind == "button"]


def test_every_event_before_the_stop_is_delivered(hands: XHands) -> None:
    events: list[RecordedEvent] = []
    listener = RecordListener(events.append)
    start_listener(listener)
    for _ in range(100):
        hands.click(300, 300, button=3)
    stop_listener(listener)  # at once: most are still on their way
    assert _buttons(events) == [(3, True), (3, False)] * 100
    assert not listener.is_alive()


def test_a_stop_returns_in_bounded_time_when_a_callback_is_stuck(
        hands: XHands, short_stop: None) -> None:
    inside, let_go = threading.Event(), threading.Event()
    events: list[RecordedEvent] = []

    def on_event(event: RecordedEvent) -> None:
        if event.kind != "button":
            return
        events.append(event)
        inside.set()
        let_go.wait(10)  # the first button event never returns in time

    listener = RecordListener(on_event)
    start_listener(listener)
    for _ in range(5):
        hands.click(300, 300, button=3)
    assert inside.wait(5)
    started = time.monotonic()
    stop_listener(listener)
    assert time.monotonic() - started < 1.5
    let_go.set()
    listener.join(5)
    assert not listener.is_alive()  # left its callback, then its socket: nothing blocked
    assert len(_buttons(events)) == 1  # abandoned: nothing delivered after


def test_a_listener_whose_end_of_data_never_comes_is_woken(
        hands: XHands, short_stop: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the disable never reaches the server (a lost request), the reading thread would
    wait for the next input for ever: abandoning it shuts its socket."""
    listener = RecordListener(lambda event: None)
    start_listener(listener)
    hands.click(300, 300, button=3)
    monkeypatch.setattr(listeners, "disable_record_context", lambda display, context: None)
    monkeypatch.setattr(listener, "stop", lambda: None)
    started = time.monotonic()
    stop_listener(listener)
    assert time.monotonic() - started < 1.5
    listener.join(2)
    assert not listener.is_alive()
