"""A "let me do it" recorder without a desktop: it finishes with the actions it was given.

It has the shape of ``agent.control.record.UserActionRecorder`` (``start``, ``finish``) and
counts its starts, so a test can check the loop started it once per takeover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.actions import Action


@dataclass
class FakeRecorder:
    actions: Sequence[Action] = ()
    started: int = 0

    def start(self) -> None:
        self.started += 1

    def finish(self) -> list[Action]:
        return list(self.actions)
