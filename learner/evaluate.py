"""Holdout evaluations the promotion gate consumes: greedy decoding, never sampling.

* actor: mean verifiable reward of the greedy completion of each held-out state (and the
  share of completions the family parser reads);
* reward model: agreement of its greedy score with the human labels — accuracy at 0.5, mean
  absolute error, AUC — and the share of verdicts that parse.

The design choice a reader must know: the candidate and the active adapter are evaluated by
the same function on the same states with the same base, so the gate compares like with like;
an unparseable verdict counts as the worst score for its label (never skipped), so a model
cannot look better by failing to answer. The metric names and formulas are
:class:`learner.gate.Evaluation`'s own. These torch evaluations serve the training curves and
the tests; the promotion gate itself evaluates the exported adapter as it will run
(:mod:`learner.served_eval`).
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


def actor_evaluation(model: Any, processor: Processor, states: Sequence[Prompted],
                     verifiable: RewardFn, format_fn: RewardFn,
                     max_new_tokens: int) -> gate.Evaluation:
    """The actor's greedy results with the torch model, state by state: the verifiable reward
    (``None`` where a state has nothing to check against) and whether it parsed."""
    texts = greedy_texts(model, processor, states, max_new_tokens)
    rewards: list[float | None] = []
    parsed: list[bool] = []
    for text, state in zip(texts, states, strict=True):
        repeated = {k: [v] for k, v in state.columns.items()}
        value = verifiable(completions=[text], **repeated)[0]
        rewards.append(None if value is None else float(value))
        parsed.append(bool(format_fn(completions=[text], **repeated)[0]))
    return gate.Evaluation("actor", tuple(rewards), tuple(parsed), tuple(texts))


def kl_to_base(model: Any, processor: Processor, states: Sequence[Prompted],
               max_new_tokens: int) -> float:
    """Mean per-token KL(adapter ‖ base) on the adapter's greedy completions of ``states``:
    how far the tuned policy has drifted from the base model (its LoRA disabled), in nats."""
    import torch

    model.eval()
    total, tokens = 0.0, 0
    for state in states:
        enc = processor.encode(state.text, state.image)
        ids = sample(model, enc, 1, max_new_tokens=max_new_tokens, temperature=0.0,
                     processor=processor)  # [1, C]
        mask = completion_mask(ids, processor.eos_ids)[0] > 0  # [C]
        with torch.no_grad():
            tuned = _completion_logp(model, enc, ids, processor.suppress_ids)  # [C, V]
            with model.disable_adapter():
                base = _completion_logp(model, enc, ids, processor.suppress_ids)
        kl = (tuned.exp() * (tuned - base)).nan_to_num(0.0).sum(-1)  # [C]
        total += float(kl[mask].sum())
        tokens += int(mask.sum())
    return total / max(1, tokens)


def _completion_logp(model: Any, enc: Any, completion: Any, suppress: list[int]) -> Any:
    import torch

    logits = model(**enc.with_completion(completion.to(model.device))).logits
    length = completion.shape[1]
    logits = logits[0, -length - 1:-1, :].float()  # [C, V]
    if suppress:
        logits = logits.index_fill(-1, torch.tensor(suppress, device=logits.device),
                                   float("-inf"))
    return torch.log_softmax(logits, dim=-1)


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


def reward_evaluation(model: Any, processor: Processor, states: Sequence[Prompted],
                      max_new_tokens: int) -> gate.Evaluation:
    """The reward model's greedy verdicts with the torch model against each state's
    ``label`` column (an unparseable verdict is ``None``)."""
    texts = greedy_texts(model, processor, states, max_new_tokens)
    labels = tuple(float(s.columns["label"]) for s in states)
    return gate.Evaluation("reward", scores=tuple(verdict_scores(texts)), labels=labels)
