"""``deskhand bench learning --suite miniwob``: the same nights on MiniWoB++ pages in Chromium.

A short run (one night, a few episodes) through the real path: the demo model acts on the
pages of a private X display, the simulated person judges through the gate, ``deskhand learn``
runs in its own process, and every episode lands in the bench home's store as a MiniWoB++
episode with the page's utterance as its task. It checks the wiring, not learning: the demo
model was taught on the practice desktop only (the closing note reports its MiniWoB++ figures).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.control.xserver import xvfb_available
from agent.paths import Paths
from agent.store.repo import open_store
from agent.suites.miniwob_setup import Browser
from app.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def _bench(tmp_path: Path, demo_cache: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--home", str(tmp_path / "user"), "bench",
         "learning", "--out", str(tmp_path / "bench"), "--demo-cache", str(demo_cache),
         *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500,
        stdin=subprocess.DEVNULL)


@pytest.mark.display
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_learning_bench_runs_its_nights_on_miniwob_pages(
        tmp_path: Path, demo_cache: Path, chromium: Browser) -> None:
    if not xvfb_available():
        pytest.skip("Xvfb is not installed (scripts/setup.sh installs it when run as root)")
    done = _bench(tmp_path, demo_cache, "--suite", "miniwob", "--tasks", "click-test,click-tes?-2",
                  "--nights", "1", "--episodes", "2", "--heldout", "2", "--actor-steps", "1",
                  "--sft-steps", "1", "--reward-steps", "1", "--min-holdout", "5")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    out = tmp_path / "bench"
    report = json.loads((out / "learning.json").read_text())
    assert report["settings"]["suite"] == "miniwob"
    assert report["settings"]["tasks"] == ["click-test", "click-test-2"]  # the glob resolved
    assert [row["night"] for row in report["nights"]] == [0, 1]
    assert all(row["episodes"] == 2 for row in report["nights"])
    assert "propagateSizeHints" not in done.stdout + done.stderr  # a quiet demo build

    paths = Paths.resolve(out / "home")
    store = open_store(paths, load_config(paths.config_file).store)
    try:
        episodes = store.list_episodes()
    finally:
        store.close()
    assert len(episodes) == 6  # held-out before, taught, held-out after
    assert {(e.config or {})["suite"]["name"] for e in episodes} == {"miniwob"}
    assert sum(e.source == "eval" for e in episodes) == 4
    assert all(e.task.strip() for e in episodes)  # the page's utterance is the task
    # the task and seed name the episode, so the learner's holdout split is the same each run
    assert all(e.source_ref == f"suite:miniwob:{(e.config or {})['suite']['seed']}"
               for e in episodes)
    taught = {(e.config or {})["suite"]["seed"] for e in episodes if e.source != "eval"}
    held_out = {(e.config or {})["suite"]["seed"] for e in episodes if e.source == "eval"}
    assert taught and not taught & held_out


def test_a_miniwob_task_that_does_not_exist_is_one_clear_error(tmp_path: Path,
                                                               demo_cache: Path,
                                                               chromium: Browser) -> None:
    done = _bench(tmp_path, demo_cache, "--suite", "miniwob", "--tasks", "click-tset")
    assert done.returncode == 2
    assert "no MiniWoB++ task matches 'click-tset'" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "bench" / "home").exists()


def test_an_unknown_suite_is_one_clear_error(tmp_path: Path, demo_cache: Path) -> None:
    done = _bench(tmp_path, demo_cache, "--suite", "webarena")
    assert done.returncode == 2 and "unknown suite 'webarena'" in done.stderr
    assert "Traceback" not in done.stderr
