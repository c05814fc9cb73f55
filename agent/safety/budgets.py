"""Budgets of an episode: steps, wall time, and consecutive unparseable outputs.

The loop calls ``record_step()`` once per step — one proposal of the model, parsed or not —
then ``record_parsed()`` or ``record_parse_failure()``, and asks ``exceeded()`` before the next
proposal: a string says which budget is spent (the episode ends with that reason), None means
go on.

The one design choice a reader must know: time is read from an injected ``Clock`` and counted
from the construction of the ``Budgets`` (the start of the episode), so tests move a
``FakeClock`` instead of sleeping, and the wall-time limit is checked, not enforced by a timer:
a step already running finishes (the Stop button is what cuts a step short).
"""

from __future__ import annotations

import math

from agent.clock import Clock, MonotonicClock
from agent.safety.config import SafetyConfig


class Budgets:
    """
    >>> from agent.clock import FakeClock
    >>> clock = FakeClock()
    >>> b = Budgets(max_steps=2, max_seconds=60, max_unparseable=2, clock=clock)
    >>> b.record_step(); b.exceeded() is None
    True
    >>> b.record_step(); b.exceeded()
    'step budget spent: 2 of 2 steps'
    """

    def __init__(self, max_steps: int, max_seconds: float, max_unparseable: int,
                 clock: Clock | None = None) -> None:
        if max_steps < 1 or max_unparseable < 1:
            raise ValueError("max_steps and max_unparseable must be >= 1")
        if not (math.isfinite(max_seconds) and max_seconds > 0):
            raise ValueError(f"max_seconds must be a positive number, got {max_seconds!r}")
        self.max_steps = max_steps
        self.max_seconds = float(max_seconds)
        self.max_unparseable = max_unparseable
        self.clock: Clock = clock or MonotonicClock()
        self.started = self.clock.now()
        self.steps = 0
        self.unparseable_in_a_row = 0

    @classmethod
    def from_config(cls, config: SafetyConfig, clock: Clock | None = None) -> Budgets:
        return cls(config.max_steps, config.max_seconds, config.max_unparseable, clock)

    def record_step(self) -> None:
        self.steps += 1

    def record_parse_failure(self) -> None:
        self.unparseable_in_a_row += 1

    def record_parsed(self) -> None:
        self.unparseable_in_a_row = 0

    @property
    def elapsed(self) -> float:
        return self.clock.now() - self.started

    def exceeded(self) -> str | None:
        """Why the episode must end now, or None."""
        if self.unparseable_in_a_row >= self.max_unparseable:
            return (f"the model's output could not be parsed {self.unparseable_in_a_row} "
                    f"times in a row (limit {self.max_unparseable})")
        if self.steps >= self.max_steps:
            return f"step budget spent: {self.steps} of {self.max_steps} steps"
        if self.elapsed >= self.max_seconds:
            return f"time budget spent: {self.elapsed:.0f} s of {self.max_seconds:.0f} s"
        return None
