"""Settings of the GRPO trainers: ``[learner.actor]`` and ``[learner.reward_model]``.

One frozen dataclass per role, validated in ``__post_init__`` like the rest of
:mod:`learner.config` (which holds them as fields of ``LearnerConfig``). The defaults are for a
real 3B-class base on one GPU; tests and benches pass small values.

The design choice a reader must know: the learning rate, LoRA shape and GRPO knobs are the
same fields for both roles (``GRPOConfig``), the supervised warm-up on the person's own
judgments included; a role adds only what is its own (the actor's Entropulse threshold), so a
run's config JSON reads the same for both.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class GRPOConfig:
    """What both trainers share."""

    lr: float = 2e-5
    lora_rank: int = 16
    lora_alpha: int = 32
    group_size: int = 8  # G completions per state
    states_per_step: int = 4
    max_steps: int = 200
    max_minutes: float = 120.0
    max_new_tokens: int = 256
    temperature: float = 1.0
    beta: float = 0.04  # KL weight to the base (adapter disabled); 0 skips the reference pass
    clip_low: float = 0.2
    clip_high: float = 0.28  # DAPO clip-higher; = clip_low for the symmetric clip
    iterations: int = 1  # updates per batch of samples (the clip matters when > 1)
    format_weight: float = 0.2
    max_grad_norm: float = 1.0
    checkpoint_every: int = 10  # steps; SIGTERM and the end of the run checkpoint too
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    load_in_4bit: bool = False  # CUDA only, needs bitsandbytes
    gradient_checkpointing: bool = True  # CUDA only
    # supervised steps on what the person said before the first RL step of a run: the actor
    # learns the actions they vouched for (approved, corrected, done by hand) as
    # demonstrations, the reward model their judgments as verdicts. The warm-up runs
    # sft_steps, or more when that is too few for sft_epochs passes over the examples (the
    # data grows night after night; a fixed step count would see each example less and less)
    sft_steps: int = 20
    sft_batch: int = 4
    sft_lr: float = 1e-5  # decays linearly to 0 over the warm-up
    sft_epochs: float = 0.0

    def __post_init__(self) -> None:
        if self.sft_steps < 0 or self.sft_batch < 1 or not self.sft_lr > 0:
            raise ValueError("sft_steps must be >= 0, sft_batch >= 1 and sft_lr > 0")
        if not 0 <= self.sft_epochs <= 1000:
            raise ValueError("sft_epochs must be in [0, 1000]")
        positive = ("lr", "lora_rank", "lora_alpha", "states_per_step", "max_steps",
                    "max_minutes", "max_new_tokens", "iterations", "checkpoint_every",
                    "max_grad_norm")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.group_size < 2:
            raise ValueError("group_size must be >= 2 (advantages are relative to the group)")
        if self.temperature <= 0:
            raise ValueError("temperature must be > 0 for sampling")
        for name in ("beta", "clip_low", "clip_high", "format_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.clip_high < self.clip_low:
            raise ValueError("clip_high must be >= clip_low")

    def warmup_steps(self, examples: int) -> int:
        """How many warm-up steps on ``examples`` examples (0 without any).

        >>> cfg = GRPOConfig(sft_steps=40, sft_batch=4, sft_epochs=5.0)
        >>> cfg.warmup_steps(20), cfg.warmup_steps(100), cfg.warmup_steps(0)
        (40, 125, 0)
        """
        if examples <= 0 or self.sft_steps <= 0:
            return 0
        return max(self.sft_steps, math.ceil(self.sft_epochs * examples / self.sft_batch))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ActorTrainConfig(GRPOConfig):
    """``[learner.actor]``: GRPO of the actor, with Entropulse."""

    entropy_floor: float = 0.05  # mean token entropy (nats) below which RL pauses for SFT
    entropulse_steps: int = 5  # SFT steps on accepted/corrected actions per pulse

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.entropy_floor < 0 or self.entropulse_steps < 0:
            raise ValueError("entropy_floor and entropulse_steps must be >= 0")


@dataclass(frozen=True)
class RewardTrainConfig(GRPOConfig):
    """``[learner.reward_model]``: GRPO of the reward model."""

    max_new_tokens: int = 128  # (whether it reasons first is the agent's critic_reasoning)


@dataclass(frozen=True)
class TrainConfig:
    """Both roles (what ``LearnerConfig`` should hold as ``actor`` and ``reward_model``)."""

    actor: ActorTrainConfig = field(default_factory=ActorTrainConfig)
    reward_model: RewardTrainConfig = field(default_factory=RewardTrainConfig)


def train_config(learner: Any) -> TrainConfig:
    """The trainer settings inside a ``LearnerConfig`` (defaults where it has none yet)."""
    return TrainConfig(actor=getattr(learner, "actor", None) or ActorTrainConfig(),
                       reward_model=getattr(learner, "reward_model", None)
                       or RewardTrainConfig())
