"""Held-out evaluation of an adapter *as it will run*: the GGUF LoRA on the quantized base,
through the llama.cpp runtime and the product's own policy and critic.

The gate must judge what the person will get, not the bf16/f32 torch model it was trained as:
quantization and the GGUF export can change an answer. So each held-out state is turned back
into what the loop had — a ``PolicyRequest`` (task text and history as served, the stored
screenshot as the observation) — and given to ``agent.policy.ModelPolicy`` (actor) or
``agent.critic.ModelCritic`` (reward model), on the runtime with the adapter under test loaded
for that role. The results are a :class:`learner.gate.Evaluation`.

The design choice a reader must know: the evaluator never loads the base model itself; it is
handed a runtime (the caller owns its lifetime), swaps only the role's adapter, and puts the
runtime's roles back as they were, so the same loaded model can evaluate the candidate, the
active adapter and the base one after the other.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.critic import ModelCritic
from agent.policy import ModelPolicy, PolicyRequest
from agent.screen import Observation
from learner import rewards
from learner.data.records import StepRecord, states
from learner.gate import Evaluation
from models import actions
from models.families.base import Parsed, get_family


@contextmanager
def role_adapter(runtime: Any, role: str, adapter: Path | None) -> Iterator[None]:
    """``runtime.roles[role]`` set to ``adapter`` (None: the base model) for a while."""
    before = runtime.roles.get(role)
    if adapter is None:
        runtime.roles.pop(role, None)
    else:
        runtime.roles[role] = Path(adapter)
    try:
        yield
    finally:
        if before is None:
            runtime.roles.pop(role, None)
        else:
            runtime.roles[role] = before
        runtime.set_adapter(None)


def observation(record: StepRecord) -> Observation:
    """The observation the loop had at this stored step (its screenshot, monitor, cursor)."""
    return Observation(record.screenshot(), record.monitor, record.cursor, None, 0.0)


def held_out_examples(role: str, holdout: Sequence[StepRecord]) -> list[StepRecord]:
    """What a role is judged on. Actor: one state per judged step (the gate scores those with
    a known right action; the others show how much the greedy actions moved). Reward model:
    every labelled action."""
    return states(list(holdout)) if role == "actor" else list(holdout)


def evaluate_actor(runtime: Any, records: Sequence[StepRecord], adapter: Path | None, *,
                   sigma: float = rewards.DEFAULT_SIGMA, max_new_tokens: int | None = None,
                   ) -> Evaluation:
    """Greedy actions of the runtime's actor (with ``adapter``) on each state, scored against
    the state's reference action (verifiable reward; None where there is none)."""
    out_rewards: list[float | None] = []
    parsed: list[bool] = []
    acted: list[str | None] = []
    with role_adapter(runtime, "actor", adapter):
        for record in records:
            policy = ModelPolicy(runtime, get_family(record.family), greedy=True,
                                 max_new_tokens=max_new_tokens)
            proposal = policy.propose(PolicyRequest(record.task, record.history,
                                                    observation(record)))
            action = proposal.action
            parsed.append(action is not None)
            acted.append(None if action is None else actions.dumps(action))
            got = None if action is None else Parsed(proposal.reasoning, action)
            out_rewards.append(rewards.verifiable_score(got, record.columns(), sigma))
    return Evaluation("actor", tuple(out_rewards), tuple(parsed), tuple(acted))


def evaluate_reward(runtime: Any, records: Sequence[StepRecord], adapter: Path | None, *,
                    with_reasoning: bool, max_new_tokens: int | None = None) -> Evaluation:
    """The runtime's critic (with ``adapter``) scoring each held-out labelled action."""
    scores: list[float | None] = []
    with role_adapter(runtime, "critic", adapter):
        family = get_family(records[0].family) if records else None  # the base's resize
        critic = ModelCritic(runtime, with_reasoning=with_reasoning,
                             max_new_tokens=max_new_tokens, family=family)
        for record in records:
            verdict = critic.score(record.task, observation(record),
                                   actions.from_json(record.action), record.reasoning)
            scores.append(None if verdict is None else verdict.reward)
    return Evaluation("reward", scores=tuple(scores),
                      labels=tuple(float(r.label) for r in records))


class ServedEvaluator:
    """Evaluates adapters of one role on one held-out set with one loaded runtime."""

    def __init__(self, runtime: Any, holdout: Sequence[StepRecord], *, with_reasoning: bool,
                 sigma: float = rewards.DEFAULT_SIGMA, max_new_tokens: int | None = None) -> None:
        self.runtime = runtime
        self.holdout = list(holdout)
        self.with_reasoning = with_reasoning
        self.sigma = sigma
        self.max_new_tokens = max_new_tokens
        self.seconds = 0.0

    def examples(self, role: str) -> list[StepRecord]:
        return held_out_examples(role, self.holdout)

    def __call__(self, role: str, adapter: Path | None) -> Evaluation:
        started = time.perf_counter()
        try:
            if role == "actor":
                return evaluate_actor(self.runtime, self.examples(role), adapter,
                                      sigma=self.sigma, max_new_tokens=self.max_new_tokens)
            return evaluate_reward(self.runtime, self.examples(role), adapter,
                                   with_reasoning=self.with_reasoning,
                                   max_new_tokens=self.max_new_tokens)
        finally:
            self.seconds += time.perf_counter() - started


def summary(evaluation: Evaluation) -> str:
    """The figures as one JSON line (logs)."""
    return json.dumps({k: round(v, 4) for k, v in evaluation.metrics().items()})
