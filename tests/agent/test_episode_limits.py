"""The episode loop's limits: budgets, parse failures, stalls, stops, pauses, and the critic."""

from __future__ import annotations

import threading
import time

from agent.actuator import RecordingActuator, StopToken, TakenOver
from agent.clock import FakeClock
from agent.critic import CriticVerdict
from agent.policy import PolicyRequest, Proposal
from agent.safety import SafetyConfig
from agent.store.repo import Store
from models.actions import Action, Click, Done, Move, Type, Wait
from tests.agent.test_episode import SCREEN_A, SCREEN_B, outcomes, rig
from tests.fakes.critic import ScriptedCritic
from tests.fakes.gate import ScriptedGate

GOOD = '<think>the button</think><answer>{"type": "click", "x": 10, "y": 10}</answer>'
BAD = "I think I should click somewhere nice"


def wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def test_unparseable_outputs_are_recorded_and_k_in_a_row_end_the_episode(store: Store) -> None:
    gate = ScriptedGate()
    r = rig(store, [BAD, GOOD, BAD, BAD, "<answer>{\"type\": \"warp\"}</answer>", GOOD],
            gate=gate, safety=SafetyConfig(max_unparseable=3))
    result = r.run()
    assert result.status == "stopped" and "could not be parsed 3 times" in result.summary
    steps = store.steps(result.episode_id)
    assert [s.outcome for s in steps] == ["parse_failed", "executed", "parse_failed",
                                          "parse_failed", "parse_failed"]
    assert steps[0].raw_output == BAD and steps[0].action is None
    assert steps[0].parse_error and "answer" in steps[0].parse_error
    assert "warp" in (steps[4].parse_error or "")
    assert len(r.actuator.executed) == 1  # a parse failure is never an action
    assert [e.kind for e in gate.events].count("parse_failure") == 4
    assert [e.kind for e in gate.events][-1] == "budget"
    assert "".join(r.tokens).startswith("I think")  # the raw output streamed


def test_the_step_budget_ends_the_episode(store: Store) -> None:
    r = rig(store, [Move(i, i) for i in range(1, 20)], safety=SafetyConfig(max_steps=3))
    result = r.run()
    assert result.status == "stopped" and "step budget" in result.summary
    assert len(store.steps(result.episode_id)) == 3 and len(r.actuator.executed) == 3


def test_the_time_budget_ends_the_episode(store: Store) -> None:
    clock = FakeClock()
    r = rig(store, [Move(i, i) for i in range(1, 20)], clock=clock,
            safety=SafetyConfig(max_minutes=1.0))
    r.runner.callbacks.on_status = lambda s: clock.advance(25) if s == "thinking" else None
    result = r.run()
    assert "time budget" in result.summary
    assert len(store.steps(result.episode_id)) == 3  # 25 s, 50 s, 75 s > 60 s


def test_a_stall_asks_the_person_and_no_stops(store: Store) -> None:
    gate = ScriptedGate(answers=[False])
    r = rig(store, [Click(10, 10), Click(11, 10), Click(10, 10)], gate=gate)
    result = r.run()
    assert len(gate.questions) == 1 and "same action" in gate.questions[0]
    assert result.status == "stopped" and result.summary.startswith("stalled")
    assert r.actuator.executed == [Click(10, 10)]
    assert outcomes(store, result.episode_id) == ["executed", "skipped"]


def test_a_stall_the_person_allows_goes_on(store: Store) -> None:
    gate = ScriptedGate(answers=[True])
    r = rig(store, [Click(10, 10), Click(10, 10), Done()], gate=gate)
    result = r.run()
    assert result.status == "done" and r.actuator.executed == [Click(10, 10)] * 2
    assert [e.kind for e in gate.events] == ["stall"]


def test_no_stall_when_the_screen_changes(store: Store) -> None:
    gate = ScriptedGate()
    r = rig(store, [Click(10, 10), Click(10, 10), Done()], gate=gate,
            images=[SCREEN_A, SCREEN_B])
    r.run()
    assert gate.questions == []


def test_critic_before_is_shown_at_the_gate_and_stored(store: Store) -> None:
    critic = ScriptedCritic([CriticVerdict("looks right", 0.9), CriticVerdict("meh", 0.2)])
    gate = ScriptedGate()
    r = rig(store, [Click(10, 10), Done()], gate=gate, approval="each", critic=critic,
            critic_mode="before")
    result = r.run("click it")
    assert [v.verdict for v in gate.reviewed] == [CriticVerdict("looks right", 0.9),
                                                  CriticVerdict("meh", 0.2)]
    steps = store.steps(result.episode_id)
    assert [(s.critic_score, s.critic_analysis) for s in steps] == [(0.9, "looks right"),
                                                                    (0.2, "meh")]
    assert critic.calls[0][:2] == ("click it", Click(10, 10))
    assert store.get_episode(result.episode_id).critic_mode == "before"


def test_critic_after_scores_executed_steps_only(store: Store) -> None:
    critic = ScriptedCritic(lambda action: CriticVerdict("", 0.5))
    gate = ScriptedGate(decisions=[])
    r = rig(store, [Click(5000, 5), Move(3, 3), Done()], gate=gate, approval="each",
            critic=critic, critic_mode="after")
    result = r.run()
    assert all(v.verdict is None for v in gate.reviewed)  # not shown before the step
    assert [a for _, a, _ in critic.calls] == [Move(3, 3), Done()]  # the blocked one: no
    assert [s.critic_score for s in store.steps(result.episode_id)] == [None, 0.5, 0.5]


def test_critic_off_is_never_called(store: Store) -> None:
    critic = ScriptedCritic([CriticVerdict("x", 1.0)])
    r = rig(store, [Move(1, 1), Done()], critic=critic, critic_mode="off")
    r.run()
    assert critic.calls == []


def test_an_unparseable_critic_gives_no_score(store: Store) -> None:
    r = rig(store, [Move(1, 1), Done()], critic=ScriptedCritic([None]), critic_mode="before")
    result = r.run()
    assert [s.critic_score for s in store.steps(result.episode_id)] == [None, None]
    assert result.status == "done"


def test_stop_while_the_model_thinks_records_the_step_as_interrupted(store: Store) -> None:
    hold = threading.Event()  # never set: the policy thinks until it is cancelled
    stop = StopToken()
    r = rig(store, [Move(1, 1)], hold=hold, stop=stop)
    threading.Timer(0.2, stop.stop, args=("hotkey",)).start()
    result = r.run()
    assert (result.status, result.summary) == ("stopped", "stopped (hotkey)")
    assert r.policy.cancelled.is_set()
    assert outcomes(store, result.episode_id) == ["interrupted"]
    assert r.actuator.sent == []


def test_stop_mid_typing_sends_nothing_more(store: Store) -> None:
    stop = StopToken()
    actuator = RecordingActuator(stop_token=stop, event_delay=0.02)
    r = rig(store, [Type("a" * 400), Move(1, 1)], stop=stop, actuator=actuator)
    wait_for = threading.Thread(target=lambda: (wait_until(lambda: len(actuator.sent) >= 3),
                                                stop.stop("stop button")))
    wait_for.start()
    result = r.run()
    wait_for.join()
    sent_at_stop = len(actuator.sent)
    assert result.status == "stopped"
    assert 3 <= sent_at_stop < 100  # cut in the middle of the text
    assert outcomes(store, result.episode_id) == ["interrupted"]
    assert len(actuator.sent) == sent_at_stop and actuator.executed == []


class BrokenActuator(RecordingActuator):
    def execute(self, action: Action) -> None:
        raise RuntimeError("X connection lost")


def test_an_actuator_failure_ends_the_episode_as_failed(store: Store) -> None:
    gate = ScriptedGate()
    r = rig(store, [Move(1, 1), Done()], gate=gate, actuator=BrokenActuator())
    result = r.run()
    assert result.status == "failed" and "X connection lost" in result.summary
    assert outcomes(store, result.episode_id) == ["failed"]
    assert [e.kind for e in gate.events] == ["error"]


class TakenOverOnce(RecordingActuator):
    """The person's hands cut the first action short (and the monitor pauses, if any)."""

    def __init__(self, paused: threading.Event | None = None) -> None:
        super().__init__()
        self.paused = paused
        self.cut = False

    def execute(self, action: Action) -> None:
        if not self.cut:
            self.cut = True
            if self.paused is not None:
                self.paused.set()
                threading.Timer(0.2, self.paused.clear).start()  # the person hands back
            raise TakenOver("you took over (key ctrl held)")
        super().execute(action)


def test_a_takeover_mid_action_pauses_and_the_episode_goes_on(store: Store) -> None:
    paused = threading.Event()
    actuator = TakenOverOnce(paused)
    r = rig(store, [Type("hello"), Type("hello"), Done()], paused=paused, actuator=actuator)
    result = r.run()
    assert result.status == "done"
    assert outcomes(store, result.episode_id)[:2] == ["interrupted", "executed"]
    assert actuator.executed == [Type("hello")]


def test_a_takeover_with_no_monitor_to_wait_on_stops_the_episode(store: Store) -> None:
    actuator = TakenOverOnce()
    r = rig(store, [Type("hello"), Done()], actuator=actuator)
    result = r.run()
    assert result.status == "stopped" and "you took over" in result.summary
    assert outcomes(store, result.episode_id) == ["interrupted"]
    assert actuator.executed == []


def test_the_loop_waits_while_the_person_uses_the_computer(store: Store) -> None:
    paused = threading.Event()
    paused.set()
    r = rig(store, [Move(1, 1), Done()], paused=paused)
    seen: list[str] = []
    r.runner.callbacks.on_status = seen.append
    runner = threading.Thread(target=r.run)
    runner.start()
    wait_until(lambda: any(s.startswith("paused") for s in seen))
    assert r.screen.captured == 0  # nothing observed, nothing done while paused
    paused.clear()
    runner.join(timeout=10)
    assert not runner.is_alive() and r.actuator.executed == [Move(1, 1)]


def test_history_is_cut_to_its_length(store: Store) -> None:
    r = rig(store, [Wait(0.0)] * 12 + [Done()], rate_steps=False)
    r.runner.config = type(r.runner.config)(history_length=3, step_pause_s=0, approval="never")
    r.run()
    assert [len(q.history) for q in r.policy.requests[:5]] == [0, 1, 2, 3, 3]


def test_a_proposal_object_passes_through_unchanged(store: Store) -> None:
    proposal = Proposal("raw text", "because", Move(7, 7), None, {"decode_s": 0.5})
    r = rig(store, [proposal, Done()])
    result = r.run()
    step = store.steps(result.episode_id)[0]
    assert (step.raw_output, step.reasoning) == ("raw text", "because")
    assert step.latencies is not None and step.latencies["policy_decode_s"] == 0.5
    assert isinstance(r.policy.requests[0], PolicyRequest)
