"""Rewards on the columns a real dataset record gives, through the families' own formats."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.paths import Paths
from agent.store.repo import Store
from learner import rewards
from learner.config import DataConfig
from learner.data import StepRecord, build_datasets
from models.actions import Click, Type, from_json
from models.families.base import get_family


def _record(store: Store, home: Paths, screenshot: Callable[..., np.ndarray], family: str,
            corrected: dict[str, Any]) -> StepRecord:
    ep = store.create_episode("press the button")
    step = store.add_step(ep, screenshot=screenshot(3, 720, 1280),
                          action={"type": "click", "x": 5, "y": 5}, outcome="executed")
    store.add_judgment(kind="correct", step_id=step, corrected_action=corrected)
    data = build_datasets(store, home, DataConfig(click_radius=0.01), family=family)
    return next(r for r in data.train + data.holdout if r.label == 1.0)


def _columns(record: StepRecord, n: int) -> dict[str, Any]:
    return {k: [v] * n for k, v in record.columns().items()}


@pytest.mark.parametrize("family", ["qwen25vl", "qwen3vl", "uitars", "deskhand"])
def test_click_reward_is_one_on_target_and_falls_off_with_distance(
        family: str, store: Store, home: Paths, screenshot: Callable[..., np.ndarray]) -> None:
    record = _record(store, home, screenshot, family, {"type": "click", "x": 640, "y": 300})
    fam = get_family(family)
    frame = record.frame()
    texts = [fam.format_action(Click(640 + dx, 300), frame, "the button") for dx in
             (0, 60, 200)]
    texts.append(fam.format_action(Type("hello"), frame))
    scores = rewards.click_reward(texts, **_columns(record, len(texts)))
    assert scores[0] == 1.0
    assert scores[1] is not None and scores[2] is not None and scores[3] == 0.0
    assert 1.0 > scores[1] > scores[2] > 0.0
    assert rewards.verifiable_reward(texts, **_columns(record, len(texts))) == scores
    assert rewards.format_reward(texts + ["gibberish"], **_columns(record, 5)) == [1.0] * 4 + [0.0]


def test_chat_message_completions_and_typed_text(
        store: Store, home: Paths, screenshot: Callable[..., np.ndarray]) -> None:
    record = _record(store, home, screenshot, "qwen25vl", {"type": "type", "text": "Q3 report"})
    fam = get_family("qwen25vl")
    said = [[{"role": "assistant", "content": fam.format_action(Type(t), record.frame())}]
            for t in ("Q3 report", "q3  Report", "minutes")]
    got = rewards.typed_text_reward(said, **_columns(record, 3))
    assert got[0] == 1.0 and got[1] == 0.95 and got[2] is not None and got[2] < 0.5
    assert rewards.action_type_reward(said, **_columns(record, 3)) == [1.0, 1.0, 1.0]
    assert rewards.click_reward(said, **_columns(record, 3)) == [None, None, None]


def test_critic_reward_sees_the_parsed_action(
        store: Store, home: Paths, screenshot: Callable[..., np.ndarray]) -> None:
    record = _record(store, home, screenshot, "deskhand", {"type": "click", "x": 640, "y": 300})
    seen: list[Any] = []

    def critic(judged: list[tuple[Any, dict[str, Any]]]) -> list[float]:
        seen.extend((parsed.action, row["label"]) for parsed, row in judged)
        return [2.0] * len(judged)  # out of range: clamped

    text = get_family("deskhand").format_action(Click(100, 100), record.frame())
    assert rewards.critic_reward([text, "??"], critic=critic, **_columns(record, 2)) == [1.0, 0.0]
    assert seen == [(Click(100, 100), 1.0)]
    assert from_json(record.action) == Click(640, 300)


FRAME = {"left": 0, "top": 0, "width": 800, "height": 600, "image_width": 812,
         "image_height": 616}
COLUMNS = {"family": "qwen25vl", "frame": FRAME, "label": 0.5,
           "reference_action": '{"type": "click", "x": 10, "y": 10}',
           "target": {"x": 10, "y": 10, "radius": 5, "box": None}}


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_rewards_of_any_text_are_bounded(text: str) -> None:
    cols: dict[str, Any] = {k: [v] for k, v in COLUMNS.items()}
    for fn in (rewards.format_reward, rewards.click_reward, rewards.verifiable_reward,
               rewards.action_type_reward, rewards.verdict_format_reward):
        (value,) = fn([text], **cols)
        assert value is not None and 0.0 <= value <= 1.0
    (agree,) = rewards.agreement_reward([text], label=[0.5])
    assert 0.0 <= agree <= 1.0


class _JudgingRuntime:
    """A runtime that answers every prompt of a ``generate_many`` call with a score and
    records the calls; one-at-a-time ``generate`` is not expected."""

    def __init__(self) -> None:
        from models.runtime.config import RuntimeConfig

        self.config = RuntimeConfig()
        self.roles: dict[str, Any] = {}
        self.calls: list[list[str]] = []

    def set_adapter(self, target: Any) -> None:
        pass

    def generate_many(self, prompts: list[Any], *, greedy: bool = False,
                      max_new_tokens: int | None = None) -> list[Any]:
        from types import SimpleNamespace

        assert greedy
        self.calls.append([p.suffix for p in prompts])
        return [SimpleNamespace(text=f"<think>seen</think><score>0.{len(self.calls)}{i}</score>",
                                finish="stop") for i in range(len(prompts))]

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the served critic judged an action one at a time")


def test_the_served_critic_judges_each_states_actions_side_by_side(
        store: Store, home: Paths, screenshot: Callable[..., np.ndarray]) -> None:
    from learner.nightly import ServedCritic

    for n in range(2):
        ep = store.create_episode("press the button")
        step = store.add_step(ep, screenshot=screenshot(n, 720, 1280),
                              action={"type": "click", "x": 5, "y": 5}, outcome="executed")
        store.add_judgment(kind="correct", step_id=step,
                           corrected_action={"type": "click", "x": 640, "y": 300})
    data = build_datasets(store, home, DataConfig(click_radius=0.01), family="deskhand")
    first, second = (r for r in data.train + data.holdout if r.label == 1.0)
    runtime = _JudgingRuntime()
    critic = ServedCritic(runtime, [first, second], with_reasoning=True)
    fam = get_family("deskhand")
    said = [fam.format_action(Click(100 + 10 * i, 100), first.frame(), "there") for i in (0, 1, 0)]
    scores = rewards.critic_reward(said + ["??"], critic=critic, **_columns(first, 4))
    assert scores == [0.1, 0.11, 0.1, 0.0]  # the repeated action was judged once
    assert len(runtime.calls) == 1 and len(runtime.calls[0]) == 2
    rows = [{**first.columns()}, {**second.columns()}, {**first.columns()}]
    judged = [(rewards.parse_completion(said[i], row), row) for i, row in enumerate(rows)]
    assert critic([(p, row) for p, row in judged if p is not None]) == [0.2, 0.3, 0.21]
    assert [len(c) for c in runtime.calls] == [2, 2, 1]  # one call per state
    assert (critic.calls, critic.rounds) == (5, 3) and critic.seconds > 0
