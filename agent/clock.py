"""The ``Clock`` seam: where the agent reads the time, so budgets can be tested without waiting.

``MonotonicClock`` is the real one (``time.monotonic``: never jumps with the wall clock, so a
budget is not spent or refunded by an NTP correction); ``FakeClock`` is moved by hand in tests.

The one design choice a reader must know: a clock only *tells* the time (seconds as a float,
from an arbitrary origin); nothing here sleeps, so differences of two readings are all that
mean anything.
"""

from __future__ import annotations

import math
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds from an arbitrary, fixed origin; never decreases."""
        ...


class MonotonicClock:
    """The real clock: ``time.monotonic()``.

    >>> c = MonotonicClock()
    >>> c.now() <= c.now()
    True
    """

    def now(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that only moves when told to.

    >>> c = FakeClock(100.0)
    >>> c.advance(2.5)
    >>> c.now()
    102.5
    >>> c.advance(-1)
    Traceback (most recent call last):
    ...
    ValueError: a clock cannot go back (advance by -1)
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"a clock cannot go back (advance by {seconds!r})")
        self._now += seconds
