"""The desktop side both faces share (``app.episode_controls``): the person's answers hold the
takeover monitor, the focus goes back to the person's window before the agent looks or acts,
and one lock and one ``SetupError`` for every face."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest

from agent.actuator import RecordingActuator
from agent.control.takeover import TakeoverMonitor
from agent.paths import Paths
from agent.screen import FakeScreen
from agent.user_gate import APPROVE, StepView, UserDecision
from app.episode_controls import (
    DesktopEpisode,
    FocusedActuator,
    FocusedScreen,
    SetupError,
    hold_episode_lock,
)
from models.actions import Click, Done, Type
from tests.fakes.gate import ScriptedGate
from tests.fixtures.store import make_screenshot


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Keeper:
    """Stands for ``FocusKeeper``: counts what it was asked."""

    calls: list[str] = field(default_factory=list)

    def note(self, window: int | None = None) -> None:
        self.calls.append("note")

    def give_back(self) -> bool:
        self.calls.append("give_back")
        return False


class PressingGate(ScriptedGate):
    """The person answers with a key press (as the listener will see it) before deciding."""

    def __init__(self, monitor: TakeoverMonitor) -> None:
        super().__init__(decisions=[APPROVE])
        self.monitor = monitor

    def review(self, step: StepView) -> UserDecision:
        self.monitor.seen_key("enter")
        self.monitor.seen_move(5, 5)
        return super().review(step)


def _view() -> StepView:
    observation = FakeScreen([make_screenshot(1, 20, 30)]).capture()
    return StepView(1, 1, 0, "task", observation, Click(1, 1), "", "")


def test_answers_to_the_gate_never_pause_and_a_hand_after_the_grace_does() -> None:
    clock = Clock()
    monitor = TakeoverMonitor(None, clock=clock, grace=1.0)
    keeper = Keeper()
    desktop = DesktopEpisode(screen=FakeScreen([]), actuator=None, monitors=[],
                             takeover=monitor, focus=keeper)  # type: ignore[arg-type]
    gate = desktop.gate(PressingGate(monitor))
    assert gate.review(_view()) == APPROVE
    assert not monitor.paused.is_set()
    assert keeper.calls == ["note", "note"], "the person's window is noted before and after"
    clock.now += 2
    monitor.seen_move(50, 50)
    assert monitor.paused.is_set() and desktop.paused is monitor.paused
    assert desktop.resume() and not monitor.paused.is_set() and not desktop.resume()


def test_the_focus_goes_back_before_each_screenshot_and_each_input() -> None:
    keeper = Keeper()
    screen = FocusedScreen(FakeScreen([make_screenshot(1, 20, 30)]), keeper)  # type: ignore[arg-type]
    actuator = RecordingActuator()
    acting = FocusedActuator(actuator, keeper)  # type: ignore[arg-type]
    screen.capture()
    assert keeper.calls == ["give_back", "note"]
    keeper.calls.clear()
    acting.execute(Type("hi"))
    acting.execute(Done("ok"))  # sends nothing: the focus is left alone
    assert keeper.calls == ["give_back"] and actuator.executed == [Type("hi"), Done("ok")]


def test_one_lock_for_every_face(home: Paths) -> None:
    with ExitStack() as first:
        hold_episode_lock(home, first)
        with ExitStack() as second, pytest.raises(SetupError, match="another episode"):
            hold_episode_lock(home, second)
    with ExitStack() as again:
        hold_episode_lock(home, again)  # free once the first episode ended
