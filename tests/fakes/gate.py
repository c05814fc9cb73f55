"""The scripted person of the tests: decisions, ratings and answers in turn; every call kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.user_gate import APPROVE, GateEvent, Rating, StepView, UserDecision


@dataclass
class ScriptedGate:
    """For tests: decisions, ratings and yes/no answers in turn; records every call.

    When a script runs out: approve, no rating, yes.
    """

    decisions: Sequence[UserDecision] = ()
    ratings: Sequence[Rating | None] = ()
    answers: Sequence[bool] = ()
    replies: Sequence[str | None] = ()
    reviewed: list[StepView] = field(default_factory=list)
    rated: list[StepView] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    events: list[GateEvent] = field(default_factory=list)
    takeovers: list[StepView] = field(default_factory=list)

    def review(self, step: StepView) -> UserDecision:
        self.reviewed.append(step)
        n = len(self.reviewed) - 1
        return self.decisions[n] if n < len(self.decisions) else APPROVE

    def rate(self, step: StepView) -> Rating | None:
        self.rated.append(step)
        n = len(self.rated) - 1
        return self.ratings[n] if n < len(self.ratings) else None

    def notify(self, event: GateEvent) -> None:
        self.events.append(event)

    def ask(self, question: str) -> bool:
        self.questions.append(question)
        n = sum(1 for q in self.questions if not q.startswith("ask_user: ")) - 1
        return self.answers[n] if n < len(self.answers) else True

    def answer(self, question: str) -> str | None:
        self.questions.append(f"ask_user: {question}")
        n = sum(1 for q in self.questions if q.startswith("ask_user: ")) - 1
        return self.replies[n] if n < len(self.replies) else None

    def takeover_done(self, step: StepView) -> None:
        self.takeovers.append(step)
