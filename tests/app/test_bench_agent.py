"""``deskhand bench stop`` and ``deskhand bench capture`` run and report their figures."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.paths import Paths
from app.cli import cli
from tests.fixtures.display import XDisplay

KINDS = {"type", "scroll", "click", "drag"}


@pytest.mark.display
def test_bench_stop_reports_every_kind_on_every_path(home: Paths, xdisplay: XDisplay) -> None:
    result = CliRunner().invoke(cli, ["bench", "stop", "--trials", "3", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["skipped_real"] is None
    rows = {(r["kind"], r["path"]): r for r in report["reports"]}
    assert set(rows) == {(k, p) for k in KINDS for p in ("recording", "stop", "chord")}
    for (kind, path), row in rows.items():
        assert row["trials"] == 3 and row["events_after"] == 0, (kind, path, row)
        for name in ("last_event", "returned"):
            d = row[name]
            assert d["n"] == 3 and 0 <= d["p50_ms"] <= d["p95_ms"] <= d["max_ms"]
        assert (row["hotkey_fired"] is None) == (path != "chord")
    assert report["events_after"] == 0


def test_bench_stop_table_without_the_real_paths(home: Paths) -> None:
    result = CliRunner().invoke(cli, ["bench", "stop", "-n", "3", "--no-real",
                                      "--kinds", "scroll,type"])
    assert result.exit_code == 0, result.output
    for text in ("recording", "scroll", "type", "events after", "last event p95",
                 "goal 0", "goal <= 50 ms"):
        assert text in result.output
    assert "chord" not in result.output.split("paths:")[0] and "drag" not in result.output
    result = CliRunner().invoke(cli, ["bench", "stop", "--kinds", "typing", "--no-real"])
    assert result.exit_code != 0 and "typing" in result.output


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
