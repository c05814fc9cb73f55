"""The ``UserGate`` seam: where the person approves, corrects, skips, stops or takes over.

The app (chat window) and the terminal (``deskhand run``) implement it; ``AutoGate`` approves
everything (``--approve never`` and tests); the tests' scripted gate is ``tests.fakes.gate``.

The one design choice a reader must know: the gate only *answers*; the loop decides when to
ask (by approval mode and safety verdict), records every answer as a judgment, and performs
the consequences (executing a correction, pausing for a takeover). A gate may block as long as
the person needs; it is called from the loop's thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from agent.screen import Observation
from models.actions import Action
from models.families.critic import CriticVerdict

DecisionKind = Literal["approve", "correct", "skip", "stop", "takeover"]
EventKind = Literal["budget", "stall", "blocked", "parse_failure", "error", "info"]


@dataclass(frozen=True)
class StepView:
    """What the person is shown of one step."""

    episode_id: int
    step_id: int
    index: int
    task: str
    observation: Observation
    action: Action
    reasoning: str
    raw: str
    verdict: CriticVerdict | None = None  # the critic's, when it ran before the gate
    flags: tuple[str, ...] = ()  # why the safety gate wants the person to look
    executed: bool = False  # True when shown for a rating after the step


@dataclass(frozen=True)
class UserDecision:
    kind: DecisionKind
    action: Action | None = None  # the corrected action, for ``correct``
    comment: str | None = None
    judged: bool = True  # False: no person decided (an unattended gate): no judgment is stored

    def __post_init__(self) -> None:
        if (self.kind == "correct") != (self.action is not None):
            raise ValueError("a correction (and only a correction) carries an action")


APPROVE = UserDecision("approve")
SKIP = UserDecision("skip")
STOP = UserDecision("stop")
TAKEOVER = UserDecision("takeover")


@dataclass(frozen=True)
class Rating:
    """An optional rating: 1–5 stars and/or thumbs up/down, and/or a comment."""

    stars: int | None = None
    thumbs: bool | None = None  # True up, False down
    comment: str | None = None

    def __post_init__(self) -> None:
        if self.stars is not None and not 1 <= self.stars <= 5:
            raise ValueError(f"stars must be 1..5, got {self.stars}")


@dataclass(frozen=True)
class GateEvent:
    kind: EventKind
    message: str


class UserGate(Protocol):
    def review(self, step: StepView) -> UserDecision:
        """The person's decision on a proposed step (before it is executed)."""
        ...

    def rate(self, step: StepView) -> Rating | None:
        """An optional rating of the step just executed (None: no rating)."""
        ...

    def notify(self, event: GateEvent) -> None:
        """Tell the person something happened (budget reached, action blocked, ...)."""
        ...

    def ask(self, question: str) -> bool:
        """A yes/no question (e.g. "the agent repeats itself: go on?")."""
        ...

    def answer(self, question: str) -> str | None:
        """The model's ``ask_user`` question; the person's reply (None: stop the episode)."""
        ...

    def takeover_done(self, step: StepView) -> None:
        """Block until the person says they finished acting themselves ("let me do it")."""
        ...


@dataclass
class AutoGate:
    """Approves everything, rates nothing, answers yes; keeps what it was told."""

    events: list[GateEvent] = field(default_factory=list)
    reviewed: list[StepView] = field(default_factory=list)
    reply: str | None = None  # the answer to ``ask_user`` (None stops the episode)

    def review(self, step: StepView) -> UserDecision:
        self.reviewed.append(step)
        return APPROVE

    def rate(self, step: StepView) -> Rating | None:
        return None

    def notify(self, event: GateEvent) -> None:
        self.events.append(event)

    def ask(self, question: str) -> bool:
        return True

    def answer(self, question: str) -> str | None:
        return self.reply

    def takeover_done(self, step: StepView) -> None:
        pass
