"""``deskhand eval miniwob``: the harness's own check (the DOM oracle through the real episode
loop, at scale factors 1 and 2, the window moved every episode), stored episodes, result
files, comparisons, and one clear line for every problem found before the first episode.

The CI-sized run; the full one (the 12 standard tasks × 20 episodes at 1, 1.5 and 2) is
README's ``deskhand eval miniwob --policy oracle`` command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from agent.paths import Paths
from agent.store.repo import open_store
from agent.suites.miniwob_setup import CHROMIUM_ENV, Browser
from app.cli import cli
from tests.fixtures.display import XDisplay

ROOT = Path(__file__).resolve().parents[2]
CI_TASKS = "click-test,click-checkboxes,enter-text,click-shape"


def _eval(home: Paths, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--home", str(home.data_dir.parent), "eval", "miniwob",
                                      *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.display
@pytest.mark.slow
def test_the_oracle_succeeds_at_scale_1_and_2_with_the_window_moving(
        xdisplay: XDisplay, chromium: Browser, home: Paths, tmp_path: Path) -> None:
    first = tmp_path / "scale-1"
    code, out, err = _eval(home, "--policy", "oracle", "--tasks", CI_TASKS, "--episodes", "2",
                           "--scale", "1", "--move-window", "--display", xdisplay.name,
                           "--out", str(first))
    assert code == 0, out + err
    result = json.loads((first / "results.json").read_text())
    rates = {row["task"]: row["success_rate"] for row in result["per_task"]}
    assert rates == dict.fromkeys(CI_TASKS.split(","), 1.0), out
    assert result["measured_scale"] == 1.0 and result["move_window"] is True
    assert "harness overhead per step" in out and "click-checkboxes" in out
    with Image.open(first / "chart.png") as chart:
        assert chart.format == "PNG"
    assert (first / "results.csv").read_text().count("\n") == 6  # header, 4 tasks, all

    second = tmp_path / "scale-2"
    code, out, err = _eval(home, "--policy", "oracle", "--tasks", CI_TASKS, "--episodes", "2",
                           "--scale", "2", "--move-window", "--display", xdisplay.name,
                           "--out", str(second), "--compare", str(first / "results.json"))
    assert code == 0, out + err
    result = json.loads((second / "results.json").read_text())
    assert result["measured_scale"] == 2.0
    assert all(row["success_rate"] == 1.0 for row in result["per_task"]), out
    assert "compared with" in out and "+0 pts" in out

    store = open_store(home)
    try:
        episodes = store.list_episodes(source="eval")
        assert len(episodes) == 16 and {e.status for e in episodes} == {"done"}
        assert {e.actor_model for e in episodes} == {"miniwob DOM oracle"}
        ids = {e["episode_id"] for e in result["episodes"]}
        assert ids <= {e.id for e in episodes}
        steps = store.steps(max(ids))
        assert steps and all(store.screenshot_path(s) is not None for s in steps)
        assert steps[0].screenshot_width == xdisplay.width
    finally:
        store.close()


@pytest.mark.display
def test_any_task_runs_without_a_traceback_whatever_the_policy(
        xdisplay: XDisplay, chromium: Browser, home: Paths, tmp_path: Path) -> None:
    replay = tmp_path / "replay.jsonl"
    replay.write_text('{"type": "click", "x": 3, "y": 3}\n')
    code, out, err = _eval(home, "--policy", "oracle", "--tasks", "use-slider,book-flight",
                           "--episodes", "1", "--display", xdisplay.name, "--out",
                           str(tmp_path / "oracle"))
    assert code == 0 and "Traceback" not in out + err, out + err
    assert "does not know the task use-slider" in out
    result = json.loads((tmp_path / "oracle" / "results.json").read_text())
    assert [row["success_rate"] for row in result["per_task"]] == [0.0, 0.0]
    code, out, err = _eval(home, "--policy", f"replay:{replay}", "--tasks", "click-test",
                           "--episodes", "2", "--max-steps", "3", "--display", xdisplay.name,
                           "--out", str(tmp_path / "replay"))
    assert code == 0 and "Traceback" not in out + err, out + err
    result = json.loads((tmp_path / "replay" / "results.json").read_text())
    assert result["summary"]["episodes"] == 2 and result["summary"]["successes"] == 0


@pytest.mark.display
def test_the_persons_capture_masks_apply_to_eval_screenshots(
        xdisplay: XDisplay, chromium: Browser, home: Paths, tmp_path: Path) -> None:
    def first_screenshot(masked: bool) -> np.ndarray:
        mask = ["--set", "capture.regions=[{left=0, top=0, width=1920, height=1080}]"] \
            if masked else []
        result = CliRunner().invoke(cli, [
            "--home", str(home.data_dir.parent), *mask, "eval", "miniwob", "--policy",
            "oracle", "--tasks", "click-test", "--episodes", "1", "--display", xdisplay.name,
            "--out", str(tmp_path / str(masked))])
        assert result.exit_code == 0, result.stdout + result.stderr
        episode = json.loads((tmp_path / str(masked) / "results.json").read_text())
        store = open_store(home)
        try:
            step = store.steps(episode["episodes"][0]["episode_id"])[0]
            path = store.screenshot_path(step)
        finally:
            store.close()
        assert path is not None
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))

    assert first_screenshot(masked=False).max() > 0  # the task page is on it
    assert first_screenshot(masked=True).max() == 0


def test_no_chromium_is_one_line_with_the_fix_and_nothing_is_stored(
        home: Paths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    code, out, err = _eval(home, "--policy", "oracle", "--tasks", "click-test",
                           "--display", ":99")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Chromium is not installed")
    assert "scripts/setup.sh" in lines[0] and "apt-get install chromium chromium-driver" in lines[0]
    assert not home.db_path.exists()


@pytest.mark.parametrize("args, says", [
    (["--tasks", "click-tset"], "did you mean click-test"),
    (["--policy", "random"], "--policy must be 'model', 'oracle' or 'replay:FILE'"),
    (["--policy", "replay:/no/such/file"], "cannot read the replay file"),
    (["--scale", "9"], "--scale must be between 0.5 and 4"),
    (["--approve", "sometimes"], "--approve must be one of each, risky, never"),
    (["--approve", "each"], "needs a terminal to ask you"),
    (["--compare", "/no/such/results.json"], "no such result file"),
    (["--display", ":65000"], "cannot open the X display ':65000'"),
])
def test_problems_found_before_the_first_episode(home: Paths, chromium: Browser,
                                                 args: list[str], says: str) -> None:
    code, out, err = _eval(home, "--policy", "oracle", *args)
    assert code == 2 and says in err and "Traceback" not in err, err


def test_a_bad_screen_size_is_a_usage_error(home: Paths) -> None:
    code, out, err = _eval(home, "--screen", "huge")
    assert code == 2 and "expected WIDTHxHEIGHT" in err


def test_without_a_model_the_model_policy_says_how_to_add_one(
        home: Paths, chromium: Browser, xdisplay: XDisplay) -> None:
    code, out, err = _eval(home, "--tasks", "click-test", "--display", xdisplay.name)
    assert code == 2 and "no actor model is configured" in err


@pytest.mark.display
@pytest.mark.slow
def test_by_default_it_runs_on_a_private_display(chromium: Browser, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--home", str(tmp_path / "home"), "eval", "miniwob",
         "--policy", "oracle", "--tasks", "focus-text", "--episodes", "1", "--out",
         str(tmp_path / "out")], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "out" / "results.json").read_text())
    assert result["display"] == "private Xvfb" and result["screen"] == [1280, 800]
    assert result["summary"]["success_rate"] == 1.0


def test_the_doctor_says_whether_the_benchmark_can_run(
        home: Paths, chromium: Browser, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def line() -> str:
        out = CliRunner().invoke(cli, ["--home", str(home.data_dir.parent), "doctor"]).stdout
        return next(text for text in out.splitlines() if text.startswith("miniwob:"))

    assert line().startswith(f"miniwob: ok — Chromium {chromium.version} ({chromium.chromium})")
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "gone"))
    missing = line()
    assert missing.startswith("miniwob: no — Chromium is not installed")
    assert "apt-get install chromium chromium-driver" in missing
