"""``deskhand run``: setup errors, the terminal gate, a replay driving a real X window, SIGKILL."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from agent.paths import Paths
from agent.screen import Observation
from agent.store.repo import open_store
from agent.user_gate import StepView
from app.cli import cli
from app.commands.run_gate import TerminalGate, UnattendedGate, parse_short
from models.actions import Click, Done, Key, Type
from models.frames import Monitor
from tests.fixtures.display import XDisplay
from tests.fixtures.probe import Probe

ROOT = Path(__file__).resolve().parents[2]


def _view(action: object = Click(1, 2)) -> StepView:
    obs = Observation(np.zeros((4, 4, 3), np.uint8), Monitor(0, 0, 4, 4), None, None, 0.0)
    return StepView(1, 1, 0, "task", obs, action, "because", "raw")  # type: ignore[arg-type]


def _gate(answers: str) -> tuple[TerminalGate, io.StringIO]:
    out = io.StringIO()
    return TerminalGate(Console(file=out, width=200), io.StringIO(answers)), out


def test_terminal_gate_approve_edit_skip_quit() -> None:
    gate, out = _gate("a\ne\nclick 10 20\ns\nq\n")
    assert gate.review(_view()).kind == "approve"
    corrected = gate.review(_view())
    assert (corrected.kind, corrected.action) == ("correct", Click(10, 20))
    assert gate.review(_view()).kind == "skip"
    assert gate.review(_view()).kind == "stop"
    assert "click at (1, 2)" in out.getvalue()


def test_terminal_gate_retries_a_bad_edit_and_stops_at_end_of_input() -> None:
    gate, out = _gate("e\njump 1\ne\n{\"type\": \"key\", \"keys\": \"ctrl+s\"}\n")
    decision = gate.review(_view())
    assert decision.action == Key(("ctrl", "s")) and "not an action" in out.getvalue()
    assert gate.review(_view()).kind == "stop"  # the input ended: a stop, never an approval
    assert gate.rate(_view()) is None and gate.ask("go on?") is False


def test_terminal_gate_ratings_and_questions() -> None:
    gate, _ = _gate("4\n+\nnice work\n\ny\nthe red one\n")
    assert gate.rate(_view()).stars == 4  # type: ignore[union-attr]
    assert gate.rate(_view()).thumbs is True  # type: ignore[union-attr]
    assert gate.rate(_view()).comment == "nice work"  # type: ignore[union-attr]
    assert gate.rate(_view()) is None
    assert gate.ask("go on?") is True
    assert gate.answer("which?") == "the red one"


def test_unattended_gate_skips_without_a_judgment() -> None:
    gate = UnattendedGate(Console(file=io.StringIO()))
    decision = gate.review(_view())
    assert decision.kind == "skip" and decision.judged is False
    assert gate.ask("go on?") is False and gate.answer("which?") is None


def test_short_forms() -> None:
    assert parse_short("type  two words") == Type(" two words")
    assert parse_short("click 5 6 left 2") == Click(5, 6, "left", 2)
    assert parse_short("done all good") == Done("all good")


def _invoke(home: Paths, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--home", str(home.data_dir.parent), "run", *args])
    return result.exit_code, result.output


def test_no_model_says_how_to_add_one(home: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":31999")  # never connected to: the check comes first
    code, output = _invoke(home, "--approve", "never", "open the editor")
    assert code == 2 and "no actor model" in output and "deskhand models" in output
    assert not home.db_path.exists() or open_store(home).list_episodes() == []


def test_no_display_is_a_clear_error(home: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    code, output = _invoke(home, "--approve", "never", "--policy", "replay:x.jsonl", "t")
    assert code == 2 and "no display" in output


@pytest.mark.parametrize("columns", ["20", "80", "400"])
def test_a_bad_replay_file_names_the_line(home: Paths, tmp_path: Path, columns: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The error is one unwrapped line whatever the terminal's width and the path's length."""
    monkeypatch.setenv("DISPLAY", ":31999")
    monkeypatch.setenv("COLUMNS", columns)
    replay = tmp_path / "r.jsonl"
    replay.write_text('{"type": "click", "x": 1, "y": 2}\n{"type": "fly"}\n')
    code, output = _invoke(home, "--approve", "never", "--policy", f"replay:{replay}", "t")
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert code == 2 and len(errors) == 1, output
    assert "line 2" in errors[0] and str(replay) in errors[0]


def test_asking_without_a_terminal_is_refused(home: Paths,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":31999")
    code, output = _invoke(home, "--approve", "each", "--policy", "replay:x.jsonl", "t")
    assert code == 2 and "needs a terminal" in output


def _deskhand(home: Path, display: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DISPLAY": display, "DESKHAND_HOME": str(home)}
    env.pop("DESKHAND_DRY_RUN", None)
    return subprocess.Popen([sys.executable, "-m", "app.cli", "run", *args], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _replay(path: Path, actions: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(a) + "\n" for a in actions), encoding="utf-8")
    return path


@pytest.mark.display
def test_a_replay_drives_a_real_window_and_is_stored(xdisplay: XDisplay, home: Paths,
                                                     tmp_path: Path) -> None:
    probe = Probe()
    try:
        replay = _replay(tmp_path / "r.jsonl", [
            {"type": "click", "x": 300, "y": 640}, {"type": "type", "text": "hello deskhand"},
            {"type": "click", "x": 500, "y": 300, "button": "right"}])
        proc = _deskhand(home.data_dir.parent, xdisplay.name, "--approve", "never",
                         "--policy", f"replay:{replay}", "type a greeting")
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, output
        probe.wait_for(lambda e: e["ev"] == "press" and (e["b"], e["x"], e["y"]) == (1, 300, 640))
        probe.wait_for(lambda e: e["ev"] == "text" and e["value"] == "hello deskhand")
        probe.wait_for(lambda e: e["ev"] == "press" and (e["b"], e["x"], e["y"]) == (3, 500, 300))
    finally:
        probe.close()
    assert "episode 1 done" in output
    store = open_store(home)
    try:
        (episode,) = store.list_episodes()
        assert (episode.status, episode.approval_mode, episode.task) == (
            "done", "never", "type a greeting")
        steps = store.steps(episode.id)
        assert [(s.outcome, s.action["type"] if s.action else None) for s in steps] == [
            ("executed", "click"), ("executed", "type"), ("executed", "click"),
            ("executed", "done")]
        assert all(s.screenshot_width == 1920 and s.window_title for s in steps)
    finally:
        store.close()


@pytest.mark.display
def test_sigkill_mid_episode_leaves_a_consistent_store(xdisplay: XDisplay, home: Paths,
                                                       tmp_path: Path) -> None:
    # distinct waits: the same one again on an unchanged screen would be a stall
    slow = _replay(tmp_path / "slow.jsonl",
                   [{"type": "wait", "seconds": 0.3 + i / 1000} for i in range(100)])
    proc = _deskhand(home.data_dir.parent, xdisplay.name, "--approve", "never",
                     "--policy", f"replay:{slow}", "wait a lot")
    deadline = time.monotonic() + 60
    steps = 0
    while steps < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        if home.db_path.exists():
            with sqlite3.connect(home.db_path, timeout=10) as db:
                try:
                    steps = db.execute("SELECT count(*) FROM steps").fetchone()[0]
                except sqlite3.OperationalError:  # the tables are being created
                    steps = 0
            db.close()
    assert proc.poll() is None, proc.communicate()[0]
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    db = sqlite3.connect(home.db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT status FROM episodes").fetchall() == [("running",)]
    finally:
        db.close()
    done = _replay(tmp_path / "done.jsonl", [{"type": "done", "summary": "ok"}])
    again = _deskhand(home.data_dir.parent, xdisplay.name, "--approve", "never",
                      "--policy", f"replay:{done}", "nothing")
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output
    assert "1 episode(s) left running by a crash are now marked interrupted" in output
    store = open_store(home)
    try:
        assert [e.status for e in store.list_episodes()] == ["done", "interrupted"]
    finally:
        store.close()
