"""``deskhand adapters ...`` and ``deskhand schedule ...`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.paths import Paths
from app.cli import cli
from learner.adapters import AdapterRegistry


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _register(home: Paths, tmp: Path, seed: int) -> None:
    peft = tmp / f"p{seed}"
    peft.mkdir()
    (peft / "adapter_config.json").write_text(json.dumps({"seed": seed}))
    (tmp / f"g{seed}.gguf").write_bytes(bytes([seed]) * 64)
    AdapterRegistry(home.adapters_dir).register(
        "actor", peft, tmp / f"g{seed}.gguf",
        {"dataset_hash": f"{seed:064x}", "metrics": {"verifiable_reward": seed / 10}})


def test_adapters_list_promote_rollback(home: Paths, tmp_path: Path) -> None:
    code, out, _ = _run("adapters", "list", "--role", "actor")
    assert code == 0 and "no actor adapters yet" in out
    _register(home, tmp_path, 1)
    _register(home, tmp_path, 2)
    code, out, err = _run("adapters", "promote", "1")
    assert code == 0, err
    assert "actor adapter v1 is active" in out
    code, out, err = _run("adapters", "promote", "2", "--role", "actor")
    assert code == 0, err
    code, out, _ = _run("adapters", "list")
    assert code == 0
    rows = [line for line in out.splitlines() if "verifiable_reward" in line]
    assert len(rows) == 2 and "retired" in rows[0] and "active" in rows[1]
    assert "verifiable_reward 0.200" in rows[1]
    assert "no reward adapters yet" in out
    code, out, _ = _run("adapters", "rollback")
    assert code == 0 and "rolled back to v1" in out


def test_adapters_errors_are_one_line(home: Paths) -> None:
    code, _, err = _run("adapters", "promote", "7")
    assert code == 2 and "actor adapter version 7 does not exist" in err
    code, _, err = _run("adapters", "rollback", "--role", "reward")
    assert code == 2 and "no earlier reward adapter" in err


def test_schedule_install_status_remove(home: Paths, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    units = tmp_path / "units"
    monkeypatch.setenv("DESKHAND_SCHEDULE_ROOT", str(units))
    code, out, _ = _run("schedule", "status")
    assert code == 0 and "not installed" in out
    code, out, err = _run("schedule", "install", "--at", "04:15")
    assert code == 0, err
    assert "nightly training at 04:15" in out and "not activated" in out
    timer = (units / "deskhand-learn.timer").read_text()
    assert "OnCalendar=*-*-* 04:15:00" in timer
    service = (units / "deskhand-learn.service").read_text()
    assert f"--home {home.data_dir.parent}" in service and "learn --nightly" in service
    code, out, _ = _run("schedule", "status")
    assert code == 0 and "installed: nightly at 04:15" in out
    assert "the timer is NOT active" in out  # files in a folder no service manager reads
    assert "actor now: would skip" in out and "0 new judgments in total, need 20" in out
    code, out, _ = _run("schedule", "remove")
    assert code == 0 and "removed" in out and not units.joinpath("deskhand-learn.timer").exists()


def test_schedule_install_refuses_a_bad_time(home: Paths, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKHAND_SCHEDULE_ROOT", str(tmp_path))
    code, _, err = _run("schedule", "install", "--at", "25:00")
    assert code == 2 and "HH:MM" in err
