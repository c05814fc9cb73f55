"""``deskhand run`` on the practice desktop: the whole loop against a real X application.

A replay of the exercise's own solution goes through the full loop and safety gate and must
leave the exercise solved by its own verifier; the tiny model (whose outputs are nonsense)
must only ever produce safe actions or recorded parse failures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from agent.paths import Paths
from agent.practice.channel import geometry_of, spec_of
from agent.practice.replay import write_solution
from agent.store.repo import open_store
from models.actions import from_json, points
from tests.app.practice.conftest import ROOT, PracticeApp
from tests.fixtures.display import XDisplay


def _deskhand(home: Paths, display: XDisplay, *args: str,
              timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DISPLAY=display.name)
    env.pop("DESKHAND_DRY_RUN", None)
    return subprocess.run([sys.executable, "-m", "app.cli", "--home",
                           str(home.data_dir.parent), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.display
@pytest.mark.parametrize(("kind", "seed"), [("form", 2), ("checkboxes", 4)])
def test_a_replayed_solution_solves_the_exercise_through_the_loop(
        kind: str, seed: int, home: Paths, xdisplay: XDisplay, tmp_path: Path,
        practice_app: Callable[..., PracticeApp]) -> None:
    app = practice_app(kind, seed)
    spec = spec_of(app.document)
    replay = write_solution(tmp_path / "solution.jsonl", spec, geometry_of(app.document))
    planned = len(replay.read_text().splitlines())
    result = _deskhand(home, xdisplay, "run", "--policy", f"replay:{replay}", "--approve",
                       "never", spec.task)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    app.wait(lambda d: bool(d["solved"]), timeout=20)
    store = open_store(home)
    try:
        episode = store.list_episodes()[0]
        assert (episode.task, episode.status) == (spec.task, "done")
        steps = store.steps(episode.id)
        assert [s.outcome for s in steps] == ["executed"] * planned
        assert from_json(steps[-1].action).kind == "done"
        assert all(store.screenshot_path(s) is not None for s in steps)
    finally:
        store.close()


@pytest.mark.display
def test_the_tiny_model_runs_the_loop_safely_on_the_practice_desktop(
        home: Paths, xdisplay: XDisplay, practice_app: Callable[..., PracticeApp]) -> None:
    added = _deskhand(home, xdisplay, "models", "add-tiny")
    assert added.returncode == 0, added.stdout + added.stderr
    app = practice_app("button", 3)
    result = _deskhand(home, xdisplay, "--set", "agent.history_length=2", "run", "--policy",
                       "model", "--approve", "never", "--max-steps", "4",
                       spec_of(app.document).task, timeout=600)
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    store = open_store(home)
    try:
        episode = store.list_episodes()[0]
        steps = store.steps(episode.id)
        assert steps, "the model was asked at least once"
        for step in steps:
            assert step.outcome in ("executed", "parse_failed", "blocked", "skipped"), step
            if step.outcome == "parse_failed":
                assert step.parse_error and step.action is None
            if step.outcome == "executed" and step.action:
                for x, y in points(from_json(step.action)):
                    assert 0 <= x < xdisplay.width and 0 <= y < xdisplay.height
    finally:
        store.close()
