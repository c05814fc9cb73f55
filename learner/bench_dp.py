"""Data-parallel throughput: GRPO samples/s of K one-thread processes against one process with
K threads, on the same global batch (``python -m learner.bench_dp [--base HF_DIR]``).

The goal it checks: K processes on K cores lose nothing to coordination, samples/s of the
K-process run >= 0.9x the single process's. Each configuration runs in its own processes
(``accelerate launch`` for K > 1); one untimed step first, then ``steps`` timed steps; the
two alternate ``repeats`` times and the best of each counts (the machine may be shared).

The design choice a reader must know: the reward is the completion's length modulo 5, so
every group has reward variance and every step does its backward pass and update.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def length_reward(completions: list[str], **_: object) -> list[float]:
    return [float(len(c) % 5) for c in completions]


def _job(base: Path, states: int, group: int, tokens: int) -> Any:
    from learner import grpo_actor
    from learner.train_config import ActorTrainConfig

    cfg = ActorTrainConfig(lr=5e-3, lora_rank=8, lora_alpha=16, group_size=group,
                           states_per_step=states, max_steps=10_000, max_new_tokens=tokens,
                           beta=0.04, checkpoint_every=10_000, device="cpu", sft_steps=0,
                           entropy_floor=0.0)
    job = grpo_actor.synthetic_job(base, cfg, train_screens=states, holdout_screens=1)
    return dataclasses.replace(job, reward_fns=[length_reward], reward_weights=(1.0,))


def worker(base: Path, run_dir: Path, steps: int, states: int, group: int, tokens: int) -> None:
    """One rank: set up, one untimed step, ``steps`` timed ones; rank 0 prints samples/s."""
    from learner.train import Recipe

    recipe = Recipe(_job(base, states, group, tokens), run_dir)
    recipe.setup()
    recipe.train(1)
    recipe.ranks.barrier()
    start = time.perf_counter()
    recipe.train(1 + steps)
    recipe.ranks.barrier()
    elapsed = time.perf_counter() - start
    if recipe.ranks.main:
        print(f"samples/s {steps * states * group / elapsed:.3f}", flush=True)


def run(processes: int, threads: int, base: Path, folder: Path, args: list[str]) -> float:
    """samples/s of one configuration (its own processes, ``threads`` torch threads each)."""
    import shutil
    import socket

    shutil.rmtree(folder, ignore_errors=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "DP_BENCH_THREADS": str(threads)}
    head = [sys.executable, "-m"]
    if processes > 1:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        head += ["accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
                 "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                 "--main_process_port", str(port), "-m"]
    out = subprocess.run([*head, "learner.bench_dp", "--worker", "--base", str(base),
                          "--run-dir", str(folder), *args], capture_output=True, text=True,
                         env=env, check=True).stdout
    return float(next(line for line in out.splitlines() if line.startswith("samples/s"))
                 .split()[1])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", type=Path, help="HF folder (default: the 64-wide tiny model)")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--states", type=int, default=8)
    p.add_argument("--group", type=int, default=4)
    p.add_argument("--tokens", type=int, default=24)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--work", type=Path, default=Path("/tmp/deskhand-bench-dp"))
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--run-dir", type=Path, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    shape = ["--steps", str(a.steps), "--states", str(a.states), "--group", str(a.group),
             "--tokens", str(a.tokens)]
    if a.worker:
        import torch

        torch.set_num_threads(int(os.environ.get("DP_BENCH_THREADS", "1")))
        worker(a.base, a.run_dir, a.steps, a.states, a.group, a.tokens)
        return
    base = a.base
    if base is None:
        from models.tiny import build_tiny

        base = build_tiny(a.work / "tiny", hidden=64, seed=0).hf_dir
    k = a.processes
    single, multi = [], []
    for i in range(a.repeats):
        single.append(run(1, k, base, a.work / f"one-{i}", shape))
        multi.append(run(k, 1, base, a.work / f"many-{i}", shape))
        print(f"repeat {i}: 1 process x {k} threads {single[-1]:.2f} samples/s, "
              f"{k} processes x 1 thread {multi[-1]:.2f} samples/s", flush=True)
    print(f"ratio (best of each): {max(multi) / max(single):.3f}  "
          f"(global batch {a.states} states x {a.group} samples, {a.steps} timed steps)")


if __name__ == "__main__":
    main()
