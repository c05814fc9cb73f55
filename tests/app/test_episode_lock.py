"""An episode holds the episode lock: the nightly trainer sees it, a second episode is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.locks import episode_lock
from agent.paths import Paths
from app.cli import cli
from tests.fixtures.display import XDisplay


@pytest.mark.display
def test_a_second_episode_is_refused_while_one_runs(xdisplay: XDisplay, home: Paths,
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESKHAND_DRY_RUN", raising=False)
    replay = tmp_path / "r.jsonl"
    replay.write_text('{"type": "done", "summary": "nothing to do"}\n')
    args = ["run", "--policy", f"replay:{replay}", "--approve", "never", "a task"]
    with episode_lock(home.locks_dir):  # as if the app were running an episode
        busy = CliRunner().invoke(cli, args)
    assert busy.exit_code == 2
    assert "another episode is running" in busy.output
    free = CliRunner().invoke(cli, args)
    assert free.exit_code == 0, free.output
    assert not episode_lock(home.locks_dir).is_held(), "released when the episode ended"
