"""What ``deskhand eval`` writes: per-task figures, result files, the chart, comparisons."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.commands.eval_chart import BLUE, GREY, draw_chart
from app.commands.eval_results import (
    EpisodeRecord,
    ResultFileError,
    compare,
    load_results,
    summaries,
    write_results,
)


def _records() -> list[EpisodeRecord]:
    return [
        EpisodeRecord("click-test", 0, 1, "done", True, 1.0, 1, 0.5, 0.1, 0.2),
        EpisodeRecord("click-test", 1, 2, "done", True, 1.0, 1, 0.7, 0.1, 0.2),
        EpisodeRecord("enter-text", 0, 3, "done", True, 1.0, 3, 1.0, 0.1, 0.3),
        EpisodeRecord("enter-text", 1, 4, "stopped", False, 0.0, 10, 3.0, 0.1, 1.9),
    ]


def test_per_task_figures() -> None:
    click, enter = summaries(_records())
    assert (click.task, click.episodes, click.successes, click.success_rate) == (
        "click-test", 2, 2, 1.0)
    assert (enter.success_rate, enter.mean_reward, enter.mean_steps) == (0.5, 0.5, 6.5)
    assert enter.seconds_per_episode == pytest.approx(2.0)
    # (1.0 - 0.1 - 0.3) + (3.0 - 0.1 - 1.9) = 1.6 s over 13 steps
    assert enter.overhead_ms_per_step == pytest.approx(1600 / 13)
    assert enter.policy_ms_per_step == pytest.approx(2200 / 13)


def test_result_files_hold_settings_summary_and_every_episode(tmp_path: Path) -> None:
    document = write_results(tmp_path / "run", {"policy": "oracle", "scale": 2.0}, _records())
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert saved == document
    assert saved["policy"] == "oracle" and saved["scale"] == 2.0
    assert saved["summary"]["episodes"] == 4 and saved["summary"]["success_rate"] == 0.75
    assert [e["episode_id"] for e in saved["episodes"]] == [1, 2, 3, 4]
    with (tmp_path / "run" / "results.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["task"] for r in rows] == ["click-test", "enter-text", "all"]
    assert rows[1]["success_rate"] == "0.5" and rows[2]["successes"] == "3"


def test_comparing_with_an_earlier_file(tmp_path: Path) -> None:
    write_results(tmp_path / "old", {}, [
        EpisodeRecord("click-test", 0, 1, "done", False, -1.0, 1, 1, 0, 0),
        EpisodeRecord("focus-text", 0, 2, "done", True, 1.0, 1, 1, 0, 0)])
    earlier = load_results(tmp_path / "old")  # the folder will do
    changes = {c.task: c for c in compare(earlier, summaries(_records()))}
    assert changes["click-test"].delta == 1.0 and changes["click-test"].reward_before == -1.0
    assert changes["enter-text"].before is None and changes["enter-text"].delta is None
    assert changes["focus-text"].after is None and changes["focus-text"].before == 1.0


def test_a_file_that_is_not_a_result_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ResultFileError, match="no such result file"):
        load_results(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ResultFileError, match="not a result file"):
        load_results(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"episodes": []}')
    with pytest.raises(ResultFileError, match="no per-task table"):
        load_results(tmp_path / "other.json")


def test_the_chart_draws_one_bar_per_task_as_long_as_its_rate(tmp_path: Path) -> None:
    rows = summaries(_records())
    earlier = compare({"per_task": [{"task": "click-test", "success_rate": 0.25}]}, rows)
    path = draw_chart(tmp_path / "chart.png", "title", rows, earlier)
    pixels = np.asarray(Image.open(path).convert("RGB"))
    blue = np.all(pixels == BLUE, axis=2)
    grey = np.all(pixels == GREY, axis=2)
    rows_with_blue = [np.flatnonzero(line) for line in blue if line.any()]
    widths = sorted({int(cols[-1] - cols[0]) for cols in rows_with_blue if cols[0] > 100})
    full, half = widths[-1], widths[-2]
    assert abs(half * 2 - full) <= 2  # enter-text's bar is half of click-test's
    grey_rows = [np.flatnonzero(line) for line in grey if line.any()]
    grey_width = max(int(c[-1] - c[0]) for c in grey_rows)
    assert abs(grey_width * 4 - full) <= 4  # the earlier 25 % under click-test
