"""`deskhand` with no arguments starts the app: the store is opened and migrated, a window
shows what the data folder holds, and it is not blank."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from app.gui.main import store_summary
from app.gui.window import MainWindow
from app.state import CliState
from tests.fixtures.display import XDisplay

ROOT = Path(__file__).resolve().parents[2]


def test_window_shows_the_data_folder_and_store(qtbot: QtBot, home: Paths) -> None:
    summary = store_summary(CliState(home))
    assert summary == "0 episode(s) recorded"
    assert home.db_path.exists(), "opening the app creates and migrates the database"
    window = MainWindow(home, summary)
    qtbot.addWidget(window)
    window.show()
    assert str(home.data_dir) in window.store_label.text()
    assert "0 episode(s)" in window.store_label.text()


def test_crashed_episode_is_reported_as_interrupted(home: Paths) -> None:
    from agent.store.repo import open_store

    store = open_store(home)
    store.create_episode("left running")
    store.close()
    assert "1 left running by a crash were marked interrupted" in store_summary(CliState(home))


@pytest.mark.display
def test_deskhand_starts_a_real_window(xdisplay: XDisplay, home: Paths, tmp_path: Path) -> None:
    """Start the real command under Xvfb, screenshot the screen, check the window is there."""
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=xdisplay.name)
    app = subprocess.Popen([sys.executable, "-m", "app.cli", "--home",
                            str(home.data_dir.parent)], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        found = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not found:
            time.sleep(0.5)
            assert app.poll() is None, app.stdout.read().decode() if app.stdout else ""
            found = subprocess.run(["xdotool", "search", "--name", "^Deskhand$"],
                                   capture_output=True, text=True, env=env).stdout.strip()
        assert found, "no Deskhand window appeared"
        time.sleep(1.0)
        import mss
        from PIL import Image

        with mss.MSS() as grab:
            shot = grab.grab(grab.monitors[1])
        image = Image.frombuffer("RGB", shot.size, shot.bgra, "raw", "BGRX", 0, 1)
        image.save(tmp_path / "app.png")
        window = image.crop((0, 0, 720, 420)).convert("L")
        extrema = window.getextrema()
        assert extrema[1] - extrema[0] > 100, "the window is blank"
    finally:
        app.terminate()
        app.wait(timeout=20)
        if app.stdout is not None:
            app.stdout.close()
