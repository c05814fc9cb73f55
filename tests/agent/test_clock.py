"""The Clock seam: the real monotonic clock moves forward, the fake one only when told."""

from __future__ import annotations

import time

import pytest

from agent.clock import Clock, FakeClock, MonotonicClock


def test_monotonic_clock_moves_forward() -> None:
    clock: Clock = MonotonicClock()
    first = clock.now()
    deadline = time.monotonic() + 5
    while clock.now() == first and time.monotonic() < deadline:
        pass
    assert clock.now() > first


def test_fake_clock_moves_only_when_told() -> None:
    clock: Clock = FakeClock(5.0)
    assert clock.now() == 5.0 == clock.now()
    assert isinstance(clock, FakeClock)
    clock.advance(0.25)
    assert clock.now() == 5.25
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            clock.advance(bad)
    assert clock.now() == 5.25
