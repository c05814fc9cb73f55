"""Holdout evaluations the promotion gate consumes: greedy decoding, never sampling.

* actor: mean verifiable reward of the greedy completion of each held-out state (and the
  share of completions the family parser reads);
* reward model: agreement of its greedy score with the human labels — accuracy at 0.5, mean
  absolute error, AUC — and the share of verdicts that parse.

The design choice a reader must know: the candidate and the active adapter are evaluated by
the same function on the same states with the same base, so the gate compares like with like;
an unparseable verdict counts as the worst score for its label (never skipped), so a model
cannot look better by failing to answer. The metric names and formulas are
:mod:`learner.gate`'s own (``actor_metrics``, ``reward_model_metrics``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from learner import gate
from learner.grpo import Prompted, RewardFn
from learner.policy import Processor, completion_mask, sample
from models.families.base import ParseError
from models.families.critic import parse_verdict


def greedy_texts(model: Any, processor: Processor, states: Sequence[Prompted],
                 max_new_tokens: int) -> list[str]:
    """The greedy completion of every state."""
    model.eval()
    out = []
    for state in states:
        enc = processor.encode(state.text, state.image)
        ids = sample(model, enc, 1, max_new_tokens=max_new_tokens, temperature=0.0,
                     processor=processor)  # [1, C]
        mask = completion_mask(ids, processor.eos_ids)
        out.append(processor.decode([int(t) for t, m in zip(ids[0].tolist(), mask[0].tolist(),
                                                            strict=True) if m > 0]))
    return out


def actor_values(model: Any, processor: Processor, states: Sequence[Prompted],
                 verifiable: RewardFn, format_fn: RewardFn,
                 max_new_tokens: int) -> dict[str, float]:
    """The gate's actor metrics: ``verifiable_reward`` and ``format_rate`` (greedy), ``n``.

    States whose verifiable reward is ``None`` (nothing to check against) are left out of the
    mean, as :func:`learner.gate.actor_metrics` does.
    """
    texts = greedy_texts(model, processor, states, max_new_tokens)
    rewards: list[float | None] = []
    formats: list[float] = []
    for text, state in zip(texts, states, strict=True):
        repeated = {k: [v] for k, v in state.columns.items()}
        value = verifiable(completions=[text], **repeated)[0]
        rewards.append(None if value is None else float(value))
        formats.append(float(format_fn(completions=[text], **repeated)[0] or 0.0))
    metrics = gate.actor_metrics(rewards, formats)
    return {**metrics.values, "n": float(metrics.n)}


def verdict_scores(texts: Sequence[str]) -> list[float | None]:
    """The critic's score of each completion (None where unparseable).

    >>> verdict_scores(["<score>0.8</score>", "no idea"])
    [0.8, None]
    """
    out: list[float | None] = []
    for text in texts:
        try:
            out.append(parse_verdict(text).reward)
        except ParseError:
            out.append(None)
    return out


def reward_model_values(model: Any, processor: Processor, states: Sequence[Prompted],
                        max_new_tokens: int) -> dict[str, float]:
    """The gate's reward-model metrics against each state's ``label`` column: accuracy at
    0.5, MAE, AUC, parse rate (an unparseable verdict counts as the most wrong), ``n``."""
    texts = greedy_texts(model, processor, states, max_new_tokens)
    labels = [float(s.columns["label"]) for s in states]
    metrics = gate.reward_model_metrics(verdict_scores(texts), labels)
    return {**metrics.values, "n": float(metrics.n)}
