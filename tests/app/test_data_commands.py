"""``deskhand import`` / ``deskhand export`` as a user runs them (typer's CliRunner on
``app.cli``; the ``home`` fixture sets DESKHAND_HOME)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agent.paths import Paths
from agent.store.repo import open_store
from app.cli import cli
from tests.fixtures.store import write_r1_file


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_r1_import_then_messages_export_gives_one_record_per_step(
        home: Paths, tmp_path: Path) -> None:
    source = write_r1_file(tmp_path / "r1", episodes=6, steps=60)
    code, out, err = _run("import", "--format", "r1", str(source))
    assert code == 0, err
    assert "imported 6 episodes, 360 steps, 72 judgments; 0 missing images; 0 skipped" in out

    code, out, err = _run("export", "--format", "messages", "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert "exported 360 steps (360 images)" in out
    lines = (tmp_path / "out" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 360
    first_of_each_task = set()
    for line in lines:
        record = json.loads(line)
        roles = [m["role"] for m in record["messages"]]
        assert roles == ["system", "user", "assistant"]
        assert record["messages"][1]["content"].count("<image>") == len(record["images"]) == 1
        assert (tmp_path / "out" / record["images"][0]).is_file()
        assert record["messages"][2]["content"].startswith("<think>step ")
        first_of_each_task.add(record["messages"][1]["content"].split("\n")[0])
    assert len(first_of_each_task) == 6
    info = json.loads((tmp_path / "out" / "dataset_info.json").read_text())
    assert info["deskhand"]["columns"] == {"messages": "messages", "images": "images"}


def test_bad_line_is_a_clear_error_with_exit_2_and_nothing_imported(
        home: Paths, tmp_path: Path) -> None:
    source = write_r1_file(tmp_path / "r1", episodes=1, steps=5)
    lines = source.read_text().splitlines()
    lines[2] = lines[2].replace("type_text", "teleport")
    source.write_text("\n".join(lines) + "\n")
    code, out, err = _run("import", "--format", "r1", str(source))
    assert code == 2
    assert "line 3" in err and "teleport" in err and "Traceback" not in err + out
    store = open_store(home)
    try:
        assert store.list_episodes() == [] and list(store.screens.files()) == []
    finally:
        store.close()

    code, out, _ = _run("import", "--format", "r1", "--skip-bad", str(source))
    assert code == 0
    assert "4 steps" in out and "skipped line 3: unknown action name 'teleport'" in out


def test_missing_file_unknown_format_and_unknown_episode_exit_2(
        home: Paths, tmp_path: Path) -> None:
    code, _, err = _run("import", "--format", "r1", str(tmp_path / "nope.jsonl"))
    assert code == 2 and "no such file" in err
    code, _, _ = _run("import", "--format", "csv", str(tmp_path / "nope.jsonl"))
    assert code == 2
    code, _, err = _run("export", "--format", "jsonl", "--out", str(tmp_path / "o"),
                        "--episode", "42")
    assert code == 2 and "no episode with id 42" in err
