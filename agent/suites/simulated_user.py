"""A simulated person at the gate: judges every step from a task suite's own knowledge.

It answers through the same ``UserGate`` the app and the terminal implement, so every judgment
it gives is stored exactly as a person's would be: it approves a step the suite ``accepts``,
and otherwise corrects it with the suite's next right action (as a person clicking the right
place on the screenshot would) a share of the time, takes over and does the step itself a
share of the time (the episode's real recorder sees its input), and rejects the rest. People
err: with ``error_rate`` it judges the other way. Everything is drawn from one seeded RNG.

The design choice a reader must know: it judges *before* the step runs (approval mode
"each"), the way a careful person uses Deskhand while teaching it, so a wrong action it
catches is never executed; the episode's outcome comes from the suite's verdict alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from agent.actuator import Actuator
from agent.suites.base import TaskSuite
from agent.user_gate import APPROVE, SKIP, TAKEOVER, GateEvent, Rating, StepView, UserDecision
from models.actions import Wait


@dataclass
class Tally:
    """How the simulated user judged so far (the bench reports it)."""

    approved: int = 0
    rejected: int = 0
    corrected: int = 0
    took_over: int = 0
    errors: int = 0  # judgments deliberately made the wrong way round


@dataclass
class SimulatedUser:
    suite: TaskSuite
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    error_rate: float = 0.05
    correct_share: float = 0.5  # of the wrong steps: corrected with the right action
    takeover_share: float = 0.1  # of the wrong steps: done by hand (needs ``hands``)
    hands: Actuator | None = None  # the "person's" own mouse and keyboard, for takeovers
    tally: Tally = field(default_factory=Tally)

    def __post_init__(self) -> None:
        for name in ("error_rate", "correct_share", "takeover_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]")
        if self.correct_share + self.takeover_share > 1.0:
            raise ValueError("correct_share + takeover_share must be <= 1")

    def review(self, step: StepView) -> UserDecision:
        right = self.suite.accepts(step.action)
        if self.rng.random() < self.error_rate:
            right = not right
            self.tally.errors += 1
        if right:
            self.tally.approved += 1
            return APPROVE
        draw = self.rng.random()
        plan = [a for a in self.suite.oracle() if not isinstance(a, Wait)]
        if plan and self.hands is not None and draw < self.takeover_share:
            self.tally.took_over += 1
            return TAKEOVER
        if plan and draw < self.takeover_share + self.correct_share:
            self.tally.corrected += 1
            return UserDecision("correct", plan[0])
        self.tally.rejected += 1
        return SKIP

    def takeover_done(self, step: StepView) -> None:
        """Do the next right step by hand (the recorder is listening)."""
        plan = [a for a in self.suite.oracle() if not isinstance(a, Wait)]
        if plan and self.hands is not None:
            self.hands.execute(plan[0])

    def rate(self, step: StepView) -> Rating | None:
        return None  # the episode is rated as a whole by the bench, from the suite's verdict

    def notify(self, event: GateEvent) -> None:
        pass

    def ask(self, question: str) -> bool:
        return False  # "the same action again on an unchanged screen?" — no

    def answer(self, question: str) -> str | None:
        return None
