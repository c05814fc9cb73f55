"""``deskhand bench stop`` and ``deskhand bench capture`` run and report their figures."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.paths import Paths
from app.cli import cli
from tests.fixtures.display import XDisplay

STOP_MEASURES = {"stop → last event", "stop → actuator returned"}


@pytest.mark.display
def test_bench_stop_reports_both_paths(home: Paths, xdisplay: XDisplay) -> None:
    result = CliRunner().invoke(cli, ["bench", "stop", "--trials", "5", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["skipped_hotkey"] is None
    assert set(report["paths"]) == {"recording", "hotkey"}
    assert set(report["paths"]["recording"]) == STOP_MEASURES
    assert set(report["paths"]["hotkey"]) == STOP_MEASURES | {"key press → hotkey fired"}
    for rows in report["paths"].values():
        for row in rows.values():
            assert row["n"] == 5
            assert 0 <= row["p50_ms"] <= row["p95_ms"] <= row["max_ms"]


def test_bench_stop_table_without_the_hotkey_path(home: Paths) -> None:
    result = CliRunner().invoke(cli, ["bench", "stop", "--trials", "3", "--no-hotkey"])
    assert result.exit_code == 0, result.output
    for text in ("recording", "stop → last event", "p50", "p95", "max", "goal <= 50 ms"):
        assert text in result.output
    assert "hotkey" not in result.output


@pytest.mark.display
def test_bench_capture_reports_the_ratio(home: Paths, xdisplay: XDisplay) -> None:
    result = CliRunner().invoke(cli, ["bench", "capture", "--iterations", "3"])
    assert result.exit_code == 0, result.output
    for text in ("bare mss grab", "MssScreen.capture", "family resize", "ratio full / bare",
                 "1920x1080", "1316x728"):
        assert text in result.output
    result = CliRunner().invoke(cli, ["bench", "capture", "-n", "3", "--json"])
    report = json.loads(result.output)
    assert report["screen"] == [1920, 1080] and report["image"] == [1316, 728]
    assert report["ratio"] == pytest.approx(report["full_ms"] / report["bare_ms"])
    assert report["full_ms"] >= report["capture_ms"] > 0
