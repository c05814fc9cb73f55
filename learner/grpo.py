"""One GRPO update, shared by the actor and the reward-model recipes.

What it keeps of GRPO (DeepSeek-R1 / DAPO): G samples per state from the current policy,
rewards from plain ``reward(completions, **columns) -> list[float]`` functions (TRL's contract),
group-relative advantages ``(r - mean) / (std + eps)``, groups whose rewards are all equal are
dropped (they carry no signal), a clipped ratio objective with an optional higher upper clip,
and a per-token k3 KL to the reference = the same model with its LoRA disabled (β=0 skips the
reference pass). Token losses are averaged over all kept tokens of the step (DAPO's loss).

The design choice a reader must know: a step samples all its states' groups in one loop
(:func:`learner.sampling.decode_many`, prompts left-padded), then scores one state's group at
a time (one prompt repeated G times needs no padding) and accumulates gradients across the
step's states before one optimizer step; with ``iterations`` > 1 the same samples are
reused for more updates, which is where the clip does its work. Several processes split the
states of a step between them (:mod:`learner.distributed`) and sum what they computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from learner.distributed import SINGLE, Ranks
from learner.policy import (
    Encoded,
    Processor,
    completion_mask,
    sample_many,
    token_logprobs,
    with_image_features,
)

if TYPE_CHECKING:
    import torch

RewardFn = Callable[..., Sequence[float | None]]  # None: does not apply to that row


@dataclass(frozen=True)
class GRPOSettings:
    """The knobs of one GRPO update (a recipe builds them from its config)."""

    group_size: int = 8
    max_new_tokens: int = 48
    temperature: float = 1.0
    beta: float = 0.0  # KL weight to the base (adapter disabled)
    clip_low: float = 0.2
    clip_high: float = 0.28  # DAPO's clip-higher; equal to clip_low for the symmetric clip
    iterations: int = 1
    reward_weights: tuple[float, ...] = ()


@dataclass(frozen=True)
class Prompted:
    """A state ready for the policy; ``columns`` go to the reward functions (one per sample)."""

    text: str
    image: np.ndarray | None
    columns: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    """One state's sampled group and its rewards (``advantages`` 0 when the group is flat)."""

    enc: Encoded
    completion: torch.Tensor  # [G, C]
    mask: torch.Tensor  # [G, C]
    texts: list[str]
    rewards: list[float]
    advantages: torch.Tensor  # [G]

    @property
    def flat(self) -> bool:
        return bool(max(self.rewards) - min(self.rewards) < 1e-6)


def score(fns: Sequence[RewardFn], weights: Sequence[float], texts: list[str],
          columns: dict[str, Any]) -> list[float]:
    """Weighted sum of reward functions over completions (columns repeated per completion).

    A function's ``None`` means "does not apply to this row" and adds nothing (TRL's rule).

    >>> score([lambda completions, **kw: [len(c) for c in completions]], [0.5], ["ab", "c"], {})
    [1.0, 0.5]
    >>> score([lambda completions, **kw: [None, 1.0]], [1.0], ["a", "b"], {})
    [0.0, 1.0]
    """
    repeated = {k: [v] * len(texts) for k, v in columns.items()}
    total = [0.0] * len(texts)
    for fn, weight in zip(fns, weights, strict=True):
        for i, value in enumerate(fn(completions=texts, **repeated)):
            if value is not None:
                total[i] += weight * float(value)
    return total


def advantages(rewards: Sequence[float], eps: float = 1e-4) -> np.ndarray:
    """Group-relative advantages ``(r - mean) / (std + eps)``; a flat group gives zeros.

    >>> advantages([1.0, 0.0, 1.0, 0.0]).round(3).tolist()
    [1.0, -1.0, 1.0, -1.0]
    >>> advantages([0.5, 0.5]).tolist()
    [0.0, 0.0]
    """
    r = np.asarray(rewards, dtype=np.float64)
    std = r.std()
    if std < 1e-6:
        return np.zeros_like(r)
    out: np.ndarray = (r - r.mean()) / (std + eps)
    return out


def roll_out(model: Any, processor: Processor,
             states: Sequence[tuple[int | None, Prompted]], settings: GRPOSettings,
             fns: Sequence[RewardFn],
             stop: Callable[[], bool] | None = None, seed: int | None = None) -> list[Group]:
    """Sample G completions of each of ``states`` (global index, state), all in one sampling
    loop, and reward them (``Interrupted`` on a stop). A state's samples draw from the stream
    ``seed`` and its index give it (:func:`stream`), the same on any rank and in any company;
    index None marks a pad (:meth:`Ranks.even_shard`): sampled, never rewarded."""
    import torch

    if not states:  # a rank with no share of a step smaller than the ranks
        return []
    encs = [with_image_features(model, processor.encode(state.text, state.image))
            for _, state in states]  # each image once per group
    model.eval()
    device = model.device
    completions = sample_many(
        model, encs, settings.group_size, max_new_tokens=settings.max_new_tokens,
        temperature=settings.temperature, processor=processor, stop=stop,
        generators=None if seed is None else [stream(seed, -1 if index is None else index,
                                                     device) for index, _ in states])
    weights = settings.reward_weights or (1.0,) * len(fns)
    groups = []
    for (index, state), enc, completion in zip(states, encs, completions, strict=True):
        mask = completion_mask(completion, processor.eos_ids).to(completion.device)  # [G, C]
        texts = [processor.decode([int(t) for t, m in zip(row, keep, strict=True) if m > 0])
                 for row, keep in zip(completion.tolist(), mask.tolist(), strict=True)]
        rewards = (score(fns, weights, texts, state.columns) if index is not None
                   else [0.0] * len(texts))
        adv = torch.tensor(advantages(rewards), dtype=torch.float32, device=completion.device)
        groups.append(Group(enc, completion, mask, texts, rewards, adv))
    return groups


def group_loss(model: Any, group: Group, settings: GRPOSettings, old_logp: torch.Tensor | None,
               suppress: list[int]) -> tuple[torch.Tensor, dict[str, float]]:
    """Summed (not yet averaged) clipped-objective + KL token loss of one group, and stats."""
    import torch

    logp, entropy = token_logprobs(model, group.enc, group.completion, suppress,
                                   settings.temperature)  # [G, C] each
    old = logp.detach() if old_logp is None else old_logp  # [G, C]
    ratio = torch.exp(logp - old)  # [G, C]
    adv = group.advantages.unsqueeze(1)  # [G, 1]
    clipped = torch.clamp(ratio, 1 - settings.clip_low, 1 + settings.clip_high)
    per_token = -torch.min(ratio * adv, clipped * adv)  # [G, C]
    kl = torch.zeros_like(logp)
    if settings.beta > 0:
        with torch.no_grad(), model.disable_adapter():
            ref, _ = token_logprobs(model, group.enc, group.completion, suppress,
                                   settings.temperature)  # [G, C]
        delta = ref - logp
        kl = torch.exp(delta) - delta - 1  # k3 estimator, >= 0
        per_token = per_token + settings.beta * kl
    mask = group.mask  # [G, C]
    tokens = float(mask.sum())
    stats = {"entropy_sum": float((entropy.detach() * mask).sum()),
             "kl_sum": float((kl.detach() * mask).sum()),
             "clipped_sum": float(((ratio.detach() - clipped.detach()).abs() > 1e-6).float()
                                  .mul(mask).sum()),
             "tokens": tokens}
    return (per_token * mask).sum(), stats


@dataclass
class StepResult:
    """What one GRPO step did (its numbers go to the run's per-step metrics)."""

    loss: float
    reward: float
    entropy: float
    kl: float
    clip_fraction: float
    groups: int
    dropped: int
    completions: list[str]

    def metrics(self) -> dict[str, float]:
        return {"loss": self.loss, "reward": self.reward, "entropy": self.entropy,
                "kl": self.kl, "clip_fraction": self.clip_fraction,
                "dropped_groups": float(self.dropped), "groups": float(self.groups)}


def stream(seed: int, index: int, device: Any) -> Any:
    """The random stream of state ``index``'s samples in a step seeded ``seed``: a generator
    of its own, so a state draws the same random numbers whichever rank rolls it out and
    whichever states share its batch; the global RNG is left alone. (The probabilities they
    are compared with come from a padded batch, whose shape can change their low bits: about
    1e-7 in float32, 3e-3 in bfloat16, measured on the CPU; a draw that close to a boundary
    then differs.)"""
    import torch

    generator = torch.Generator(device=device)
    generator.manual_seed((seed * 1_000_003 + index) % 2**63)
    return generator


def grpo_step(model: Any, processor: Processor, optimizer: Any, states: Sequence[Prompted],
              fns: Sequence[RewardFn], settings: GRPOSettings, max_grad_norm: float = 1.0,
              stop: Callable[[], bool] | None = None, seed: int | None = None,
              ranks: Ranks = SINGLE) -> StepResult:
    """Roll out every state, drop flat groups, and apply ``iterations`` optimizer updates.

    Data-parallel (``ranks``, :mod:`learner.distributed`): this rank rolls out its share of
    ``states`` (the global batch), token counts, gradients and statistics are summed over
    the ranks, so every rank applies the update one process would make on the whole batch;
    ``seed`` gives each state its own sampling stream, the same on any rank.

    A ``stop`` during the roll-outs raises ``Interrupted`` before any weight changed, so the
    step can be run again from the same state."""
    import torch

    # (global index, group); a sharded model's pads (index None) only keep the ranks in step
    share = ranks.even_shard(states)
    groups_of = roll_out(model, processor, share, settings, fns, stop, seed)
    rolled = list(zip([index for index, _ in share], groups_of, strict=True))
    groups = [g for index, g in rolled if index is not None]
    kept = [g for g in groups if not g.flat]
    n_groups, n_kept, global_tokens = ranks.sum(
        [len(groups), len(kept), sum(float(g.mask.sum()) for g in kept)])
    # a sharded model's ranks make as many passes: fillers (weight 0) make up the difference
    passes = int(ranks.most([len(kept)])[0]) if ranks.sharded else len(kept)
    work = [(g, 1.0) for g in kept]
    if passes > len(kept):  # only a sharded rank, whose share is never empty (pads)
        work += [(rolled[0][1], 0.0)] * (passes - len(kept))
    totals = {"entropy_sum": 0.0, "kl_sum": 0.0, "clipped_sum": 0.0, "tokens": 0.0}
    loss_value = 0.0
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    olds: list[torch.Tensor | None] = [None] * len(work)
    if settings.iterations > 1:
        with torch.no_grad():
            olds = [token_logprobs(model, g.enc, g.completion, processor.suppress_ids,
                                   settings.temperature)[0] for g, _ in work]
    for _ in range(settings.iterations if n_kept else 0):
        tokens = max(1.0, global_tokens)
        optimizer.zero_grad(set_to_none=True)
        loss_value = 0.0
        for (group, weight), old in zip(work, olds, strict=True):
            loss, stats = group_loss(model, group, settings, old, processor.suppress_ids)
            (loss * weight / tokens).backward()  # type: ignore[no-untyped-call]
            if weight:
                loss_value += float(loss.detach()) / tokens
                for key in totals:
                    totals[key] += stats[key]
        ranks.sum_grads(params)  # the global batch's gradient (each rank divided by all tokens)
        torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
        optimizer.step()
    if not n_kept:  # still measure the policy's entropy, so collapse is seen even then
        with torch.no_grad():
            for index, g in rolled:
                _, ent = token_logprobs(model, g.enc, g.completion, processor.suppress_ids,
                                        settings.temperature)
                if index is not None:
                    totals["entropy_sum"] += float((ent * g.mask).sum())
                    totals["tokens"] += float(g.mask.sum())
    rewards = [r for g in groups for r in g.rewards]
    loss_value, reward_sum, reward_n, *sums = ranks.sum(
        [loss_value, sum(rewards), len(rewards), *totals.values()])
    totals = dict(zip(totals, sums, strict=True))
    seen = max(1.0, totals["tokens"])
    texts = ranks.gather([(i, g.texts) for i, g in rolled if i is not None])
    ordered = sorted((pair for part in texts for pair in part), key=lambda pair: pair[0])
    result = StepResult(loss_value, reward_sum / max(1.0, reward_n),
                        totals["entropy_sum"] / seen, totals["kl_sum"] / seen,
                        totals["clipped_sum"] / seen, int(n_groups), int(n_groups - n_kept),
                        [t for _, group_texts in ordered for t in group_texts])
    if not math.isfinite(result.loss):
        raise FloatingPointError(f"GRPO loss is not finite: {result.loss}")
    return result
