"""`deskhand` with no arguments starts the app: the store is opened and migrated on the
database worker, start-up housekeeping runs, and the real main window appears (not blank)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from app.gui.main import build_window
from app.state import CliState
from tests.fixtures.display import XDisplay

ROOT = Path(__file__).resolve().parents[2]


def test_the_window_opens_the_store_and_reports_a_crash(qtbot: QtBot, home: Paths) -> None:
    from agent.store.repo import open_store

    store = open_store(home)
    store.create_episode("left running")
    store.close()
    window, db = build_window(CliState(home))
    qtbot.addWidget(window)
    try:
        assert home.db_path.exists(), "opening the app creates and migrates the database"
        assert window.windowTitle() == "Deskhand"
        qtbot.waitUntil(lambda: "1 episode(s) left running by a crash were marked interrupted"
                        in window.statusBar().currentMessage(), timeout=10_000)
        status = db.call(lambda s: s.list_episodes()[0].status)
        assert status == "interrupted"
    finally:
        window.close()
        db.close()


@pytest.mark.display
def test_deskhand_starts_a_real_window(xdisplay: XDisplay, home: Paths, tmp_path: Path) -> None:
    """Start the real command under Xvfb; screenshot each main view (Ctrl+1..5): none blank,
    each different, the window a usable size on a 1366x768 screen."""
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
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^Deskhand$"],
                                   capture_output=True, text=True, env=env).stdout.strip()
        assert found, "no Deskhand window appeared"
        geometry = subprocess.run(["xdotool", "getwindowgeometry", "--shell",
                                   found.splitlines()[0]], capture_output=True, text=True,
                                  env=env).stdout
        size = dict(line.split("=") for line in geometry.split())
        assert 760 <= int(size["WIDTH"]) <= 1366 - 40 and 520 <= int(size["HEIGHT"]) <= 768, \
            "a usable size that fits a 1366x768 screen"
        import mss
        from PIL import Image, ImageChops

        views = {}
        with mss.MSS() as grab:
            for number, name in enumerate(("chat", "history", "models", "training",
                                           "settings"), start=1):
                # no window manager under Xvfb: focus the window itself, then press the keys
                subprocess.run(["xdotool", "windowfocus", "--sync", found.splitlines()[0]],
                               env=env, timeout=20, check=False)
                subprocess.run(["xdotool", "key", f"ctrl+{number}"], env=env, timeout=20,
                               check=True)
                time.sleep(1.0)
                shot = grab.grab(grab.monitors[1])
                image = Image.frombuffer("RGB", shot.size, shot.bgra, "raw", "BGRX", 0, 1)
                image.save(tmp_path / f"{name}.png")
                views[name] = image.crop((0, 0, int(size["WIDTH"]), int(size["HEIGHT"])))
        for name, view in views.items():
            low, high = view.convert("L").getextrema()
            assert high - low > 100, f"the {name} view is blank"
        names = list(views)
        for a, b in zip(names, names[1:], strict=False):
            assert ImageChops.difference(views[a], views[b]).getbbox() is not None, \
                f"the {a} and {b} views look the same: the page did not switch"
    finally:
        app.terminate()
        app.wait(timeout=20)
        if app.stdout is not None:
            app.stdout.close()
