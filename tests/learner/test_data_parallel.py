"""Data-parallel training: two CPU processes under ``accelerate launch`` (gloo, one thread
each) train the same LoRA weights as one process on the same global batch and seeds.

Tolerance: 1e-5 absolute on every LoRA weight (summing gradients over ranks changes only the
order of float32 additions; measured differences are ~1e-7, while the weights move by ~1e-2).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file

from models.tiny import TinyModel

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-5
FSDP_CONFIG = ("--config_file", str(ROOT / "packaging" / "accelerate" / "fsdp.yaml"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command(processes: int, args: list[str],
            mode: Sequence[str] = ("--multi_gpu",)) -> tuple[list[str], dict[str, str]]:
    """``accelerate launch`` of ``tests.learner.dp_worker`` (plain python for one process),
    one thread per process, and its environment; ``mode``: accelerate's flags that say how
    (FSDP's: :data:`FSDP_CONFIG`, :data:`app.commands.learn_launch.FSDP_FLAGS`)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        env.pop(name, None)
    head = [sys.executable, "-m"]
    if processes > 1:
        head += ["accelerate.commands.launch", *mode, "--num_processes", str(processes),
                 "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                 "--main_process_port", str(free_port()), "-m"]
    return [*head, "tests.learner.dp_worker", *args], env


def launch(processes: int, args: list[str], mode: str = "recipe", timeout: float = 240,
           accelerate: Sequence[str] = ("--multi_gpu",)) -> str:
    """Run the worker to the end; its stdout (the test fails on a non-zero exit)."""
    argv, env = command(processes, [mode, *args], accelerate)
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def max_diff(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k] - b[k]).abs().max()) for k in a)


def assert_trained_as_one(one: Path, two: Path) -> None:
    """The worker's weights in ``two/out`` (two ranks) equal those in ``one/out`` (one
    process) within the tolerance, both ranks hold the same, and training moved them."""
    single = load_file(str(one / "out" / "rank0.safetensors"))
    rank0 = load_file(str(two / "out" / "rank0.safetensors"))
    rank1 = load_file(str(two / "out" / "rank1.safetensors"))
    moved = max(float(v.abs().max()) for k, v in single.items() if "lora_B" in k)
    assert moved > 100 * TOLERANCE  # training really changed the (zero-initialised) B
    assert max_diff(rank0, rank1) == 0.0  # every rank applied the same update
    assert max_diff(single, rank0) < TOLERANCE


def test_two_processes_train_the_weights_of_one(tiny_model: TinyModel, tmp_path: Path) -> None:
    base = str(tiny_model.hf_dir)
    one, two = tmp_path / "one", tmp_path / "two"
    out = launch(1, [base, str(one / "run"), str(one / "out"), "2"])
    assert "trained 0 1 2 None" in out
    out = launch(2, [base, str(two / "run"), str(two / "out"), "2"])
    assert "trained 0 2 2 None" in out and "trained 1 2 2 None" in out
    assert_trained_as_one(one, two)
    assert (two / "run" / "checkpoint").is_dir()


def test_a_run_resumes_with_another_number_of_processes(tiny_model: TinyModel,
                                                         tmp_path: Path) -> None:
    base = str(tiny_model.hf_dir)
    split, straight = tmp_path / "split", tmp_path / "straight"
    launch(2, [base, str(split / "run"), str(split / "out"), "2"])
    out = launch(1, [base, str(split / "run"), str(split / "out"), "3"])
    assert "trained 0 1 3 2" in out  # resumed at step 2, went on to 3 alone
    launch(1, [base, str(straight / "run"), str(straight / "out"), "3"])
    resumed = load_file(str(split / "out" / "rank0.safetensors"))
    assert max_diff(resumed, load_file(str(straight / "out" / "rank0.safetensors"))) < TOLERANCE


def test_two_processes_warm_up_as_one(tiny_model: TinyModel, tmp_path: Path) -> None:
    """The warm-up's shuffled passes (one seed, so the same batches on every rank, each rank
    taking its share) and its decaying rate give two processes the weights of one."""
    base = str(tiny_model.hf_dir)
    one, two = tmp_path / "one", tmp_path / "two"
    launch(1, [base, str(one / "run"), str(one / "out"), "2.0"], mode="warmup")
    world, steps, loss = (one / "out" / "warmed-0").read_text().split()
    assert (world, steps) == ("1", "5")  # ceil(2 passes * 12 examples / 5 a batch)
    launch(2, [base, str(two / "run"), str(two / "out"), "2.0"], mode="warmup")
    for rank in (0, 1):
        world, steps, rank_loss = (two / "out" / f"warmed-{rank}").read_text().split()
        assert (world, steps) == ("2", "5")
        # the last step's loss is the whole batch's, summed over the ranks
        assert abs(float(rank_loss) - float(loss)) < TOLERANCE * max(1.0, abs(float(loss)))
    assert_trained_as_one(one, two)  # the warm-up moved the weights, as one process does
