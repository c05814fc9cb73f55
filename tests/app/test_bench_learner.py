"""``deskhand bench learner``: our GRPO step against TRL's ``GRPOTrainer`` on the same tiny
model, and with ``--processes 2`` the data-parallel figure, end to end at the smallest size
(the figures themselves are measurements for the closing notes, not asserted here)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli


def test_bench_learner_runs_both_trainers_and_two_processes(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [
        "--home", str(tmp_path), "bench", "learner", "--steps", "2", "--group", "2",
        "--batch", "2", "--tokens", "4", "--processes", "2", "--repeats", "1", "--json"])
    assert result.exit_code == 0, f"{result.output}\n{result.exception}"  # the ranks' stderr
    report = json.loads(result.output[result.output.index("{"):])
    for side, name in (("ours", "deskhand"), ("trl", "trl")):
        assert report[side]["name"] == name
        assert len(report[side]["step_s"]) == 2 and min(report[side]["step_s"]) > 0
        assert report[side]["peak_rss_mb"] > 0
    assert report["device"] == "cpu" and report["ours"]["cuda_peak_mb"] is None
    assert math.isfinite(report["ratio"]) and report["ratio"] > 0
    scaling = report["processes"]
    assert scaling["processes"] == 2  # on the shape asked for: 2 states x 2 samples, 2 steps
    assert (scaling["states"], scaling["group"], scaling["steps"]) == (2, 2, 2)
    assert len(scaling["single"]) == len(scaling["multi"]) == 1
    assert min(scaling["single"] + scaling["multi"]) > 0
    assert scaling["ratio"] == max(scaling["multi"]) / max(scaling["single"])
