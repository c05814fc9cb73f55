"""The reward model's warm-up guard: its GRPO steps may not undo what the warm-up learned.

After the warm-up (the person's judgments learned as verdicts, :mod:`learner.grpo_reward`) the
recipe notes the LoRA weights and how often the model's greedy verdicts agree with the person
on up to ``STATES`` of the run's *training* judgments. When the GRPO steps are done, it measures
again: if agreement fell by more than ``MARGIN``, the warm-up's weights go back and the run says
so. Measured on the learning bench's data: one GRPO update at a high rate could wreck the
verdict format (held-out parse rate 1.0 → 0.14 in one step), and the gate then had only a
broken candidate to refuse, losing the night's warm-up too.

The design choice a reader must know: the check reads training judgments, never the held-out
ones the gate decides on, so the gate's test stays untouched by this choice; being in-sample,
it favours the warm-up, which only makes it slower to discard GRPO's work (a real gain on the
training judgments keeps it). Every process of a data-parallel run holds the same weights and
makes the same greedy check, so all of them keep or restore alike without talking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from learner.gate import Evaluation
from learner.grpo import Prompted
from learner.policy import Processor

log = logging.getLogger(__name__)
STATES = 64  # training judgments the check reads (evenly spaced over the run's states)
MARGIN = 0.05  # agreement may fall this much (3 of 64) before GRPO's weights are dropped
Evaluate = Callable[[Any, Processor, Sequence[Prompted]], Evaluation]


def sample_states(train: Sequence[Prompted], count: int = STATES) -> list[Prompted]:
    """Up to ``count`` states spread evenly over ``train`` (all of them when fewer).

    >>> [s.text for s in sample_states([Prompted(str(i), None) for i in range(10)], 4)]
    ['0', '3', '6', '9']
    """
    if len(train) <= count:
        return list(train)
    return [train[i * (len(train) - 1) // (count - 1)] for i in range(count)]


@dataclass
class WarmupGuard:
    """The warm-up's LoRA weights and agreement, to compare with after GRPO."""

    states: list[Prompted]
    agreement: float
    weights: dict[str, Any]  # parameter name -> a copy of its tensor

    @classmethod
    def take(cls, model: Any, processor: Processor, train: Sequence[Prompted],
             evaluate: Evaluate) -> WarmupGuard:
        states = sample_states(train)
        agreement = evaluate(model, processor, states).metrics()["accuracy"]
        weights = {name: p.detach().clone() for name, p in model.named_parameters()
                   if p.requires_grad}
        return cls(states, agreement, weights)

    def whole_weights(self) -> dict[str, Any]:
        """The noted weights as whole CPU tensors (a sharded model's gathered: every rank of
        it must call this together), for a checkpoint."""
        from learner.sharding import whole

        return {name: whole(w) for name, w in self.weights.items()}

    def check(self, model: Any, processor: Processor, evaluate: Evaluate) -> dict[str, Any]:
        """Measure after GRPO; restore the warm-up's weights when agreement fell by more
        than ``MARGIN``. Returns what was measured and kept (for the run's row)."""
        import torch

        after = evaluate(model, processor, self.states).metrics()["accuracy"]
        kept = "grpo"
        if after < self.agreement - MARGIN:
            kept = "warm-up"
            with torch.no_grad():
                for name, p in model.named_parameters():
                    if name in self.weights:
                        p.copy_(_like(p, self.weights[name]))
            log.warning("GRPO lowered the reward model's agreement with the person's training "
                        "judgments from %.3f to %.3f (n=%d): the warm-up's weights are kept",
                        self.agreement, after, len(self.states))
        else:
            log.info("warm-up guard: agreement on %d training judgments %.3f after the warm-up, "
                     "%.3f after GRPO: GRPO's weights are kept", len(self.states),
                     self.agreement, after)
        return {"warmup_agreement": self.agreement, "grpo_agreement": after, "kept": kept,
                "n": len(self.states)}


def _like(param: Any, weight: Any) -> Any:
    """``weight`` laid out as ``param``: a whole tensor (read back from a checkpoint) split
    like a sharded model's parameter, else as it is."""
    from torch.distributed.tensor import DTensor

    if isinstance(param, DTensor) and not isinstance(weight, DTensor):
        from torch.distributed.tensor import distribute_tensor

        return distribute_tensor(weight.to(param.device), param.device_mesh, param.placements)
    return weight
