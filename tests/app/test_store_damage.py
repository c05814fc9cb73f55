"""A damaged database as a user meets it: `export`, `import`, `run` and the app itself say one
clear thing (the backups, `deskhand doctor --repair`) instead of a traceback; `doctor` shows
the damage with the backups; `doctor --repair` brings the newest good backup back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.paths import Paths
from agent.store.engine import backup_database
from agent.store.repo import open_store
from app.cli import cli
from tests.fixtures.damage import damage
from tests.fixtures.store import write_r1_file

ROOT = Path(__file__).resolve().parents[2]


def _run(home: Paths, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--home", str(home.data_dir.parent), *args])
    return result.exit_code, result.stdout, result.stderr


def _damaged(home: Paths) -> Path:
    store = open_store(home)
    try:
        episode = store.create_episode("before the damage")
        for i in range(60):
            store.add_step(episode, reasoning=f"step {i} " + "x" * 300)
    finally:
        store.close()
    backup = backup_database(home.db_path, home.backups_dir, "0003", keep=5)
    damage(home.db_path, "pages")
    return backup


def _one_clear_message(home: Paths, backup: Path, text: str) -> None:
    assert "Traceback" not in text
    assert str(home.db_path) in text and "damaged" in text
    assert backup.name in text and "deskhand doctor --repair" in text


def test_export_and_import_say_what_to_do(home: Paths, tmp_path: Path) -> None:
    backup = _damaged(home)
    code, out, err = _run(home, "export", "--format", "jsonl", "--out", str(tmp_path / "o"))
    assert code == 2 and out == ""
    _one_clear_message(home, backup, err)
    source = write_r1_file(tmp_path / "r1", episodes=1, steps=2)
    code, out, err = _run(home, "import", "--format", "r1", str(source))
    assert code == 2
    _one_clear_message(home, backup, err)


def test_run_says_what_to_do(home: Paths, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    backup = _damaged(home)
    monkeypatch.setenv("DISPLAY", ":31999")  # never connected to: the store is opened first
    replay = tmp_path / "r.jsonl"
    replay.write_text('{"type": "done", "summary": "ok"}\n')
    code, _, err = _run(home, "run", "--approve", "never", "--policy", f"replay:{replay}", "t")
    assert code == 2
    _one_clear_message(home, backup, err)


def test_the_app_says_what_to_do(home: Paths) -> None:
    backup = _damaged(home)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "app.cli", "--home",
                           str(home.data_dir.parent)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    _one_clear_message(home, backup, done.stderr)


def test_doctor_shows_the_damage_and_repair_restores_the_backup(home: Paths) -> None:
    backup = _damaged(home)
    code, out, _ = _run(home, "doctor")
    assert code == 0
    [line] = [line for line in out.splitlines() if line.startswith("database:")]
    assert line.startswith("database: no") and "damaged" in line
    assert backup.name in line and "good" in line
    assert "deskhand doctor --repair" in line

    code, out, err = _run(home, "doctor", "--repair")
    assert code == 0, err
    assert "moved aside" in out and f"restored {backup.name}" in out
    [line] = [line for line in out.splitlines() if line.startswith("database:")]
    assert line.startswith("database: ok")
    store = open_store(home)
    try:
        assert [e.task for e in store.list_episodes()] == ["before the damage"]
    finally:
        store.close()

    code, out, _ = _run(home, "doctor", "--repair")
    assert code == 0 and "nothing to repair" in out
