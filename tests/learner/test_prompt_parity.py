"""The prompt the learner trains on is the prompt the loop served, byte for byte.

An episode runs through the real ``EpisodeRunner`` (fakes at the edges) with every kind of step
that changes later prompts — an approved action, a correction, an ``ask_user`` answer, a
"let me do it" takeover of several actions, a skip, an unparseable output — and a history
shorter than the episode. Then the dataset is built from the store and every record's actor
prompt (and critic prompt) is compared with what the policy (and critic) were really given.
"""

from __future__ import annotations

import numpy as np
import pytest

from agent.actuator import RecordingActuator, StopToken
from agent.clock import FakeClock
from agent.episode import EpisodeParts, EpisodeRunner
from agent.episode_safety import make_guards
from agent.paths import Paths
from agent.safety import SafetyConfig
from agent.screen import FakeScreen
from agent.settings import AgentConfig
from agent.store.repo import Store
from agent.user_gate import SKIP, TAKEOVER, UserDecision
from learner import grpo_actor, grpo_reward
from learner.config import DataConfig
from learner.data import build_datasets
from models.actions import Click, Key, Type
from models.families.base import get_family
from models.families.critic import CriticVerdict, build_critic_prompt
from tests.fakes.critic import ScriptedCritic
from tests.fakes.gate import ScriptedGate
from tests.fakes.policy import ScriptedPolicy
from tests.fakes.recorder import FakeRecorder
from tests.fixtures.store import make_screenshot

FAMILY = "deskhand"
RAW = [
    '<think>The menu is top left.</think><answer>{"type": "click", "x": 20, "y": 10}</answer>',
    '<think>Type the name.</think><answer>{"type": "type", "text": "hi"}</answer>',
    '<think>Which colour?</think><answer>{"type": "ask_user", "question": "Which one?"}</answer>',
    '<think>Press the red one.</think><answer>{"type": "click", "x": 50, "y": 30}</answer>',
    '<think>Save it.</think><answer>{"type": "key", "keys": ["ctrl", "s"]}</answer>',
    "I am not sure what to do here.",
    '<think>Again.</think><answer>{"type": "click", "x": 70, "y": 40}</answer>',
    '<think>All done.</think><answer>{"type": "done", "summary": "ok"}</answer>',
]


def _run(store: Store, history_length: int) -> tuple[ScriptedPolicy, ScriptedCritic, int]:
    images = [make_screenshot(i, 54, 96) for i in range(10)]
    screen = FakeScreen(images)
    stop, clock = StopToken(), FakeClock()
    policy = ScriptedPolicy(RAW, family=FAMILY)
    critic = ScriptedCritic([CriticVerdict("fine", 0.5)])
    gate = ScriptedGate(decisions=[
        UserDecision("approve"), UserDecision("correct", Type("hello")),
        UserDecision("approve"), TAKEOVER, SKIP, UserDecision("approve"),
        UserDecision("approve")], replies=["the red one"])
    config = AgentConfig(approval="each", critic="before", step_pause_s=0, rate_steps=False,
                         history_length=history_length)
    takeover = FakeRecorder([Click(60, 30), Type("x"), Key(("enter",))])
    parts = EpisodeParts(screen=screen, actuator=RecordingActuator(stop_token=stop),
                         policy=policy, gate=gate, store=store,
                         guards=make_guards(SafetyConfig(), "each", clock, screen.monitors()),
                         critic=critic, stop=stop, clock=clock, recorder=lambda: takeover)
    result = EpisodeRunner(parts, config).run("Pick the colour and save")
    assert result.status == "done"
    return policy, critic, result.episode_id


@pytest.mark.parametrize("history_length", [0, 3, 8])
def test_training_prompts_equal_the_served_prompts(store: Store, home: Paths,
                                                   history_length: int) -> None:
    policy, critic, episode_id = _run(store, history_length)
    data = build_datasets(store, home, DataConfig(holdout_fraction=0.0), family=FAMILY,
                          history_length=history_length)
    family = get_family(FAMILY)
    steps = {s.id: s for s in store.steps(episode_id)}
    # the takeover's later actions are steps of their own that no policy was asked about
    proposed = sorted((s for s in steps.values() if not (s.extra or {}).get("takeover_of")),
                      key=lambda s: s.index)
    served = {s.id: policy.requests[n] for n, s in enumerate(proposed)}
    records = [r for r in data.train if r.step_id in served]
    assert {steps[r.step_id].index for r in records} == {0, 1, 2, 3, 6, 8, 9}
    by_person = sorted((r for r in data.train if r.step_id in steps and r.step_id not in served),
                       key=lambda r: r.step_index)
    assert [(r.step_index, r.action, r.label) for r in by_person] == [
        (4, {"type": "type", "text": "x"}, 1.0), (5, {"type": "key", "keys": ["enter"]}, 1.0)]
    if history_length >= 2:  # each is shown what the person did before it, like any step
        assert [h.action for h in by_person[1].history[-2:]] == [Click(60, 30), Type("x")]
    asked_after_answer = False
    for record in records:
        request = served[record.step_id]
        obs = request.observation
        want = family.build_prompt(request.task, request.history, obs.image, obs.monitor)
        got = grpo_actor.prompted(record)
        assert got.text == want.hf_text(), f"step {record.step_index}"
        assert got.image is not None and np.array_equal(got.image, want.image)
        asked_after_answer |= "the user answered: the red one" in got.text
    assert asked_after_answer  # the answer reached later prompts, in both
    histories = [len(served[r.step_id].history) for r in records]
    assert max(histories) == min(history_length, 7) or history_length == 0
    # the takeover's three actions are all in the history of the steps after it
    later = served[next(s.id for s in steps.values() if s.index == 6)]
    if history_length >= 3:
        assert [h.action for h in later.history[-3:]] == [Click(60, 30), Type("x"),
                                                          Key(("enter",))]


def test_reward_model_prompts_equal_the_critic_prompts(store: Store, home: Paths) -> None:
    _policy, critic, episode_id = _run(store, 8)
    data = build_datasets(store, home, DataConfig(holdout_fraction=0.0), family=FAMILY)
    steps = {s.id: s for s in store.steps(episode_id)}
    calls = {i: call for i, call in enumerate(critic.calls)}  # one critic call per acted step
    acted = sorted(s.index for s in steps.values() if s.action is not None)
    by_index = {index: calls[n] for n, index in enumerate(acted)}
    own = [r for r in data.train if r.step_id in steps and r.raw_output is not None]
    assert own
    for record in own:
        task, action, reasoning = by_index[record.step_index]
        screenshot = record.screenshot()
        want = build_critic_prompt(task, screenshot, record.monitor, action, reasoning,
                                   with_reasoning=True)
        got = grpo_reward.prompted(record, with_reasoning=True)
        assert got.text == want.hf_text(), f"step {record.step_index}"
