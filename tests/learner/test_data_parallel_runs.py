"""``run_job`` under two processes (accelerate launch, gloo): rank 0 alone owns the run (one
row, one folder, the export, the gate); a SIGKILL of the other rank mid-run leaves the active
adapter verified and unchanged, and the next run (one process) resumes from the checkpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from agent.paths import Paths
from agent.store.repo import open_store
from app.commands.learn_launch import FSDP_FLAGS
from learner.adapters import AdapterRegistry
from models.tiny import TinyModel
from tests.learner.test_data_parallel import ROOT, command, launch
from tests.learner.test_train_resume import _runs


def _promote(home: Path, version: int) -> str:
    paths = Paths.resolve(home)
    store = open_store(paths)
    try:
        registry = AdapterRegistry(paths.adapters_dir, store)
        active = registry.active("actor")
        if active is not None and active.version == version:
            return active.sha256
        return registry.promote("actor", version).sha256
    finally:
        store.close()


def _outcome(home: Path, rank: int) -> str:
    return (home / f"outcome-{rank}").read_text()


def _kill_rank_1_after_step(home: Path, base: str, step: int,
                            mode: Sequence[str] = ("--multi_gpu",)) -> int:
    """Launch a long run, SIGKILL rank 1 once rank 0 reported ``step``; the launcher's code.
    ``mode``: accelerate's flags (FSDP's shard the model)."""
    (home / "pid-1").unlink(missing_ok=True)
    argv, env = command(2, ["job", base, str(home), "50"], mode)
    with subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as proc:
        assert proc.stdout is not None
        deadline = time.monotonic() + 180
        for line in proc.stdout:
            if line.split() == ["step", str(step)]:
                os.kill(int((home / "pid-1").read_text()), signal.SIGKILL)
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("no step reported in time")
        else:
            raise AssertionError(f"the run ended before step {step}")
        proc.stdout.read()
        return proc.wait(timeout=120)


@pytest.mark.parametrize("mode", [("--multi_gpu",), FSDP_FLAGS], ids=["whole", "sharded"])
def test_rank_0_owns_the_run_and_a_killed_rank_leaves_it_resumable(
        tiny_model: TinyModel, tmp_path: Path, mode: tuple[str, ...]) -> None:
    """Also sharded (``deskhand learn --fsdp``'s flags): every rank then takes part in the
    gate's torch measurements, and the resumed run compares its candidate with the active
    adapter on the sharded model."""
    base, home = str(tiny_model.hf_dir), tmp_path / "home"
    sharded = mode == FSDP_FLAGS
    launch(2, [base, str(home), "2"], mode="job", accelerate=mode)
    assert _outcome(home, 1) == "done None 2 1 None"  # rank 1 trained, registered nothing
    assert _outcome(home, 0) == "done None 2 1 1"  # rank 0 exported, registered v1, gated it
    (run,) = _runs(home)
    assert run.status == "done" and run.metrics is not None and len(run.metrics["steps"]) == 2
    folder = Paths.resolve(home).runs_dir / f"{run.id:05d}-actor"
    assert (folder / "adapter.gguf").is_file() and (folder / "checkpoint").is_dir()
    sha = _promote(home, 1)  # the adapter the app runs while the next run is killed

    code = _kill_rank_1_after_step(home, base, step=2, mode=mode)
    assert code != 0  # the launcher saw a rank die (and stopped the other)
    active = AdapterRegistry(Paths.resolve(home).adapters_dir).active("actor")
    assert active is not None and active.version == 1 and active.sha256 == sha  # verified
    killed = _runs(home)[-1]
    # rank 0 saw the collective fail (or was stopped by the launcher): resumable either way
    assert killed.status in ("interrupted", "running") and killed.metrics is not None
    assert len(killed.metrics["steps"]) >= 2

    launch(2 if sharded else 1, [base, str(home), "3"], mode="job", accelerate=mode)
    status, resumed_from, _, run_id, version = _outcome(home, 0).split()
    assert status == "done" and int(resumed_from) >= 2 and run_id == str(killed.id)
    last = _runs(home)[-1]
    assert last.status == "done" and version == "2" and last.metrics is not None
    assert last.metrics["baseline"]["n"] >= 1  # the active v1, measured on the same holdout


def test_a_rank_failing_on_its_own_error_fails_the_run(tiny_model: TinyModel,
                                                       tmp_path: Path) -> None:
    """Rank 1's own error (here its reward function) is the run's reason, and the run is
    failed, not interrupted: resuming it would only fail again, night after night."""
    home = tmp_path / "home"
    argv, env = command(2, ["job", str(tiny_model.hf_dir), str(home), "2"])
    env["DP_FAIL_RANK"] = "1"
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode != 0
    (run,) = _runs(home)
    assert run.status == "failed", (run.status, run.reason, proc.stderr[-2000:])
    assert run.reason is not None
    assert "rank-1 failed: ValueError: a reward function broke on rank 1" in run.reason
