"""Input the person gives to Deskhand itself is never a takeover: on Deskhand's own windows,
while the person is being asked, and for a short grace after an answer or a Resume."""

from __future__ import annotations

from agent.actuator import SentEvent
from agent.control.takeover import TakeoverMonitor, Tolerance

OWN = (1000, 700, 400, 200)  # left, top, width, height of "Deskhand's window" in these tests


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _on_own(where: tuple[int, int] | None, focused_own: list[bool]) -> bool:
    if where is None:
        return focused_own[0]
    x, y = where
    left, top, width, height = OWN
    return left <= x < left + width and top <= y < top + height


def _monitor(focused_own: list[bool] | None = None,
             grace: float = 1.0) -> tuple[TakeoverMonitor, FakeClock, list[str]]:
    clock, calls = FakeClock(), []
    focus = focused_own if focused_own is not None else [False]
    monitor = TakeoverMonitor(calls.append, Tolerance(pixels=2, window=1.0), clock,
                              is_own=lambda where: _on_own(where, focus), grace=grace)
    return monitor, clock, calls


def test_clicks_moves_and_wheel_on_deskhands_windows_never_pause() -> None:
    monitor, _clock, calls = _monitor()
    monitor.seen_move(1100, 750)
    monitor.seen_press(1100, 750, "left")
    monitor.seen_scroll(1200, 800, 0, -1)
    assert calls == [] and not monitor.paused.is_set()
    monitor.seen_press(900, 750, "left")  # just outside: the person's own hand elsewhere
    assert monitor.paused.is_set() and len(calls) == 1


def test_keys_typed_into_deskhand_never_pause_and_keys_elsewhere_do() -> None:
    focus = [True]
    monitor, _clock, calls = _monitor(focus)
    for name in ("enter", "ctrl", "r", "4", None):
        monitor.seen_key(name)
    assert calls == []
    focus[0] = False
    monitor.seen_key("enter")
    assert calls == ["key enter pressed"]


def test_anything_while_the_person_is_asked_and_a_moment_after_is_theirs_to_deskhand() -> None:
    monitor, clock, calls = _monitor(grace=1.0)
    with monitor.hold():
        monitor.seen_key("enter")
        monitor.seen_move(10, 10)
        clock.now += 30  # a person may take their time to answer
        monitor.seen_press(10, 10, "left")
    clock.now += 0.9
    monitor.seen_move(20, 20)  # the hand still moving after the answer
    assert calls == []
    clock.now += 0.2
    monitor.seen_move(30, 30)
    assert calls == ["the pointer moved to (30, 30)"]


def test_a_resume_is_followed_by_the_same_grace() -> None:
    monitor, clock, calls = _monitor(grace=1.0)
    monitor.seen_key("a")
    assert monitor.paused.is_set()
    monitor.resume()
    monitor.seen_key("r")  # the R of Ctrl+R, reported after the resume it caused
    assert not monitor.paused.is_set() and len(calls) == 1
    clock.now += 1.5
    monitor.seen_key("b")
    assert monitor.paused.is_set() and len(calls) == 2


def test_the_agents_events_still_match_during_the_grace() -> None:
    """Its expectations are used up whatever the grace, so none is left for a person later."""
    monitor, clock, calls = _monitor(grace=1.0)
    with monitor.hold():
        pass
    monitor.note(SentEvent("down", ("left",), 0.0))
    monitor.seen_press(50, 50, "left")  # the agent's, within the grace
    clock.now += 1.2
    monitor.seen_press(50, 50, "left")  # a person's press, not taken for the agent's
    assert calls == ["left button pressed at (50, 50)"]


def test_a_display_that_cannot_answer_counts_the_input_as_the_persons() -> None:
    def broken(where: tuple[int, int] | None) -> bool:
        raise OSError("the X connection is gone")

    monitor = TakeoverMonitor(None, is_own=broken)
    monitor.seen_key("a")
    assert monitor.paused.is_set()
