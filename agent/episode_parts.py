"""The parts an ``EpisodeRunner`` is built from, and what it reports back.

Plain data and small Protocols, kept apart from the loop (``agent/episode.py``) so the app can
build and type them without reading the algorithm. The one design choice a reader must know:
the safety pieces are Protocols (``Safety``, ``BudgetsLike``, ...) that ``agent.safety``'s
classes satisfy as they are; ``agent.episode_safety.make_guards`` builds the real set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.actuator import Actuator, StopToken
from agent.clock import Clock, MonotonicClock
from agent.critic import Critic
from agent.policy import Policy
from agent.screen import Observation, Screen
from agent.store.repo import Store
from agent.user_gate import UserGate
from models.actions import Action
from models.families.critic import CriticVerdict


class Verdict(Protocol):
    @property
    def verdict(self) -> str: ...  # "allow" | "ask" | "block"

    @property
    def reasons(self) -> tuple[str, ...] | list[str]: ...


class Safety(Protocol):
    """The deterministic gate, as the loop sees it (``agent.episode_safety`` adapts it)."""

    def check(self, action: Action, observation: Observation, reasoning: str = "") -> Verdict:
        ...

    def executed(self, action: Action, reasoning: str = "") -> None:
        """The action was carried out (the next check's "previous action")."""
        ...


class BudgetsLike(Protocol):
    def record_step(self) -> None: ...

    def record_parse_failure(self) -> None: ...

    def record_parsed(self) -> None: ...

    def exceeded(self) -> str | None: ...


class StallLike(Protocol):
    def observe(self, action: Action, sha: str) -> bool: ...


class ApprovalsLike(Protocol):
    def grant(self, action: Action, sha: str) -> None: ...

    def is_approved(self, action: Action, sha: str) -> bool: ...

    def consume(self, action: Action, sha: str) -> bool: ...


class Recorder(Protocol):
    """Records the person's own input ("let me do it") in Deskhand's action vocabulary."""

    def start(self) -> None: ...

    def finish(self) -> list[Action]: ...


@dataclass
class Guards:
    safety: Safety
    budgets: BudgetsLike
    stall: StallLike
    approvals: ApprovalsLike


@dataclass
class EpisodeParts:
    screen: Screen
    actuator: Actuator
    policy: Policy
    gate: UserGate
    store: Store
    guards: Guards
    critic: Critic | None = None
    stop: StopToken = field(default_factory=StopToken)
    clock: Clock = field(default_factory=MonotonicClock)
    recorder: Callable[[], Recorder] | None = None  # for takeover; None: not available
    paused: threading.Event | None = None  # set while real user input pauses the agent
    # an outside judge of the task (a task suite's own verdict, e.g. a MiniWoB++ page's
    # reward): asked after every step; (status, summary) ends the episode there
    judge: Callable[[], tuple[str, str] | None] | None = None


@dataclass(frozen=True)
class EpisodeMeta:
    """What the episode row says about how it ran (models, adapters, resolved config)."""

    actor_model: str | None = None
    actor_adapter: str | None = None
    critic_model: str | None = None
    critic_adapter: str | None = None
    config: dict[str, Any] | None = None
    source: str = "user"  # "eval": a suite's evaluation episode, never trained on
    # where the task came from, when it has a name of its own (a suite's task and seed): the
    # learner's holdout split hashes it, so the same task is on the same side on every run
    source_ref: str | None = None


@dataclass(frozen=True)
class StepReport:
    """One finished step, for ``on_step`` and the episode's result."""

    index: int
    step_id: int
    action: Action | None
    outcome: str
    reasoning: str = ""
    parse_error: str | None = None
    verdict: CriticVerdict | None = None
    note: str = ""


@dataclass(frozen=True)
class EpisodeResult:
    episode_id: int
    status: str  # done / failed / stopped
    summary: str
    steps: tuple[StepReport, ...]


@dataclass
class Callbacks:
    on_token: Callable[[str], None] | None = None
    on_step: Callable[[StepReport], None] | None = None
    on_status: Callable[[str], None] | None = None
