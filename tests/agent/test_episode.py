"""The episode loop with fakes: approval modes, each decision kind, and what the store holds."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agent.actuator import RecordingActuator, StopToken
from agent.clock import Clock, FakeClock
from agent.critic import Critic
from agent.episode import Callbacks, EpisodeParts, EpisodeResult, EpisodeRunner, Recorder
from agent.episode_safety import make_guards
from agent.safety import SafetyConfig
from agent.screen import FakeScreen
from agent.settings import AgentConfig, ApprovalMode, CriticMode
from agent.store.repo import Store
from agent.user_gate import SKIP, STOP, TAKEOVER, AutoGate, Rating, UserDecision, UserGate
from models.actions import Click, Done, Key, Move, Type, Wait, to_json
from tests.fakes.gate import ScriptedGate
from tests.fakes.policy import Script, ScriptedPolicy
from tests.fakes.recorder import FakeRecorder
from tests.fixtures.store import make_screenshot

SCREEN_A = make_screenshot(1, 54, 96)
SCREEN_B = make_screenshot(2, 54, 96)


@dataclass
class Rig:
    """One runner with its fakes, built by ``rig(...)``; ``run()`` runs the episode."""

    runner: EpisodeRunner
    actuator: RecordingActuator
    policy: ScriptedPolicy
    gate: Any
    store: Store
    screen: FakeScreen
    statuses: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def run(self, task: str = "do the thing") -> EpisodeResult:
        return self.runner.run(task)


def rig(store: Store, script: Sequence[Script], *, gate: UserGate | None = None,
        approval: ApprovalMode = "never", critic: Critic | None = None,
        critic_mode: CriticMode = "off", images: list[np.ndarray] | None = None,
        safety: SafetyConfig | None = None, clock: Clock | None = None,
        recorder: Any = None, stop: StopToken | None = None,
        paused: threading.Event | None = None, hold: threading.Event | None = None,
        rate_steps: bool = True, actuator: RecordingActuator | None = None) -> Rig:
    stop = stop or StopToken()
    clock = clock or FakeClock()
    screen = FakeScreen(images or [SCREEN_A])
    actuator = actuator or RecordingActuator(stop_token=stop)
    policy = ScriptedPolicy(script, hold=hold)
    gate = gate if gate is not None else ScriptedGate()
    config = AgentConfig(approval=approval, critic=critic_mode, step_pause_s=0,
                         rate_steps=rate_steps)
    guards = make_guards(safety or SafetyConfig(), approval, clock, screen.monitors())
    parts = EpisodeParts(screen=screen, actuator=actuator, policy=policy, gate=gate,
                         store=store, guards=guards, critic=critic, stop=stop, clock=clock,
                         recorder=recorder, paused=paused)
    statuses: list[str] = []
    tokens: list[str] = []
    runner = EpisodeRunner(parts, config, callbacks=Callbacks(
        on_token=tokens.append, on_status=statuses.append))
    return Rig(runner, actuator, policy, gate, store, screen, statuses, tokens)


def outcomes(store: Store, episode_id: int) -> list[str]:
    return [s.outcome for s in store.steps(episode_id)]


def judgments(store: Store, episode_id: int) -> list[tuple[int, str, float | None, Any]]:
    return [(s.index, j.kind, j.value, j.corrected_action)
            for s in store.steps(episode_id) for j in s.judgments]


def test_never_mode_executes_everything_and_the_store_holds_each_step(store: Store) -> None:
    gate = ScriptedGate()
    r = rig(store, [Click(100, 200), Type("hello"), Key(("ctrl", "s")), Done("saved")],
            gate=gate, approval="never")
    result = r.run("save the file")
    assert result.status == "done" and result.summary == "saved"
    assert r.actuator.executed == [Click(100, 200), Type("hello"), Key(("ctrl", "s"))]
    assert gate.reviewed == []
    episode = store.get_episode(result.episode_id)
    assert (episode.task, episode.status, episode.approval_mode) == ("save the file", "done",
                                                                      "never")
    assert episode.config is not None and episode.config["agent"]["approval"] == "never"
    steps = store.steps(result.episode_id)
    assert [s.outcome for s in steps] == ["executed"] * 4
    assert [s.action for s in steps] == [to_json(a) for a in (
        Click(100, 200), Type("hello"), Key(("ctrl", "s")), Done("saved"))]
    assert all(s.screenshot_sha256 and store.screenshot_path(s).exists()  # type: ignore[union-attr]
               for s in steps)
    assert steps[0].x_frac == 100 / 1920 and steps[0].monitor_width == 1920
    assert all("execute_s" in (s.latencies or {}) for s in steps[:3])
    assert judgments(store, result.episode_id) == []


def test_each_mode_asks_before_every_step_and_records_approvals(store: Store) -> None:
    gate = ScriptedGate()
    r = rig(store, [Move(5, 5), Wait(0.0), Done()], gate=gate, approval="each")
    result = r.run()
    assert [v.action for v in gate.reviewed] == [Move(5, 5), Wait(0.0), Done()]
    assert judgments(store, result.episode_id) == [
        (0, "approve", 1.0, None), (1, "approve", 1.0, None), (2, "approve", 1.0, None)]
    assert result.status == "done"


def test_risky_mode_asks_only_what_the_gate_flags(store: Store) -> None:
    gate = ScriptedGate()
    r = rig(store, [Click(10, 10), Key(("ctrl", "w")), Type("x"), Done()], gate=gate,
            approval="risky")
    result = r.run()
    assert [v.action for v in gate.reviewed] == [Key(("ctrl", "w"))]
    assert any("closes" in flag for flag in gate.reviewed[0].flags)
    assert r.actuator.executed == [Click(10, 10), Key(("ctrl", "w")), Type("x")]
    assert judgments(store, result.episode_id) == [(1, "approve", 1.0, None)]


def test_never_mode_still_asks_what_the_gate_flags_and_never_runs_a_block(store: Store) -> None:
    gate = ScriptedGate(decisions=[SKIP])
    r = rig(store, [Click(5000, 10), Key(("alt", "f4")), Move(1, 1), Done()], gate=gate,
            approval="never")
    result = r.run()
    assert [v.action for v in gate.reviewed] == [Key(("alt", "f4"))]  # the block is not asked
    assert r.actuator.executed == [Move(1, 1)]
    assert outcomes(store, result.episode_id) == ["blocked", "skipped", "executed", "executed"]
    blocked = store.steps(result.episode_id)[0]
    assert blocked.extra is not None and "outside every monitor" in blocked.extra["blocked"]
    assert [e.kind for e in gate.events] == ["blocked"]
    assert judgments(store, result.episode_id) == [(1, "reject", 0.0, None)]


def test_a_correction_is_executed_instead_and_recorded(store: Store) -> None:
    fixed = Click(300, 310)
    gate = ScriptedGate(decisions=[UserDecision("correct", fixed, "the OK button")])
    r = rig(store, [Click(10, 10), Done()], gate=gate, approval="each")
    result = r.run()
    assert r.actuator.executed == [fixed]
    assert outcomes(store, result.episode_id) == ["corrected", "executed"]
    step = store.steps(result.episode_id)[0]
    assert step.action == to_json(Click(10, 10))  # the model's proposal stays as it was
    (judgment,) = step.judgments
    assert (judgment.kind, judgment.value, judgment.corrected_action, judgment.comment) == (
        "correct", 1.0, to_json(fixed), "the OK button")
    assert r.policy.requests[1].history[-1].action == fixed  # the model sees what was done


def test_a_correction_off_the_screen_is_blocked_too(store: Store) -> None:
    gate = ScriptedGate(decisions=[UserDecision("correct", Click(-5, 10))])
    r = rig(store, [Click(10, 10), Done()], gate=gate, approval="each")
    result = r.run()
    assert r.actuator.executed == []
    assert outcomes(store, result.episode_id) == ["blocked", "executed"]


def test_skip_rejects_the_step_and_goes_on(store: Store) -> None:
    gate = ScriptedGate(decisions=[SKIP])
    r = rig(store, [Click(10, 10), Click(20, 20), Done()], gate=gate, approval="each")
    result = r.run()
    assert r.actuator.executed == [Click(20, 20)]
    assert outcomes(store, result.episode_id) == ["skipped", "executed", "executed"]
    assert judgments(store, result.episode_id)[0] == (0, "reject", 0.0, None)
    assert result.status == "done"


def test_stop_at_the_gate_ends_the_episode_with_nothing_more_executed(store: Store) -> None:
    gate = ScriptedGate(decisions=[UserDecision("approve"), STOP])
    r = rig(store, [Move(1, 1), Move(2, 2), Move(3, 3)], gate=gate, approval="each")
    result = r.run()
    assert r.actuator.executed == [Move(1, 1)]
    assert (result.status, result.summary) == ("stopped", "stopped by the user")
    assert outcomes(store, result.episode_id) == ["executed", "interrupted"]
    assert store.get_episode(result.episode_id).status == "stopped"


def test_takeover_records_the_persons_input_as_the_correction(store: Store) -> None:
    recorder = FakeRecorder([Click(400, 300), Type("hi")])
    made: list[Recorder] = []

    def factory() -> Recorder:
        made.append(recorder)
        return recorder

    gate = ScriptedGate(decisions=[TAKEOVER])
    r = rig(store, [Click(10, 10), Done()], gate=gate, approval="each", recorder=factory)
    result = r.run()
    assert recorder.started == 1 and len(gate.takeovers) == 1
    assert r.actuator.executed == []  # the person acted, not the agent
    step = store.steps(result.episode_id)[0]
    assert step.outcome == "corrected"
    assert [(j.kind, j.corrected_action) for j in step.judgments] == [
        ("correct", to_json(Click(400, 300)))]
    assert step.extra is not None and len(step.extra["takeover"]) == 2
    assert [h.action for h in r.policy.requests[1].history] == [Click(400, 300), Type("hi")]


def test_takeover_without_a_recorder_is_told_and_skipped(store: Store) -> None:
    gate = ScriptedGate(decisions=[TAKEOVER])
    r = rig(store, [Click(10, 10), Done()], gate=gate, approval="each")
    result = r.run()
    assert outcomes(store, result.episode_id) == ["skipped", "executed"]
    assert [e.kind for e in gate.events] == ["error"]


def test_ratings_become_judgments(store: Store) -> None:
    gate = ScriptedGate(ratings=[Rating(stars=4, comment="ok"), Rating(thumbs=False),
                                 Rating(comment="just a note")])
    r = rig(store, [Move(1, 1), Move(2, 2), Move(3, 3), Done()], gate=gate)
    result = r.run()
    rows = [(s.index, j.kind, j.value, j.comment) for s in store.steps(result.episode_id)
            for j in s.judgments]
    assert rows == [(0, "rate", 4.0, "ok"), (1, "reject", 0.0, "thumbs down"),
                    (2, "comment", None, "just a note")]
    assert [v.executed for v in gate.rated] == [True] * 4


def test_ask_user_passes_the_answer_to_the_model(store: Store) -> None:
    gate = ScriptedGate(replies=["the blue one"])
    from models.actions import AskUser

    r = rig(store, [AskUser("which file?"), Move(1, 1), Done()], gate=gate)
    result = r.run("open the file")
    assert gate.questions == ["ask_user: which file?"]
    assert "the blue one" in r.policy.requests[1].task
    assert store.steps(result.episode_id)[0].extra["answer"] == "the blue one"
    assert result.status == "done"


def test_no_answer_to_ask_user_stops(store: Store) -> None:
    from models.actions import AskUser

    r = rig(store, [AskUser("which file?"), Move(1, 1)], gate=AutoGate())
    result = r.run()
    assert result.status == "stopped" and r.actuator.executed == []


def test_an_approval_binds_to_one_action_on_one_screenshot(store: Store) -> None:
    risky = Key(("ctrl", "w"))
    gate = ScriptedGate()
    r = rig(store, [risky, risky, Done()], gate=gate, approval="risky",
            images=[SCREEN_A, SCREEN_B])
    sha_a = r.screen.capture().sha256
    r.screen.captured = 0
    r.runner.parts.guards.approvals.grant(risky, sha_a)  # approved on screen A only
    result = r.run()
    assert [v.observation.sha256 for v in gate.reviewed] != [sha_a]
    assert len(gate.reviewed) == 1  # step 0 (screen A) went through; step 1 (screen B) asked
    assert gate.reviewed[0].index == 1
    assert r.actuator.executed == [risky, risky]
    assert judgments(store, result.episode_id) == [(1, "approve", 1.0, None)]


def test_an_outside_judge_ends_the_episode_when_the_task_is_done(store: Store) -> None:
    """A task suite's verdict (the page's reward, the exercise's checker) ends the episode
    after the step that solved it, without waiting for the model to say done."""
    r = rig(store, [Click(1, 1), Click(2, 2), Click(3, 3), Done()], approval="never")
    clicks: list[int] = []

    def judge() -> tuple[str, str] | None:
        clicks.append(len(r.actuator.executed))
        return ("done", "the suite says solved") if len(r.actuator.executed) == 2 else None

    r.runner.parts.judge = judge
    result = r.run()
    assert (result.status, result.summary) == ("done", "the suite says solved")
    assert r.actuator.executed == [Click(1, 1), Click(2, 2)] and clicks == [1, 2]
