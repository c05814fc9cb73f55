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


def _fake_launcher(monkeypatch: pytest.MonkeyPatch, args: list[str],
                   status: int) -> list[list[str]]:
    """``deskhand args`` as the command line, and a launcher that records its argv and
    exits with ``status``; the recorded argvs."""
    calls: list[list[str]] = []

    class Launcher:
        def __init__(self, argv: list[str]) -> None:
            calls.append(argv)

        def wait(self) -> int:
            return status

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr(sys, "argv", ["deskhand", *args])
    monkeypatch.setattr(subprocess, "Popen", Launcher)
    return calls


def test_learn_processes_relaunches_through_accelerate(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["--home", str(tmp_path), "learn", "--role", "actor", "--processes", "2",
            "--max-steps", "3"]
    calls = _fake_launcher(monkeypatch, args, status=7)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 7, result.output
    (argv,) = calls
    assert argv[:3] == [sys.executable, "-m", "accelerate.commands.launch"]
    assert argv[argv.index("--num_processes") + 1] == "2" and "--multi_gpu" in argv
    assert argv[argv.index("-m", 3):] == ["-m", "app.cli", "--home", str(tmp_path), "learn",
                                          "--role", "actor", "--max-steps", "3"]


def test_learn_fsdp_launches_with_accelerates_fsdp_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--fsdp`` gives accelerate the settings of ``packaging/accelerate/fsdp.yaml``: the
    ranks read the same sharding from either."""
    import yaml

    from learner import sharding

    args = ["--home", str(tmp_path), "learn", "--processes", "2", "--fsdp"]
    calls = _fake_launcher(monkeypatch, args, status=0)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (argv,) = calls
    assert "--use_fsdp" in argv and "--multi_gpu" not in argv
    flags = dict(zip(argv[4::2], argv[5::2], strict=False))
    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "packaging" / "accelerate"
                             / "fsdp.yaml").read_text())
    assert config["distributed_type"] == "FSDP"
    for key, value in config["fsdp_config"].items():  # every setting, the same value
        assert flags[f"--{key}"].lower() == str(value).lower(), key
    monkeypatch.setenv("ACCELERATE_USE_FSDP", "true")
    for key, value in config["fsdp_config"].items():  # as accelerate launch passes them
        monkeypatch.setenv(key.upper(), str(value))
    assert sharding.requested() == sharding.Sharding(reshard_after_forward=True, wrap=(),
                                                     layers=True)


@pytest.mark.parametrize("setting,value", [("FSDP_VERSION", "1"),
                                           ("FSDP_OFFLOAD_PARAMS", "true"),
                                           ("FSDP_CPU_RAM_EFFICIENT_LOADING", "true"),
                                           ("FSDP_AUTO_WRAP_POLICY", "SIZE_BASED_WRAP")])
def test_fsdp_settings_we_cannot_honour_are_refused(tmp_path: Path, setting: str, value: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused with a command-line error before anything loads, not trained otherwise."""
    for key, default in (("ACCELERATE_USE_FSDP", "true"), ("FSDP_VERSION", "2"),
                         ("FSDP_AUTO_WRAP_POLICY", "TRANSFORMER_BASED_WRAP")):
        monkeypatch.setenv(key, default)
    monkeypatch.setenv(setting, value)
    monkeypatch.setenv("WORLD_SIZE", "2")  # a launched rank
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "learn", "--fsdp"])
    assert result.exit_code == 2 and "FSDP" in result.output, result.output


def test_learn_fsdp_needs_several_processes(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "learn", "--fsdp"])
    assert result.exit_code == 2 and "--processes K (K >= 2)" in result.output


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
                        lambda processes, args, fsdp=False: [sys.executable, "-c", child])
    before = signal.getsignal(signal.SIGTERM)
    threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
    assert learn_launch.relaunch(2, ["learn"]) == 5  # the child's own exit, on its SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before  # this process's handler is back
