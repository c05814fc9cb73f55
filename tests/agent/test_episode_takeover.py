""""Let me do it" in the loop: every action the person did is stored — the first as the step's
correction, each later one as a step of its own on the screen it began on — and the learner
trains on all of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.paths import Paths
from agent.screen import FakeScreen, Observation
from agent.store.repo import Store
from agent.user_gate import TAKEOVER
from learner.config import DataConfig
from learner.data.build import build_datasets
from models.actions import Action, Click, Done, Key, Type, to_json
from tests.agent.test_episode import judgments, outcomes, rig
from tests.fakes.gate import ScriptedGate
from tests.fixtures.store import make_screenshot


@dataclass
class ScreenedFake:
    """A recorder that also kept a screenshot as each action began (like ScreenedRecorder)."""

    did: list[Action]
    shots: list[Observation | None] = field(default_factory=list)

    def start(self) -> None:
        pass

    def finish(self) -> list[Action]:
        return list(self.did)

    def observations(self) -> list[Observation | None]:
        return list(self.shots)


def _shot(seed: int) -> Observation:
    return FakeScreen([make_screenshot(seed, 54, 96)]).capture()


def test_every_action_of_a_takeover_is_a_step_the_learner_trains_on(store: Store,
                                                                   home: Paths) -> None:
    did = [Click(400, 300), Type("hello"), Key(("enter",))]
    shots = [_shot(7), _shot(8), None]  # no picture of the last: the one before stands in
    recorder = ScreenedFake(did, shots)
    gate = ScriptedGate(decisions=[TAKEOVER])
    r = rig(store, [Type("wrong"), Done()], gate=gate, approval="each",
            recorder=lambda: recorder)
    result = r.run("write hello")
    assert result.status == "done"
    assert r.actuator.executed == []  # the person acted, not the agent
    assert outcomes(store, result.episode_id) == ["corrected"] * 3 + ["executed"]
    assert judgments(store, result.episode_id) == [
        (0, "correct", 1.0, to_json(Click(400, 300))),
        (1, "correct", 1.0, to_json(Type("hello"))),
        (2, "correct", 1.0, to_json(Key(("enter",)))),
        (3, "approve", 1.0, None)]
    steps = store.steps(result.episode_id)
    assert steps[0].action == to_json(Type("wrong")), "the proposal is kept beside it"
    assert [s.action for s in steps[1:3]] == [None, None], "no model proposed those"
    sha = [s.screenshot_sha256 for s in steps]
    assert sha[1] == sha[2] != sha[0], "the screen as the typing began, kept for the enter"
    assert sha[3] == sha[0], "the loop's own screenshots are the fixture screen's"
    assert [(s.extra or {}).get("takeover_of") for s in steps] == [None, steps[0].id,
                                                                   steps[0].id, None]
    # the next proposal is shown the whole takeover as history
    assert [h.action for h in r.policy.requests[1].history] == did
    data = build_datasets(store, home, DataConfig(holdout_fraction=0.0), family="deskhand")
    taught = sorted((r.step_index, r.reference_action, r.label) for r in data.train
                    if r.label_source == "corrected")
    assert taught == [(0, to_json(Click(400, 300)), 1.0), (1, to_json(Type("hello")), 1.0),
                      (2, to_json(Key(("enter",))), 1.0)]
    wrong = [r for r in data.train if r.label_source == "correct_original"]
    assert [(r.step_index, r.action) for r in wrong] == [(0, to_json(Type("wrong")))]


def test_a_takeover_of_one_action_stays_one_step(store: Store) -> None:
    recorder = ScreenedFake([Click(1, 2)])
    r = rig(store, [Click(10, 10), Done()], gate=ScriptedGate(decisions=[TAKEOVER]),
            approval="each", recorder=lambda: recorder)
    result = r.run()
    assert outcomes(store, result.episode_id) == ["corrected", "executed"]
    assert [rep.index for rep in result.steps] == [0, 1]


class BrokenRecorder:
    def start(self) -> None:
        raise OSError("the X server has no RECORD extension")

    def finish(self) -> list[Action]:
        raise AssertionError("never started, never finished")


def test_a_recorder_that_cannot_start_is_said_and_the_episode_goes_on(store: Store) -> None:
    gate = ScriptedGate(decisions=[TAKEOVER])
    r = rig(store, [Click(10, 10), Done()], gate=gate, approval="each",
            recorder=BrokenRecorder)
    result = r.run()
    assert result.status == "done"
    assert outcomes(store, result.episode_id) == ["skipped", "executed"]
    assert [(e.kind, "RECORD" in e.message) for e in gate.events] == [("error", True)]
