"""Export redaction: with --redact (or export.redact = true) secrets in text never leave."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from agent.paths import Paths
from agent.store.repo import open_store
from app.cli import cli
from models.actions import Type


def _fill(home: Paths) -> None:
    store = open_store(home)
    try:
        episode = store.create_episode("write to ada@example.org about card 4111 1111 1111 1111")
        store.add_step(episode, action=Type("password: hunter2"), reasoning="ada@example.org")
    finally:
        store.close()


def _export(home: Paths, out: Path, *options: str) -> str:
    result = CliRunner().invoke(cli, [*options, "export", "--format", "jsonl", "--out",
                                      str(out)])
    assert result.exit_code == 0, result.output
    return "".join(p.read_text() for p in out.glob("*.jsonl"))


def test_redact_flag_masks_text_fields(home: Paths, tmp_path: Path) -> None:
    _fill(home)
    plain = _export(home, tmp_path / "plain")
    assert "ada@example.org" in plain and "hunter2" in plain
    masked = _export(home, tmp_path / "masked", "--set", "export.redact=true")
    for secret in ("ada@example.org", "hunter2", "4111 1111 1111 1111"):
        assert secret not in masked
    assert "[redacted]" in masked


def test_the_command_line_flag_overrides_the_config(home: Paths, tmp_path: Path) -> None:
    _fill(home)
    result = CliRunner().invoke(cli, ["export", "--format", "jsonl", "--out",
                                      str(tmp_path / "x"), "--redact"])
    assert result.exit_code == 0, result.output
    assert "ada@example.org" not in "".join(p.read_text() for p in (tmp_path / "x").glob("*.jsonl"))


def test_chat_messages_exports_are_redacted_too(home: Paths, tmp_path: Path) -> None:
    _fill(home)
    result = CliRunner().invoke(cli, ["export", "--format", "messages", "--out",
                                      str(tmp_path / "m"), "--redact"])
    assert result.exit_code == 0, result.output
    text = "".join(p.read_text() for p in (tmp_path / "m").rglob("*.jsonl"))
    assert text and "hunter2" not in text and "ada@example.org" not in text
