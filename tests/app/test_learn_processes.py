"""``deskhand learn --processes K`` hands the same command line to ``accelerate launch``
(without ``--processes``, so the ranks train instead of launching again) and exits with the
launcher's status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.commands import learn_launch


def test_learn_processes_relaunches_through_accelerate(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["--home", str(tmp_path), "learn", "--role", "actor", "--processes", "2",
            "--max-steps", "3"]
    calls: list[list[str]] = []

    def call(argv: list[str]) -> int:
        calls.append(argv)
        return 7

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr(sys, "argv", ["deskhand", *args])
    monkeypatch.setattr(subprocess, "call", call)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 7, result.output
    (argv,) = calls
    assert argv[:3] == [sys.executable, "-m", "accelerate.commands.launch"]
    assert argv[argv.index("--num_processes") + 1] == "2" and "--multi_gpu" in argv
    assert argv[argv.index("-m", 3):] == ["-m", "app.cli", "--home", str(tmp_path), "learn",
                                          "--role", "actor", "--max-steps", "3"]


def test_a_launched_rank_does_not_launch_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert learn_launch.launched()
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert not learn_launch.launched()
