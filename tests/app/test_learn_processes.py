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

    class Launcher:
        def __init__(self, argv: list[str]) -> None:
            calls.append(argv)

        def wait(self) -> int:
            return 7

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr(sys, "argv", ["deskhand", *args])
    monkeypatch.setattr(subprocess, "Popen", Launcher)
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


def test_a_stop_signal_reaches_the_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    """``kill <deskhand learn --processes K>`` (or Ctrl+C) must reach the ranks, not leave
    them training behind a parent that is gone: the launcher gets the signal."""
    import os
    import signal
    import threading

    child = ("import signal, sys, time\n"
             "signal.signal(signal.SIGTERM, lambda *_: sys.exit(5))\n"
             "time.sleep(60)\n")
    monkeypatch.setattr(learn_launch, "launch_argv",
                        lambda processes, args: [sys.executable, "-c", child])
    before = signal.getsignal(signal.SIGTERM)
    threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
    assert learn_launch.relaunch(2, ["learn"]) == 5  # the child's own exit, on its SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before  # this process's handler is back
