"""The scripted critic of the tests: verdicts in turn (the last repeats), or a function of the
action; it keeps every call."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agent.screen import Observation
from models.actions import Action
from models.families.critic import CriticVerdict

Verdicts = Sequence[CriticVerdict | None] | Callable[[Action], CriticVerdict | None]


class ScriptedCritic:
    """For tests: verdicts in turn (the last repeats), or a function of the action."""

    def __init__(self, verdicts: Verdicts) -> None:
        self.verdicts = verdicts
        self.calls: list[tuple[str, Action, str]] = []

    def score(self, task: str, observation: Observation, action: Action,
              reasoning: str) -> CriticVerdict | None:
        self.calls.append((task, action, reasoning))
        if callable(self.verdicts):
            return self.verdicts(action)
        if not self.verdicts:
            return None
        return self.verdicts[min(len(self.calls), len(self.verdicts)) - 1]
