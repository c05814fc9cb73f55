"""Takeover: a person's input while the agent acts pauses it; the agent's own input never does."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from agent.actuator import (
    Pacing,
    PyAutoGuiActuator,
    SentEvent,
    Stopped,
    StopToken,
    TakenOver,
)
from agent.control.takeover import TakeoverMonitor, Tolerance
from models.actions import Action, Click, Drag, Key, Move, Scroll, Type
from tests.fixtures.probe import Probe


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _sent(kind: str, *detail: object) -> SentEvent:
    return SentEvent(kind, tuple(detail), 0.0)


def _monitor() -> tuple[TakeoverMonitor, FakeClock, list[str]]:
    clock, calls = FakeClock(), []
    return TakeoverMonitor(calls.append, Tolerance(pixels=2, window=1.0), clock), clock, calls


def test_the_agents_own_events_match_what_it_sent() -> None:
    monitor, clock, calls = _monitor()
    monitor.note(_sent("move", 100, 100))
    monitor.seen_move(100, 100)
    monitor.note(_sent("move", 300, 100))
    monitor.seen_move(200, 101)  # an intermediate position on the agent's path
    monitor.seen_move(300, 100)
    monitor.note(_sent("down", "left"))
    monitor.seen_press(300, 100, "left")
    monitor.note(_sent("scroll", 0, -2))
    monitor.seen_scroll(300, 100, 0, -1)
    monitor.seen_scroll(300, 100, 0, -1)
    monitor.note(_sent("text", "Hé!"))
    for name in ("shift", "h", None, "shift", "!"):
        monitor.seen_key(name)
    monitor.note(_sent("key_down", "ctrl"))
    monitor.note(_sent("key_down", "s"))
    monitor.seen_key("ctrl")
    monitor.seen_key("s")
    clock.now += 60
    monitor.seen_move(300, 100)  # the pointer still where the agent left it: any time later
    assert calls == [] and not monitor.paused.is_set()


@pytest.mark.parametrize("person", [
    lambda m: m.seen_move(700, 700),
    lambda m: m.seen_press(300, 100, "left"),
    lambda m: m.seen_press(300, 100, "right"),
    lambda m: m.seen_scroll(300, 100, 0, 1),
    lambda m: m.seen_key("a"),
    lambda m: m.seen_key(None),
    lambda m: m.seen_key("shift"),
])
def test_anything_else_is_a_person_and_pauses_once(
        person: Callable[[TakeoverMonitor], None]) -> None:
    monitor, clock, calls = _monitor()
    monitor.note(_sent("move", 300, 100))
    monitor.note(_sent("down", "left"))
    monitor.seen_press(300, 100, "left")  # the agent's press is used up
    monitor.note(_sent("text", "xyz"))
    person(monitor)
    person(monitor)
    assert monitor.paused.is_set() and len(calls) == 1
    monitor.resume()
    assert not monitor.paused.is_set()
    monitor.seen_key("q")
    assert len(calls) == 2, "after resume the next foreign input pauses again"


def test_expectations_expire_after_the_window() -> None:
    monitor, clock, calls = _monitor()
    monitor.note(_sent("down", "left"))
    monitor.note(_sent("text", "a"))
    clock.now += 1.5
    monitor.seen_key("a")
    assert monitor.paused.is_set() and calls == ["key a pressed"]
    monitor.seen_press(0, 0, "left")
    assert len(calls) == 1


def test_wait_until_idle() -> None:
    monitor = TakeoverMonitor()
    assert monitor.wait_until_idle(0.0)
    monitor.seen_key("a")
    assert not monitor.wait_until_idle(30, timeout=0.05)
    assert monitor.wait_until_idle(0.1, timeout=30)


# -- under a real X display --------------------------------------------------------------

@pytest.fixture
def watched(probe: Probe, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[tuple[PyAutoGuiActuator, TakeoverMonitor, list[str]]]:
    monkeypatch.delenv("DESKHAND_DRY_RUN", raising=False)
    subprocess.run(["xdotool", "mousemove", "960", "540"], check=True, timeout=10)
    calls: list[str] = []
    with TakeoverMonitor(calls.append) as monitor:
        actuator = PyAutoGuiActuator(StopToken(), Pacing(move_duration=0.02),
                                     on_event=monitor.note)
        try:
            yield actuator, monitor, calls
        finally:
            actuator.close()


def _poll(condition: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.mark.display
def test_the_actuator_alone_never_pauses(
        watched: tuple[PyAutoGuiActuator, TakeoverMonitor, list[str]]) -> None:
    actuator, monitor, calls = watched
    actions: list[Action] = [
        Click(400, 640), Type("Hello, wörld 東京 ok"), Key(("ctrl", "a")), Key(("end",)),
        Type("\n"), Click(300, 200, "right"), Click(350, 250, "left", 2),
        Scroll(500, 300, 0, -3), Scroll(500, 300, 0, 2), Drag(100, 100, 400, 300),
        Click(400, 640), Type("ÀÉÎõü ßæøå ΩΣж 東京✓€ «»¿¡ ~!@#$%^&*()_+{}|:\"<>?\t"),
        Type("éèêëēėę" * 3), Key(("Control_L", "Return")), Key(("shift", "Tab")),
        Key(("ctrl", "shift", "End")), Key(("KP_Enter",)), Key(("alt", "e")),
        Type("Mixed 12 ÄÖÜ äöü 東 a東b京c"), Scroll(500, 300, 4, 0), Move(700, 500)]
    for action in actions:
        actuator.execute(action)
    assert _poll(lambda: monitor.last_seen_pointer == (700, 500)), "the listener caught up"
    time.sleep(0.3)  # anything still in flight has arrived
    assert calls == [] and not monitor.paused.is_set()


def _act_until_paused(actuator: PyAutoGuiActuator, monitor: TakeoverMonitor) -> None:
    try:
        for i in range(60):
            if monitor.paused.is_set():
                return
            actuator.execute(Move(200 + 7 * i, 300 + 3 * i))
            actuator.execute(Type("0123456789"))
    except Stopped:
        return


@pytest.mark.display
@pytest.mark.parametrize("command", [("mousemove", "700", "700"), ("key", "a"),
                                     ("click", "1")])
def test_a_person_acting_during_actuation_pauses(
        watched: tuple[PyAutoGuiActuator, TakeoverMonitor, list[str]],
        command: tuple[str, ...]) -> None:
    actuator, monitor, calls = watched
    actuator.execute(Click(400, 640))
    agent = threading.Thread(target=_act_until_paused, args=(actuator, monitor))
    agent.start()
    try:
        assert _poll(lambda: len(actuator.sent) > 10), "the agent is acting"
        assert not monitor.paused.is_set(), f"false takeover: {monitor.description}"
        subprocess.run(["xdotool", *command], check=True, timeout=10)
        assert _poll(monitor.paused.is_set), "the person's input paused the agent"
    finally:
        actuator.stop_token.stop("test over")
        agent.join(timeout=30)
    assert len(calls) == 1
    expected = {"mousemove": "(700, 700)", "key": "key a", "click": "left button"}[command[0]]
    assert expected in calls[0]


# -- keys are told apart by keycode ------------------------------------------------------

def _typed(char: str, *codes: int) -> SentEvent:
    return SentEvent("text", (char,), 0.0, codes)


def test_keys_match_by_keycode_whatever_name_the_listener_reads() -> None:
    monitor, clock, calls = _monitor()
    # a borrowed keycode read through a stale keymap: another letter, or nothing at all
    monitor.note(_typed("東", 248))
    monitor.seen_key("é", 248)
    monitor.note(_typed("é", 248))
    monitor.seen_key(None, 248)
    monitor.note(_typed("Ω", 248))
    monitor.seen_key("keycode 248", 248)
    # a shifted character: Shift's keycode, then the key's, reported by their own names
    monitor.note(_typed("!", 50, 10))
    monitor.seen_key("shift", 50)
    monitor.seen_key("!", 10)
    # a chord spelled with a keysym name
    monitor.note(SentEvent("key_down", ("Control_L",), 0.0, (37,)))
    monitor.note(SentEvent("key_down", ("Return",), 0.0, (36,)))
    monitor.seen_key("ctrl", 37)
    monitor.seen_key("enter", 36)
    assert calls == [] and not monitor.paused.is_set()


@pytest.mark.parametrize("seen", [("東", 247), ("a", 38), (None, 249), ("shift", 50)])
def test_a_keycode_the_agent_did_not_press_is_a_person(seen: tuple[str | None, int]) -> None:
    monitor, clock, calls = _monitor()
    monitor.note(_typed("東", 248))
    monitor.note(_typed("b", 56))
    monitor.seen_key(*seen)
    assert monitor.paused.is_set() and len(calls) == 1


def test_a_key_the_agent_pressed_once_counts_once() -> None:
    monitor, clock, calls = _monitor()
    monitor.note(_typed("a", 38))
    monitor.seen_key("a", 38)
    monitor.seen_key("a", 38)  # the person pressed the same key right after
    assert calls == ["key a pressed"]


def test_while_paused_the_monitor_refuses_the_agents_next_event() -> None:
    monitor, clock, calls = _monitor()
    monitor.seen_key("q", 24)
    with pytest.raises(TakenOver, match="key q pressed"):
        monitor.note(_typed("a", 38))
    monitor.resume()
    monitor.note(_typed("a", 38))


def _map_spare_keycodes(keysym: int) -> None:
    """Map every empty keycode to ``keysym`` (0: back to empty), as if an agent had been
    typing with borrowed keycodes when a listener started."""
    from Xlib import display

    disp = display.Display()
    try:
        first = disp.display.info.min_keycode
        count = disp.display.info.max_keycode - first + 1
        mapping = disp.get_keyboard_mapping(first, count)
        for i, syms in enumerate(mapping):
            if first + i > 8 and not any(s for s in syms if s not in (0, 0xE9)):
                disp.change_keyboard_mapping(first + i, [(keysym, keysym)])
        disp.sync()
    finally:
        disp.close()


@pytest.mark.display
def test_a_listener_that_read_a_borrowed_keymap_still_knows_the_agents_keys(
        probe: Probe, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESKHAND_DRY_RUN", raising=False)
    calls: list[str] = []
    _map_spare_keycodes(0xE9)  # é on every spare keycode while the listener starts
    try:
        monitor = TakeoverMonitor(calls.append)
        monitor.start()
    finally:
        _map_spare_keycodes(0)
    actuator = PyAutoGuiActuator(StopToken(), Pacing(move_duration=0.02), on_event=monitor.note)
    try:
        actuator.execute(Click(400, 640))
        actuator.execute(Type("東京 ж Ω ✓ " * 3))
        actuator.execute(Move(650, 450))
        assert _poll(lambda: monitor.last_seen_pointer == (650, 450)), "the listener caught up"
        time.sleep(0.3)
    finally:
        actuator.close()
        monitor.stop()
    assert calls == [] and not monitor.paused.is_set()
