"""What a task suite is: ``reset(seed)`` opens a live task, ``verdict()`` judges it.

In the spirit of BrowserGym: a suite opens a real window the agent sees and acts on through
the ordinary episode loop, and judges the outcome by its own rules (an exercise's checker, a
web page's reward), never by the agent's word. ``oracle()`` and ``accepts()`` give what a
person who knows the task would: the next right action, and whether a proposed action is one.
The simulated user (:mod:`agent.suites.simulated_user`) judges steps with them; evaluation
uses only ``verdict``.

The design choice a reader must know: a suite knows nothing of models or the store; episodes
on it are built and stored like any other (``agent.episode.EpisodeRunner`` with the suite's
verdict as the loop's outside ``judge``), so they can be reviewed and trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from models.actions import Action


@dataclass(frozen=True)
class SuiteVerdict:
    """The suite's judgment of the task as it stands."""

    done: bool  # the task is over (solved, or failed for good)
    success: bool
    reward: float  # the suite's own reward (1/0 for the practice desktop)
    details: str = ""


class TaskSuite(Protocol):
    name: str

    def reset(self, seed: int) -> str:
        """Open task ``seed`` (a live window) and return its text for the agent."""
        ...

    def verdict(self) -> SuiteVerdict:
        """Judge the task as the screen now stands."""
        ...

    def oracle(self) -> list[Action]:
        """The right actions from here (what a person who knows the task would do)."""
        ...

    def accepts(self, action: Action) -> bool:
        """Whether ``action`` is a right next step now."""
        ...

    def close(self) -> None:
        """End the task: close its window, or (a suite whose window is slow to open, such as
        MiniWoB++'s browser) leave it for the next ``reset``."""
        ...


def judge_of(suite: TaskSuite) -> tuple[str, str] | None:
    """The episode loop's ``judge`` for a suite: end the episode once the task is over."""
    verdict = suite.verdict()
    if not verdict.done:
        return None
    return ("done" if verdict.success else "failed"), f"{suite.name}: {verdict.details}"
