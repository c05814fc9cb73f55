"""The nightly training budget for the device a role trains on.

The ``[learner.actor]`` / ``[learner.reward_model]`` defaults are sized for a 3B-class base on
one CUDA GPU. On the CPU the same night would not finish in its window, so a role that trains
on the CPU gets :data:`CPU_BUDGET` instead, and ``deskhand learn`` says so and why.

The design choice a reader must know: only the settings a person did not write are scaled; a
value they wrote in config.toml or with ``--set`` is theirs and is kept, even when it equals the
default (the caller passes those names; a run's config JSON shows what was used). The
decision is a pure function of the device's name, so it is tested without a GPU.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from learner.config import LearnerConfig
from learner.train_config import GRPOConfig

# A night on the CPU: both roles and their served evaluations inside the default 3-hour window
# (max_minutes per role; a run stopped by time is evaluated and gated like any other), with a
# checkpoint every other step so a night cut short resumes instead of starting over.
CPU_BUDGET: dict[str, Any] = {"group_size": 4, "states_per_step": 1, "max_steps": 30,
                              "max_new_tokens": 96, "max_minutes": 60.0, "sft_steps": 10,
                              "sft_batch": 2, "checkpoint_every": 2}
CPU_REWARD_TOKENS = 64  # the reward model's verdict is shorter than an action
ROLE_FIELDS = {"actor": "actor", "reward": "reward_model"}


@dataclass(frozen=True)
class Budget:
    learner: LearnerConfig  # with the role's settings scaled where they were defaults
    note: str  # what ``deskhand learn`` says about it


def scale(cfg: GRPOConfig, device: str, role: str,
          written: Collection[str] = ()) -> tuple[GRPOConfig, list[str]]:
    """``cfg`` for ``device`` and the names of the settings changed (none on a GPU, none of
    those in ``written``).

    >>> from learner.train_config import ActorTrainConfig
    >>> cpu, changed = scale(ActorTrainConfig(group_size=8), "cpu", "actor", {"group_size"})
    >>> cpu.group_size, cpu.max_steps, "group_size" in changed
    (8, 30, False)
    >>> scale(ActorTrainConfig(), "cuda", "actor")[1]
    []
    """
    if device != "cpu":
        return cfg, []
    target = {**CPU_BUDGET, **({"max_new_tokens": CPU_REWARD_TOKENS} if role == "reward" else {})}
    changed = {name: value for name, value in target.items()
               if name not in written and getattr(cfg, name) != value}
    return replace(cfg, **changed), sorted(changed)


def describe(cfg: GRPOConfig) -> str:
    """The figures that decide a night's length, in words.

    >>> from learner.train_config import ActorTrainConfig
    >>> describe(ActorTrainConfig())
    'group 8, 4 states per step, 200 steps, 256 new tokens, 120 minutes'
    """
    return (f"group {cfg.group_size}, {cfg.states_per_step} states per step, {cfg.max_steps} "
            f"steps, {cfg.max_new_tokens} new tokens, {cfg.max_minutes:g} minutes")


def for_device(learner: LearnerConfig, role: str, device: str, device_name: str = "",
               written: Collection[str] = ()) -> Budget:
    """``learner`` with ``role``'s trainer scaled for ``device`` ("cpu", "cuda", ...), but for
    the settings in ``written`` (the names the person set in the role's table)."""
    name = ROLE_FIELDS[role]
    cfg: GRPOConfig = getattr(learner, name)
    scaled, changed = scale(cfg, device, role, written)
    where = f"{device} ({device_name})" if device_name else device
    if device != "cpu":
        note = f"{role}: training on {where} with the full budget: {describe(scaled)}"
    elif changed:
        note = (f"{role}: training on the CPU (no CUDA GPU for torch), so with the CPU budget "
                f"that finishes in a night: {describe(scaled)} (set learner.{name}.* in "
                "config.toml to choose other values)")
    else:
        note = (f"{role}: training on the CPU (no CUDA GPU for torch) with your settings: "
                f"{describe(scaled)}")
    changes: dict[str, Any] = {name: scaled}
    return Budget(replace(learner, **changes), note)
