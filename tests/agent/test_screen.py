"""The Screen seam: captures under a real X display, geometry, masks, and the fake."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np
import pytest

from agent.screen import CaptureMasks, FakeScreen, MssScreen, Rect, apply_masks
from models.frames import Monitor
from tests.fixtures.display import XDisplay

TK_WINDOW = """
import sys, tkinter as tk
root = tk.Tk(); root.title(sys.argv[1]); root.configure(bg=sys.argv[2])
root.geometry(sys.argv[3]); root.overrideredirect(False)
root.after(100, lambda: (print("ready", flush=True)))
root.mainloop()
"""


@pytest.fixture
def red_window(xdisplay: XDisplay) -> Iterator[tuple[int, int, int, int]]:
    """A red 300×200 Tk window titled 'Secret Bank' at (400, 300)."""
    proc = subprocess.Popen([sys.executable, "-c", TK_WINDOW, "Secret Bank", "#ff0000",
                             "300x200+400+300"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    yield (400, 300, 300, 200)
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


@pytest.mark.display
def test_capture_sees_the_window_in_physical_pixels(red_window: tuple[int, int, int, int]
                                                    ) -> None:
    subprocess.run(["xdotool", "search", "--name", "Secret Bank", "windowfocus"], check=True,
                   timeout=10)
    screen = MssScreen()
    try:
        obs = screen.capture()
    finally:
        screen.close()
    assert obs.image.shape == (1080, 1920, 3) and obs.image.dtype == np.uint8
    assert obs.monitor == Monitor(0, 0, 1920, 1080, 1.0)
    left, top, width, height = red_window
    assert obs.image[top + height // 2, left + width // 2].tolist() == [255, 0, 0]
    assert obs.image[top - 20, left - 20].tolist() != [255, 0, 0]
    assert obs.cursor is not None
    assert obs.window_title == "Secret Bank"
    assert abs(obs.timestamp - time.time()) < 60


@pytest.mark.display
def test_masked_window_is_a_solid_fill(red_window: tuple[int, int, int, int]) -> None:
    screen = MssScreen(masks=CaptureMasks(regions=(Rect(0, 0, 50, 40),),
                                          window_titles=("secret",)))
    try:
        obs = screen.capture()
    finally:
        screen.close()
    left, top, width, height = red_window
    assert (obs.image[top:top + height, left:left + width] == 0).all()
    assert (obs.image[:40, :50] == 0).all()


def test_masks_scale_with_hidpi_and_offsets() -> None:
    monitor = Monitor(-1000, 100, 500, 400, scale=2.0)  # a left-hand monitor at 200 %
    image = np.full((800, 1000, 3), 200, np.uint8)
    out = apply_masks(image, monitor, [Rect(-900, 200, 10, 5)])
    filled = np.argwhere(out[:, :, 0] == 0)
    assert filled.min(axis=0).tolist() == [200, 200]
    assert filled.max(axis=0).tolist() == [209, 219]
    assert (image == 200).all(), "the input image is not modified"


def test_fake_screen_serves_fixtures_and_masks() -> None:
    frames = [np.full((10, 20, 3), v, np.uint8) for v in (1, 2)]
    screen = FakeScreen(frames, Monitor(0, 0, 20, 10), CaptureMasks(regions=(Rect(0, 0, 2, 2),)))
    first, second, third = screen.capture(), screen.capture(), screen.capture()
    assert first.image[5, 5, 0] == 1 and second.image[5, 5, 0] == 2 and third.image[5, 5, 0] == 2
    assert first.image[0, 0, 0] == 0
    assert first.sha256 != second.sha256 and second.sha256 == third.sha256
    assert first.frame(28, 28).image_to_screen(14, 14) == (10, 5)
