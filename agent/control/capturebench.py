"""``deskhand bench capture``: screen → model-ready image, against the bare mss grab.

Both are timed in the same run on the same display, interleaved, and the ratio of medians is
the figure: ``full`` is ``MssScreen.capture()`` (grab, RGB conversion, masks, cursor, window
title) plus the family's resize to the model's image size; ``bare`` is ``mss.grab`` alone.
``DISPLAY`` must name the display before this runs (see ``xserver``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.screen import MssScreen
from models.families.base import get_family
from models.imaging import resize_rgb


@dataclass(frozen=True)
class CaptureReport:
    screen: tuple[int, int]  # width, height of the captured monitor (physical pixels)
    image: tuple[int, int]  # width, height the model sees
    family: str
    iterations: int
    bare_ms: float  # medians
    capture_ms: float
    resize_ms: float
    full_ms: float

    @property
    def ratio(self) -> float:
        return self.full_ms / self.bare_ms if self.bare_ms > 0 else float("inf")


def _ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 3)


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def bench_capture(iterations: int = 30, family_name: str = "qwen25vl") -> CaptureReport:
    import mss

    family = get_family(family_name)
    screen = MssScreen()
    bare, capture, resize, full = [], [], [], []
    with mss.MSS() as sct:
        region = dict(sct.monitors[1])
        try:
            screen.capture()  # warm both paths: first grabs allocate
            sct.grab(region)
            size = (0, 0)
            for _ in range(iterations):
                seconds, _shot = _timed(sct.grab, region)
                bare.append(seconds)
                seconds_capture, obs = _timed(screen.capture)
                height, width = obs.image.shape[:2]
                size = family.image_size(width, height)
                seconds_resize, _img = _timed(resize_rgb, obs.image, size[1], size[0])
                capture.append(seconds_capture)
                resize.append(seconds_resize)
                full.append(seconds_capture + seconds_resize)
        finally:
            screen.close()
    return CaptureReport((int(region["width"]), int(region["height"])), size, family_name,
                         iterations, _ms(bare), _ms(capture), _ms(resize), _ms(full))
