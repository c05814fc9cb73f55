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


def _r1_with_subtask_only_negatives(folder: Path) -> Path:
    """An r1 file where, as in the real data set, some lines have a bad_subtask but no
    bad_thought (every fifth line has both, every seventh only the subtask)."""
    source = write_r1_file(folder, episodes=3, steps=14)
    lines = [json.loads(line) for line in source.read_text().splitlines()]
    for i, line in enumerate(lines):
        if i % 7 == 6 and not line["bad_thought"]:
            line["bad_subtask"] = f"a wrong subtask {i}"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return source


def test_r1_negatives_are_stored_and_exported_as_rejected(home: Paths, tmp_path: Path) -> None:
    source = _r1_with_subtask_only_negatives(tmp_path / "r1")
    lines = [json.loads(line) for line in source.read_text().splitlines()]
    negatives = [i for i, line in enumerate(lines) if line["bad_thought"] or line["bad_subtask"]]
    assert any(not lines[i]["bad_thought"] for i in negatives)
    code, out, err = _run("import", "--format", "r1", str(source))
    assert code == 0, err
    assert f"{len(negatives)} judgments" in out

    code, _, err = _run("export", "--format", "messages", "--out", str(tmp_path / "out"))
    assert code == 0, err
    records = [json.loads(line) for line in
               (tmp_path / "out" / "messages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(lines)
    assert {r["label"] for r in records} == {"demonstration"}, "imported steps are not unjudged"
    with_rejected = [i for i, r in enumerate(records) if r["rejected"]]
    assert with_rejected == negatives
    for i in negatives:
        [rejected] = records[i]["rejected"]
        bad = lines[i]["bad_thought"] or lines[i]["bad_subtask"]
        assert rejected["role"] == "assistant" and f"<think>{bad}</think>" in rejected["content"]
        assert records[i]["rejected_label"] == "negative"
        assert rejected["content"] != records[i]["messages"][2]["content"]


def test_importing_the_same_file_twice_does_not_duplicate(home: Paths, tmp_path: Path) -> None:
    source = write_r1_file(tmp_path / "r1", episodes=4, steps=5)
    code, out, _ = _run("import", "--format", "r1", str(source))
    assert code == 0 and "imported 4 episodes" in out
    code, out, err = _run("import", "--format", "r1", str(source))
    assert code == 0, err
    assert "imported 0 episodes, 0 steps" in out and "4 episodes skipped as already imported" in out
    assert "lines 1-5 ('task number 0'): already imported as episode" in out
    assert "--allow-duplicates" in out

    grown = tmp_path / "r1" / "grown.jsonl"  # the same file with one more episode
    extra = write_r1_file(tmp_path / "more", episodes=5, steps=5).read_text().splitlines()[-5:]
    grown.write_text(source.read_text() + "\n".join(extra) + "\n")
    code, out, _ = _run("import", "--format", "r1", str(grown))
    assert code == 0 and "imported 1 episodes, 5 steps" in out
    code, out, _ = _run("import", "--format", "r1", "--allow-duplicates", str(source))
    assert code == 0 and "imported 4 episodes" in out
    store = open_store(home)
    try:
        assert len(store.list_episodes()) == 9
    finally:
        store.close()


def test_a_native_export_imported_twice_is_noticed(home: Paths, tmp_path: Path) -> None:
    source = write_r1_file(tmp_path / "r1", episodes=2, steps=3)
    assert _run("import", "--format", "r1", str(source))[0] == 0
    assert _run("export", "--format", "jsonl", "--out", str(tmp_path / "exp"))[0] == 0
    exported = tmp_path / "exp" / "steps.jsonl"
    code, out, _ = _run("import", "--format", "jsonl", str(exported))
    assert code == 0 and "imported 2 episodes" in out
    code, out, _ = _run("import", "--format", "jsonl", str(exported))
    assert code == 0 and "imported 0 episodes" in out and "2 episodes skipped" in out
