"""Settings of the learner: the ``[learner]`` table of config.toml, one sub-table per concern.

``[learner.data]`` (datasets from the store), ``[learner.rewards]``, ``[learner.registry]``
(adapter versions kept), ``[learner.gate]`` (promotion), ``[learner.schedule]`` (the nightly
timer and its conditions). The GRPO trainers add their own sub-tables (``[learner.actor]``,
``[learner.reward_model]``, ...) as further fields of :class:`LearnerConfig`.

The design choice a reader must know: every value is validated in ``__post_init__``, so a bad
value in the file stops the command that loads it with a message naming the key (the loader,
``agent.config``, prefixes the table), never half-way through a night's training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from learner.train_config import ActorTrainConfig, RewardTrainConfig

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: str) -> tuple[int, int]:
    """``"03:30"`` → ``(3, 30)``; anything else raises ``ValueError``.

    >>> parse_hhmm("03:30")
    (3, 30)
    >>> parse_hhmm("24:00")
    Traceback (most recent call last):
    ...
    ValueError: time must be HH:MM (00:00 to 23:59), got '24:00'
    """
    match = _HHMM.match(value)
    if not match:
        raise ValueError(f"time must be HH:MM (00:00 to 23:59), got {value!r}")
    return int(match.group(1)), int(match.group(2))


def _fraction(name: str, value: float, *, open_low: bool = False) -> None:
    low_ok = value > 0 if open_low else value >= 0
    if not (low_ok and value <= 1):
        raise ValueError(f"{name} must be in {'(' if open_low else '['}0, 1], got {value!r}")


@dataclass(frozen=True)
class DataConfig:
    """How judged steps become datasets (``learner.data``)."""

    holdout_fraction: float = 0.15  # share of *episodes* held out for the gate
    holdout_salt: str = "deskhand-holdout-v1"  # changing it reshuffles the split
    click_radius: float = 0.015  # a corrected click's target radius, fraction of the diagonal
    # An imported demonstration step (e.g. r1-computer-use) with no judgment of its own is a
    # positive example: the person who recorded it did that action on purpose.
    imported_steps_positive: bool = True

    def __post_init__(self) -> None:
        _fraction("holdout_fraction", self.holdout_fraction)
        _fraction("click_radius", self.click_radius)


@dataclass(frozen=True)
class RewardsConfig:
    """Shapes of the verifiable rewards (``learner.rewards``)."""

    click_sigma: float = 0.05  # σ of the click reward, as a fraction of the screen diagonal

    def __post_init__(self) -> None:
        _fraction("click_sigma", self.click_sigma, open_low=True)


@dataclass(frozen=True)
class RegistryConfig:
    """Adapter versions kept on disk (``learner.registry``)."""

    keep_versions: int = 5  # per role; the active version and its parent are always kept

    def __post_init__(self) -> None:
        if self.keep_versions < 2:
            raise ValueError("keep_versions must be >= 2 (the active one and one to roll back to)")


@dataclass(frozen=True)
class GateConfig:
    """When a candidate adapter replaces the active one (``learner.gate``)."""

    actor_margin: float = 0.02  # mean verifiable reward must rise by at least this much
    reward_margin: float = 0.02  # reward-model accuracy (at 0.5) must rise by at least this
    guard_tolerance: float = 0.02  # how much worse a guard metric may get
    # actor: refuse a candidate whose mean per-token KL to the base model on held-out prompts
    # exceeds this (nats); None measures and shows it without refusing
    max_kl: float | None = 1.0
    min_holdout: int = 20  # refuse to decide on fewer held-out examples than this
    alpha: float = 0.05  # one-sided significance level of the gate's paired tests

    def __post_init__(self) -> None:
        for name in ("actor_margin", "reward_margin", "guard_tolerance"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.max_kl is not None and self.max_kl <= 0:
            raise ValueError("max_kl must be > 0 when given")
        if self.min_holdout < 5:
            raise ValueError("min_holdout must be >= 5 (no test can decide on fewer)")
        if not 0 < self.alpha < 0.5:
            raise ValueError("alpha must be in (0, 0.5)")


@dataclass(frozen=True)
class ScheduleConfig:
    """The nightly timer and the conditions of a nightly run (``learner.schedule``)."""

    at: str = "03:00"  # local time the nightly window opens
    window_hours: int = 3  # the timer fires again every retry_minutes inside the window
    retry_minutes: int = 30
    idle_minutes: float = 20.0  # the user must have been idle this long
    # Where idle time cannot be measured (Wayland, a session without X, an unknown OS):
    # "run" trusts the night-time window, "skip" never trains there.
    when_idle_unknown: Literal["run", "skip"] = "run"
    require_ac_power: bool = True  # skip on battery (where power can be known)
    min_new_judgments: int = 20  # judgments since the role's last finished run
    unit_dir: Path | None = None  # where timer files go (None: the platform's own place)

    def __post_init__(self) -> None:
        parse_hhmm(self.at)
        if not 1 <= self.window_hours <= 23:
            raise ValueError("window_hours must be between 1 and 23")
        if not 5 <= self.retry_minutes <= 60 * self.window_hours:
            raise ValueError("retry_minutes must be between 5 and the window's length")
        if self.idle_minutes < 0:
            raise ValueError("idle_minutes must be >= 0")
        if self.min_new_judgments < 0:
            raise ValueError("min_new_judgments must be >= 0")


@dataclass(frozen=True)
class LearnerConfig:
    """The ``[learner]`` table. Trainer settings are added here as further sub-tables."""

    data: DataConfig = field(default_factory=DataConfig)
    rewards: RewardsConfig = field(default_factory=RewardsConfig)
    registry: RegistryConfig = field(default_factory=RegistryConfig)
    gate: GateConfig = field(default_factory=GateConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    actor: ActorTrainConfig = field(default_factory=ActorTrainConfig)
    reward_model: RewardTrainConfig = field(default_factory=RewardTrainConfig)
