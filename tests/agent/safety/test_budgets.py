"""Budgets with a fake clock: steps, wall time, consecutive unparseable outputs."""

from __future__ import annotations

import pytest

from agent.clock import FakeClock
from agent.safety.budgets import Budgets
from agent.safety.config import SafetyConfig


def test_step_budget() -> None:
    b = Budgets(max_steps=3, max_seconds=60, max_unparseable=2, clock=FakeClock())
    for _ in range(2):
        b.record_step()
        assert b.exceeded() is None
    b.record_step()
    assert b.exceeded() == "step budget spent: 3 of 3 steps"


def test_time_budget_counts_from_the_start() -> None:
    clock = FakeClock(1000.0)
    b = Budgets(max_steps=100, max_seconds=30, max_unparseable=2, clock=clock)
    clock.advance(29.9)
    assert b.exceeded() is None
    assert b.elapsed == pytest.approx(29.9)
    clock.advance(0.1)
    reason = b.exceeded()
    assert reason is not None and reason.startswith("time budget spent: 30 s of 30 s")


def test_unparseable_budget_counts_only_in_a_row() -> None:
    b = Budgets(max_steps=100, max_seconds=60, max_unparseable=3, clock=FakeClock())
    for _ in range(5):  # fail, fail, parsed: the run starts again
        b.record_parse_failure()
        b.record_parse_failure()
        b.record_parsed()
        assert b.exceeded() is None
    b.record_parse_failure()
    b.record_parse_failure()
    assert b.exceeded() is None
    b.record_parse_failure()
    reason = b.exceeded()
    assert reason is not None and "could not be parsed 3 times in a row" in reason


def test_from_config_and_the_real_clock() -> None:
    config = SafetyConfig(max_steps=7, max_minutes=0.5, max_unparseable=4)
    b = Budgets.from_config(config)
    assert (b.max_steps, b.max_seconds, b.max_unparseable) == (7, 30.0, 4)
    assert b.exceeded() is None  # the real monotonic clock has not run 30 s


@pytest.mark.parametrize("kwargs", [
    {"max_steps": 0, "max_seconds": 1, "max_unparseable": 1},
    {"max_steps": 1, "max_seconds": 1, "max_unparseable": 0},
    {"max_steps": 1, "max_seconds": 0, "max_unparseable": 1},
    {"max_steps": 1, "max_seconds": float("nan"), "max_unparseable": 1},
])
def test_bad_budgets_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Budgets(**kwargs)  # type: ignore[arg-type]
