"""Data-parallel throughput: GRPO samples/s of K one-thread processes against one process with
K threads, on the same global batch (``deskhand bench learner --processes K``, or
``python -m learner.bench_dp``).

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
    done = subprocess.run([*head, "learner.bench_dp", "--worker", "--base", str(base),
                           "--run-dir", str(folder), *args], capture_output=True, text=True,
                          env=env)
    if done.returncode != 0:  # what the ranks said, not just "exit status 1"
        raise RuntimeError(f"{processes} process(es) of the data-parallel bench failed with "
                           f"exit status {done.returncode}:\n{done.stderr[-6000:]}")
    return float(next(line for line in done.stdout.splitlines()
                      if line.startswith("samples/s")).split()[1])


@dataclasses.dataclass(frozen=True)
class Scaling:
    """samples/s of each repeat: one process with K threads, K processes with one thread."""

    processes: int
    single: list[float]
    multi: list[float]
    states: int
    group: int
    steps: int

    @property
    def ratio(self) -> float:
        return max(self.multi) / max(self.single)  # best of each: the machine may be shared

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ratio": self.ratio}


def compare(base: Path | None, work: Path, *, processes: int = 2, steps: int = 3,
            states: int = 8, group: int = 4, tokens: int = 24, repeats: int = 2,
            say: Any = print) -> Scaling:
    """Alternate the two configurations ``repeats`` times on ``base`` (None: the 64-wide tiny
    model, built under ``work``)."""
    if base is None:
        from models.tiny import build_tiny

        base = build_tiny(work / "tiny", hidden=64, seed=0).hf_dir
    shape = ["--steps", str(steps), "--states", str(states), "--group", str(group),
             "--tokens", str(tokens)]
    single: list[float] = []
    multi: list[float] = []
    for i in range(repeats):
        single.append(run(1, processes, base, work / f"one-{i}", shape))
        multi.append(run(processes, 1, base, work / f"many-{i}", shape))
        say(f"repeat {i}: 1 process x {processes} threads {single[-1]:.2f} samples/s, "
            f"{processes} processes x 1 thread {multi[-1]:.2f} samples/s")
    return Scaling(processes, single, multi, states, group, steps)


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
    if a.worker:
        import torch

        torch.set_num_threads(int(os.environ.get("DP_BENCH_THREADS", "1")))
        worker(a.base, a.run_dir, a.steps, a.states, a.group, a.tokens)
        return
    result = compare(a.base, a.work, processes=a.processes, steps=a.steps, states=a.states,
                     group=a.group, tokens=a.tokens, repeats=a.repeats)
    print(f"ratio (best of each): {result.ratio:.3f}  (global batch {a.states} states x "
          f"{a.group} samples, {a.steps} timed steps)")


if __name__ == "__main__":
    main()
