"""Coordinate frames: model image / 0-1000 grid / fraction ↔ virtual-screen pixels."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.frames import Frame, FrameError, Monitor

SCALES = [1.0, 1.25, 2.0]


@pytest.mark.parametrize("scale", SCALES)
def test_image_centre_and_corners_land_on_the_monitor_with_an_offset(scale: float) -> None:
    # A second monitor to the right of a 1920-wide one, with a HiDPI factor.
    monitor = Monitor(1920, 0, 1280, 720, scale=scale)
    pw, ph = monitor.physical_size
    assert (pw, ph) == (round(1280 * scale), round(720 * scale))
    frame = Frame(monitor, 1288, 728)
    assert frame.image_to_screen(644, 364) == (2560, 360)
    assert frame.image_to_screen(0, 0) == (1920, 0)
    assert frame.image_to_screen(1288, 728) == (1920 + 1279, 719)  # far edge: last pixel


@pytest.mark.parametrize("scale", SCALES)
def test_negative_origin_monitor(scale: float) -> None:
    # A monitor to the left of and above the primary one.
    frame = Frame(Monitor(-1600, -300, 1600, 900, scale=scale), 1600, 896)
    assert frame.image_to_screen(800, 448) == (-800, 150)
    assert frame.relative_to_screen(500, 500) == (-800, 150)
    assert frame.relative_to_screen(250, 0) == (-1200, -300)
    assert frame.screen_to_fraction(-800, 150) == (0.5, 0.5)
    assert frame.fraction_to_screen(0.25, 1.0) == (-1200, 599)


def test_physical_screenshot_pixels_map_through_the_scale_factor() -> None:
    frame = Frame(Monitor(100, 50, 1440, 900, scale=2.0), 1316, 812)
    # Physical pixel (2000, 1000) of a 2880x1800 screenshot is virtual (100+1000, 50+500).
    assert frame.physical_to_screen(2000, 1000) == (1100, 550)
    frame125 = Frame(Monitor(0, 0, 1536, 864, scale=1.25), 1316, 728)
    assert frame125.monitor.physical_size == (1920, 1080)
    assert frame125.physical_to_screen(960, 540) == (768, 432)


@pytest.mark.parametrize("bad", [(-1, 10), (10, -0.5), (1289, 10), (10, 729),
                                 (float("nan"), 1), (1, float("inf"))])
def test_points_outside_the_image_are_errors_not_clamped(bad: tuple[float, float]) -> None:
    frame = Frame(Monitor(0, 0, 1920, 1080), 1288, 728)
    with pytest.raises(FrameError):
        frame.image_to_screen(*bad)


def test_relative_grid_outside_0_1000_is_an_error() -> None:
    frame = Frame(Monitor(0, 0, 1920, 1080), 1280, 720)
    with pytest.raises(FrameError):
        frame.relative_to_screen(1001, 5)
    with pytest.raises(FrameError):
        frame.screen_to_fraction(1920, 5)  # one past the last column
    with pytest.raises(FrameError):
        frame.check_screen_point(-1, 0)


def test_malformed_frames_are_refused() -> None:
    with pytest.raises(FrameError):
        Monitor(0, 0, 0, 1080)
    with pytest.raises(FrameError):
        Monitor(0, 0, 10, 10, scale=0)
    with pytest.raises(FrameError):
        Frame(Monitor(0, 0, 10, 10), 0, 10)


@pytest.mark.parametrize("make", [
    lambda: Monitor(0, 0, 10**400, 10),  # no display is this large: float maths would overflow
    lambda: Monitor(-(10**30), 0, 10, 10),
    lambda: Monitor(0, 0, 10, 10, scale=1e300),
    lambda: Frame(Monitor(0, 0, 10, 10), 10**400, 10),
])
def test_absurd_frames_are_refused(make: Any) -> None:
    with pytest.raises(FrameError):
        make()


monitors = st.builds(
    Monitor, st.integers(-5000, 5000), st.integers(-5000, 5000), st.integers(1, 8000),
    st.integers(1, 5000), st.sampled_from(SCALES))


@given(monitors, st.integers(28, 4000), st.integers(28, 4000),
       st.floats(0, 1), st.floats(0, 1))
def test_any_image_point_lands_on_the_monitor(monitor: Monitor, iw: int, ih: int,
                                              fx: float, fy: float) -> None:
    frame = Frame(monitor, iw, ih)
    x, y = frame.image_to_screen(fx * iw, fy * ih)
    assert monitor.contains(x, y)
    x, y = frame.relative_to_screen(fx * 1000, fy * 1000)
    assert monitor.contains(x, y)


@given(monitors, st.data())
def test_screen_fraction_round_trip(monitor: Monitor, data: st.DataObject) -> None:
    frame = Frame(monitor, 1000, 1000)
    x = data.draw(st.integers(monitor.left, monitor.right - 1))
    y = data.draw(st.integers(monitor.top, monitor.bottom - 1))
    assert frame.fraction_to_screen(*frame.screen_to_fraction(x, y)) == (x, y)
