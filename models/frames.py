"""Coordinate frames: the one place that converts a model's coordinates to screen pixels.

A model points into the image it saw (the resized screenshot), either in absolute pixels
of that image (Qwen2.5-VL, UI-TARS-1.5, Deskhand) or in a 0–1000 relative grid (Qwen3-VL).
The actuator needs pixels of the *virtual screen* (the frame xdotool and pyautogui use),
where a monitor may start at a non-zero or negative origin. HiDPI only changes how many
physical pixels the screenshot has per virtual pixel, never what a fraction of the monitor
is.

The design choice a reader must know: every conversion goes through the *fraction of the
monitor* ((0, 0) top-left corner, (1, 1) bottom-right corner), and a point that falls outside
the monitor is an error (``FrameError``), never silently clamped into it. Only the far edge
itself (fraction exactly 1.0, which a model may write for the last pixel) maps to the last
pixel row or column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

RELATIVE_GRID = 1000  # Qwen3-VL's relative coordinate grid: 0..1000 on both axes
# No display is larger or further out than this; beyond it a frame is malformed (and float
# arithmetic on its edges could overflow).
MAX_FRAME_PIXELS = 1 << 20
MAX_SCALE = 16.0


class FrameError(ValueError):
    """A point is outside the monitor or the image, or a frame is malformed."""


def _round(value: float) -> int:
    """Round half up (not to even), so conversions are stable and easy to predict."""
    return int(math.floor(value + 0.5))


def _fraction(value: float, size: float, what: str) -> float:
    if not math.isfinite(value):
        raise FrameError(f"{what} coordinate {value!r} is not a finite number")
    fraction = value / size
    if not 0.0 <= fraction <= 1.0:
        raise FrameError(f"{what} coordinate {value:g} is outside 0..{size:g}")
    return fraction


@dataclass(frozen=True)
class Monitor:
    """A monitor rectangle in virtual-screen pixels, and its HiDPI scale factor.

    ``scale`` is physical pixels of the screenshot per virtual pixel (1.0 on X11; 1.25, 2.0
    with fractional or Retina scaling). The screenshot of this monitor is ``physical_size``.

    >>> Monitor(-1280, 0, 1280, 1024).right
    0
    >>> Monitor(0, 0, 1440, 900, scale=2.0).physical_size
    (2880, 1800)
    """

    left: int
    top: int
    width: int
    height: int
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not (0 < self.width <= MAX_FRAME_PIXELS and 0 < self.height <= MAX_FRAME_PIXELS):
            raise FrameError(f"monitor size must be 1..{MAX_FRAME_PIXELS} pixels a side, "
                             f"got {self.width}x{self.height}")
        if not (abs(self.left) <= MAX_FRAME_PIXELS and abs(self.top) <= MAX_FRAME_PIXELS):
            raise FrameError(f"monitor origin ({self.left}, {self.top}) is beyond "
                             f"±{MAX_FRAME_PIXELS}")
        if not (math.isfinite(self.scale) and 0 < self.scale <= MAX_SCALE):
            raise FrameError(f"scale factor must be in (0, {MAX_SCALE:g}], got {self.scale!r}")

    @property
    def right(self) -> int:
        """One past the last pixel column."""
        return self.left + self.width

    @property
    def bottom(self) -> int:
        """One past the last pixel row."""
        return self.top + self.height

    @property
    def physical_size(self) -> tuple[int, int]:
        """(width, height) of a screenshot of this monitor in physical pixels."""
        return _round(self.width * self.scale), _round(self.height * self.scale)

    def contains(self, x: int, y: int) -> bool:
        """Whether a virtual-screen pixel lies on this monitor."""
        return self.left <= x < self.right and self.top <= y < self.bottom


@dataclass(frozen=True)
class Frame:
    """A monitor plus the size of the image the model saw of it (the resized screenshot).

    >>> f = Frame(Monitor(1920, -200, 2560, 1440, scale=1.25), 1288, 728)
    >>> f.image_to_screen(644, 364)            # the centre of the image
    (3200, 520)
    >>> f.relative_to_screen(0, 1000)          # bottom-left corner of a 0-1000 grid
    (1920, 1239)
    >>> f.screen_to_image(3200, 520)
    (644.0, 364.0)
    """

    monitor: Monitor
    image_width: int
    image_height: int

    def __post_init__(self) -> None:
        if not (0 < self.image_width <= MAX_FRAME_PIXELS
                and 0 < self.image_height <= MAX_FRAME_PIXELS):
            raise FrameError(f"image size must be 1..{MAX_FRAME_PIXELS} pixels a side, "
                             f"got {self.image_width}x{self.image_height}")

    # -- the one shared path: fraction of the monitor <-> virtual screen ------------------
    def fraction_to_screen(self, fx: float, fy: float) -> tuple[int, int]:
        """A fraction of the monitor (0..1 on both axes) → a virtual-screen pixel."""
        for value, axis in ((fx, "x"), (fy, "y")):
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise FrameError(f"{axis} fraction {value!r} is outside 0..1")
        m = self.monitor
        x = min(m.left + _round(fx * m.width), m.right - 1)
        y = min(m.top + _round(fy * m.height), m.bottom - 1)
        return x, y

    def screen_to_fraction(self, x: float, y: float) -> tuple[float, float]:
        """A virtual-screen pixel → the fraction of the monitor (the resolution-free form).

        >>> Frame(Monitor(-1280, 0, 1280, 1024), 1288, 1036).screen_to_fraction(-640, 512)
        (0.5, 0.5)
        """
        m = self.monitor
        if not (math.isfinite(x) and math.isfinite(y)) or not m.contains(
                math.floor(x), math.floor(y)):
            raise FrameError(f"point ({x}, {y}) is outside the monitor {m}")
        return (x - m.left) / m.width, (y - m.top) / m.height

    # -- model frames ------------------------------------------------------------------
    def image_to_screen(self, x: float, y: float) -> tuple[int, int]:
        """Absolute pixels of the resized image → a virtual-screen pixel."""
        return self.fraction_to_screen(_fraction(x, self.image_width, "image x"),
                                       _fraction(y, self.image_height, "image y"))

    def relative_to_screen(self, x: float, y: float, grid: int = RELATIVE_GRID) -> tuple[int, int]:
        """A point on a 0..``grid`` relative grid (Qwen3-VL: 0..1000) → a virtual-screen pixel."""
        return self.fraction_to_screen(_fraction(x, grid, "relative x"),
                                       _fraction(y, grid, "relative y"))

    def screen_to_image(self, x: float, y: float) -> tuple[float, float]:
        """A virtual-screen pixel → absolute pixels of the resized image (for prompts, targets)."""
        fx, fy = self.screen_to_fraction(x, y)
        return fx * self.image_width, fy * self.image_height

    def screen_to_relative(self, x: float, y: float,
                           grid: int = RELATIVE_GRID) -> tuple[float, float]:
        """A virtual-screen pixel → a point on a 0..``grid`` relative grid."""
        fx, fy = self.screen_to_fraction(x, y)
        return fx * grid, fy * grid

    def physical_to_screen(self, px: float, py: float) -> tuple[int, int]:
        """A pixel of the full-resolution screenshot (physical pixels) → virtual screen."""
        pw, ph = self.monitor.physical_size
        return self.fraction_to_screen(_fraction(px, pw, "screenshot x"),
                                       _fraction(py, ph, "screenshot y"))

    def check_screen_point(self, x: int, y: int) -> tuple[int, int]:
        """Return the point if it lies on the monitor, else raise ``FrameError``."""
        if not self.monitor.contains(x, y):
            raise FrameError(f"point ({x}, {y}) is outside the monitor {self.monitor}")
        return x, y
