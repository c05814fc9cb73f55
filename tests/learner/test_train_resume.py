"""The trainer as its own process: SIGTERM checkpoints and exits cleanly, the next run resumes
from that checkpoint (step counter and weights), and SIGKILL at random points never leaves the
app without a verified active adapter."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.paths import Paths
from agent.store.repo import open_store
from agent.store.schema import TrainingRun
from learner.adapters import AdapterRegistry, active_adapter_path
from models.tiny import TinyModel
from tests.learner.test_learning import warm_bases

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys, torch
torch.set_num_threads(1)
from pathlib import Path
from agent.paths import Paths
from agent.store.repo import open_store
from learner import grpo_actor
from learner.runs import StopRequest, run_job
from learner.train_config import ActorTrainConfig
paths = Paths.resolve(sys.argv[1])
store = open_store(paths)
cfg = ActorTrainConfig(lr=5e-3, lora_rank=8, lora_alpha=16, group_size=4, states_per_step=2,
                       max_steps=int(sys.argv[3]), max_new_tokens=48, temperature=0.7,
                       checkpoint_every=1, device="cpu")
job = grpo_actor.synthetic_job(Path(sys.argv[2]), cfg, train_screens=4, holdout_screens=2)
out = run_job(paths, store, job, stop=StopRequest().install(),
              on_step=lambda step, total, m: print("step", step, flush=True))
print("outcome", out.status, out.resumed_from, out.steps, out.run_id, flush=True)
store.close()
"""


def _start(home: Path, base: Path, steps: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(home), str(base), str(steps)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_for_step(proc: subprocess.Popen[str], step: int, timeout: float = 120) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        if line.strip() == f"step {step}":
            return
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise AssertionError(f"no step {step}: {proc.communicate()[1][-2000:]}")


def _runs(home: Path) -> list[TrainingRun]:
    from sqlalchemy import select

    store = open_store(Paths.resolve(home))
    try:
        with store.session() as s:
            return list(s.scalars(select(TrainingRun).order_by(TrainingRun.id)).all())
    finally:
        store.close()


@pytest.fixture(scope="module")
def actor_base(tiny_model: TinyModel, tiny_cache_dir: Path) -> Path:
    return warm_bases(tiny_model, tiny_cache_dir)[0]


def test_sigterm_checkpoints_and_the_next_run_resumes(actor_base: Path, tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    home = tmp_path / "home"
    proc = _start(home, actor_base, steps=50)
    _wait_for_step(proc, 2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    (run,) = _runs(home)
    assert run.status == "interrupted" and run.metrics is not None
    stopped_at = len(run.metrics["steps"])
    assert stopped_at >= 2
    folder = Paths.resolve(home).runs_dir / f"{run.id:05d}-actor" / "checkpoint"
    saved = load_file(str(folder / "adapter" / "adapter_model.safetensors"))
    _recipe_resumes_with(actor_base, folder.parent, stopped_at, saved)
    proc = _start(home, actor_base, steps=stopped_at + 1)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    assert f"outcome done {stopped_at} {stopped_at + 1} {run.id}" in out
    (run,) = _runs(home)  # the same row, continued
    assert run.status == "done" and run.metrics is not None
    assert [s["step"] for s in run.metrics["steps"]] == list(range(1, stopped_at + 2))


def _recipe_resumes_with(base: Path, run_dir: Path, step: int, saved: dict[str, Any]) -> None:
    """A recipe set up on that run folder starts at the checkpoint's step and weights."""
    from learner import grpo_actor
    from learner.train import Recipe
    from learner.train_config import ActorTrainConfig

    config = ActorTrainConfig(lora_rank=8, lora_alpha=16, group_size=4, device="cpu")
    recipe = Recipe(grpo_actor.synthetic_job(base, config, train_screens=4, holdout_screens=2),
                    run_dir)
    recipe.setup()
    try:
        assert recipe.resumed_from == step and recipe.state.step == step
        live = {k: v.detach().numpy() for k, v in recipe.model.named_parameters()
                if "lora_" in k}
        for key, value in saved.items():
            match = [v for k, v in live.items() if k.replace(".default", "") == key]
            assert len(match) == 1, key
            np.testing.assert_array_equal(match[0], value)
    finally:
        recipe.cleanup()


def _seed_active_adapter(home: Path, base: Path) -> str:
    """Register and promote a first actor adapter (what the app runs before any training)."""
    import torch

    from learner.policy import load_lora_model
    from models.gguf.lora import export_lora

    torch.manual_seed(0)
    model = load_lora_model(base, rank=8, alpha=16)
    folder = home / "seed"
    model.save_pretrained(str(folder / "peft"))
    export_lora(model, folder / "adapter.gguf")
    paths = Paths.resolve(home).ensure()
    store = open_store(paths)
    try:
        registry = AdapterRegistry(paths.adapters_dir, store)
        version = registry.register("actor", folder / "peft", folder / "adapter.gguf",
                                    {"dataset_hash": "seed"})
        return registry.promote("actor", version).sha256
    finally:
        store.close()


def test_sigkill_at_random_points_keeps_a_verified_active_adapter(actor_base: Path,
                                                                   tmp_path: Path) -> None:
    home = tmp_path / "home"
    seed_sha = _seed_active_adapter(home, actor_base)
    paths = Paths.resolve(home)
    rng = random.Random(0)
    for _ in range(3):
        proc = _start(home, actor_base, steps=3)
        time.sleep(rng.uniform(3.0, 15.0))  # start-up, steps, export, evaluation, register
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        active = AdapterRegistry(paths.adapters_dir).active("actor")
        assert active is not None  # verified: its files match the recorded hashes
        assert active.sha256 == seed_sha or active.version > 1
        gguf = active_adapter_path(paths, "actor")
        assert gguf is not None and gguf.is_file()
    assert _runs(home)  # the kills landed after training had begun
    proc = _start(home, actor_base, steps=3)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    assert "outcome done" in out
    assert AdapterRegistry(paths.adapters_dir).active("actor") is not None
    assert _runs(home)[-1].status == "done"
