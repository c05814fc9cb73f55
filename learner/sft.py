"""Supervised fine-tuning steps: Entropulse's phase between RL phases, and format warm-starts.

ComputerRL's Entropulse alternates RL with a short supervised phase on the policy's own good
actions when entropy collapses; ours trains on accepted and corrected actions from the
judgments (the targets a person vouched for). The same step warm-starts a model that cannot
yet write the output format, so GRPO has reward variance to work with.

The design choice a reader must know: only the completion's tokens (closed by ``<|im_end|>``)
carry loss; the prompt is context, exactly as GRPO scores completions.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from learner.distributed import SINGLE, Ranks
from learner.policy import Processor


@dataclass(frozen=True)
class Example:
    """A prompt (HF text form + image) and the completion the model should write."""

    text: str
    image: np.ndarray | None
    target: str


def example_loss(model: Any, processor: Processor, example: Example) -> tuple[Any, int]:
    """Summed cross-entropy of the target tokens, and how many there were."""
    import torch

    enc = processor.encode(example.text, example.image)
    target = torch.tensor([processor.target_ids(example.target)], dtype=torch.long)  # [1, T]
    logits = model(**enc.with_completion(target.to(model.device))).logits  # [1, P+T, V]
    length = target.shape[1]
    logits = logits[:, -length - 1:-1, :].float()  # [1, T, V]
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                             target.to(model.device).reshape(-1),
                                             reduction="sum")
    return loss, length


def sft_step(model: Any, processor: Processor, optimizer: Any, batch: Sequence[Example],
             max_grad_norm: float = 1.0, ranks: Ranks = SINGLE) -> float:
    """One optimizer step on ``batch``; returns the mean token loss.

    Data-parallel (``ranks``): this rank's share of ``batch``, divided by the whole batch's
    token count, gradients summed over the ranks: the update one process makes on ``batch``.
    """
    import torch

    model.train()
    optimizer.zero_grad(set_to_none=True)
    # a sharded model's pads (index None: weight 0) keep every rank's forwards in step
    losses = [(*example_loss(model, processor, ex), 0.0 if i is None else 1.0)
              for i, ex in ranks.even_shard(batch)]
    (tokens,) = ranks.sum([sum(n * weight for _, n, weight in losses)])
    total = (sum((loss * weight for loss, _, weight in losses),
                 torch.zeros((), device=model.device)) / max(1.0, tokens))
    if losses:
        total.backward()
    params = [p for p in model.parameters() if p.requires_grad]
    ranks.sum_grads(params)
    torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
    optimizer.step()
    (value,) = ranks.sum([float(total.detach())])
    if value != value:  # NaN
        raise FloatingPointError("SFT loss is NaN")
    return value


def sft_phase(model: Any, processor: Processor, optimizer: Any, examples: Sequence[Example],
              steps: int, batch_size: int, seed: int, decay: bool = False,
              ranks: Ranks = SINGLE, start: int = 0,
              should_stop: Callable[[], bool] | None = None) -> list[float]:
    """``steps`` SFT steps on ``examples``; the losses of the steps it ran.

    ``start``: steps done already (a resumed phase: their batches are drawn again and
    skipped, so the phase goes on exactly where it stopped). ``should_stop`` is asked before
    each step (every rank must get the same answer); when it says so, the phase ends early.

    Batches walk seeded shuffles of the examples, epoch after epoch, so every example is seen
    as often as the others (drawing with replacement left some unseen and others seen thrice,
    and which depended on the seed). With ``decay``, each parameter group's learning rate
    falls linearly from its value to nearly 0 over the phase (and is restored after it), so the
    weights it ends on do not hinge on the last few batches.

    Data-parallel (``ranks``): every rank draws the same shuffles (same seed) and so builds
    the same global batches; :func:`sft_step` then takes this rank's share of each batch.
    """
    if not examples or steps <= 0:
        return []
    rng = random.Random(seed)
    order: list[int] = []
    start_lrs = [group["lr"] for group in optimizer.param_groups]
    losses = []
    try:
        for step in range(steps):
            if decay:
                for group, lr in zip(optimizer.param_groups, start_lrs, strict=True):
                    group["lr"] = lr * (steps - step) / steps
            batch = []
            for _ in range(batch_size):
                if not order:
                    order = list(range(len(examples)))
                    rng.shuffle(order)
                batch.append(examples[order.pop()])
            if step < start:
                continue
            if should_stop is not None and should_stop():
                break
            losses.append(sft_step(model, processor, optimizer, batch, ranks=ranks))
    finally:
        for group, lr in zip(optimizer.param_groups, start_lrs, strict=True):
            group["lr"] = lr
    return losses


def entropy_collapsed(history: Sequence[float], threshold: float, window: int = 2) -> bool:
    """True when the last ``window`` steps' mean token entropy is below ``threshold``.

    >>> entropy_collapsed([1.0, 0.05, 0.04], threshold=0.1)
    True
    >>> entropy_collapsed([0.05, 0.9], threshold=0.1)
    False
    >>> entropy_collapsed([0.01], threshold=0.1)
    False
    """
    if len(history) < window:
        return False
    return all(h < threshold for h in history[-window:])
