"""One data-parallel trainer process for the tests (rank from the launcher's environment).

``python -m tests.learner.dp_worker recipe BASE RUN_DIR OUT STEPS [JSON]`` trains a synthetic
actor job (JSON: overrides of its config) with :class:`learner.train.Recipe` and writes this
rank's final LoRA weights to ``OUT/rank<r>.safetensors`` (and ``OUT/held-<r>``: ``<sharded>
<weights it holds> <the model's>``); ``... warmup BASE RUN_DIR OUT EPOCHS`` runs only the job's
warm-up (``sft_epochs`` EPOCHS, its decaying rate) and writes the weights the same way;
``... save BASE RUN_DIR`` writes the job's checkpoint before any step;
``... job BASE HOME STEPS`` runs the same job through
:func:`learner.runs.run_job` in the Deskhand home ``HOME`` (store, lock, export, gate),
writing ``HOME/pid-<rank>`` and ``HOME/outcome-<rank>`` (``status resumed_from steps
run_id version``) and printing ``step <n>`` (rank 0).

The reward is the completion's length modulo 5: on the random tiny model every group then has
reward variance, so each step really updates the weights. With ``DP_FAIL_RANK=r`` the reward
raises on rank r (a rank failing on its own error).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any


def length_reward(completions: list[str], **_: object) -> list[float]:
    import os

    if os.environ.get("DP_FAIL_RANK") == os.environ.get("RANK", "0"):  # a test's broken rank
        raise ValueError(f"a reward function broke on rank {os.environ.get('RANK')}")
    return [float(len(c) % 5) for c in completions]


def job(base: Path, steps: int, **overrides: Any) -> Any:
    """The synthetic actor job every mode trains (3 states a step, groups of 4); ``overrides``
    change its config."""
    from learner import grpo_actor
    from learner.train_config import ActorTrainConfig

    settings: dict[str, Any] = {
        "lr": 5e-3, "lora_rank": 4, "lora_alpha": 8, "group_size": 4, "states_per_step": 3,
        "max_steps": steps, "max_new_tokens": 12, "temperature": 1.0, "beta": 0.04,
        "checkpoint_every": 1, "device": "cpu", "sft_lr": 1e-3, "entropy_floor": 0.0,
        "sft_steps": 1, "sft_batch": 3, **overrides}
    cfg = ActorTrainConfig(**settings)
    built = grpo_actor.synthetic_job(base, cfg, train_screens=6, holdout_screens=1)
    return dataclasses.replace(built, reward_fns=[length_reward], reward_weights=(1.0,))


def run(base: Path, home: Path, steps: int) -> None:
    import os

    from agent.paths import Paths
    from agent.store.repo import open_store
    from learner.distributed import current
    from learner.runs import StopRequest, run_job

    paths = Paths.resolve(home)
    home.mkdir(parents=True, exist_ok=True)  # ranks share stdout: pids go to files
    (home / f"pid-{current().rank}").write_text(str(os.getpid()))
    store = open_store(paths)
    out = run_job(paths, store, job(base, steps), stop=StopRequest().install(),
                  on_step=lambda step, total, m: print("step", step, flush=True))
    line = f"{out.status} {out.resumed_from} {out.steps} {out.run_id} {out.version}"
    (home / f"outcome-{current().rank}").write_text(line)
    store.close()


def main(base: Path, run_dir: Path, out: Path, steps: int, **overrides: Any) -> None:
    from safetensors.torch import save_file

    from learner.sharding import full_weights
    from learner.train import Recipe

    recipe = Recipe(job(base, steps, **overrides), run_dir)
    recipe.setup()
    recipe.train(steps)
    recipe.save_checkpoint()
    weights = full_weights(recipe.model)  # every rank: a sharded model gathers them
    out.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(out / f"rank{recipe.ranks.rank}.safetensors"))
    # one write: the ranks share stdout (unbuffered under the launcher), and print's pieces
    # of two ranks interleaved ("trainedtrained 0 2 2 None")
    sys.stdout.write(f"trained {recipe.ranks.rank} {recipe.ranks.world} {recipe.state.step} "
                     f"{recipe.resumed_from}\n")
    sys.stdout.flush()
    held = sum(getattr(p, "to_local", lambda p=p: p)().numel() for p in recipe.model.parameters())
    whole = sum(p.numel() for p in recipe.model.parameters())
    (out / f"held-{recipe.ranks.rank}").write_text(f"{recipe.ranks.sharded} {held} {whole}")


def save_at_once(base: Path, run_dir: Path) -> None:
    """Set the job up and write its checkpoint before any step (a run stopped at once)."""
    from learner.train import Recipe

    recipe = Recipe(job(base, 2), run_dir)
    recipe.setup()
    recipe.save_checkpoint()


def warm_up(base: Path, run_dir: Path, out: Path, epochs: float) -> None:
    """Only the warm-up, 5 examples a batch: batches straddle the shuffled passes over the 12
    examples, and two ranks take unequal shares (3 and 2). Writes ``<world> <steps> <last
    loss>`` to ``OUT/warmed-<rank>`` (two ranks share one stdout, and their lines interleave)."""
    from safetensors.torch import save_file

    from learner.sharding import full_weights
    from learner.train import Recipe

    recipe = Recipe(job(base, 1, sft_steps=1, sft_batch=5, sft_epochs=epochs), run_dir)
    recipe.setup()
    recipe.warm_up()
    weights = full_weights(recipe.model)  # every rank: a sharded model gathers them
    out.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(out / f"rank{recipe.ranks.rank}.safetensors"))
    steps = recipe.job.config.warmup_steps(len(recipe.job.sft_examples))
    (out / f"warmed-{recipe.ranks.rank}").write_text(
        f"{recipe.ranks.world} {steps} {recipe.state.warmup_loss!r}")


if __name__ == "__main__":
    import torch

    torch.set_num_threads(1)
    if sys.argv[1] == "recipe":
        main(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]),
             **json.loads(sys.argv[6] if len(sys.argv) > 6 else "{}"))
    elif sys.argv[1] == "save":
        save_at_once(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1] == "warmup":
        warm_up(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), float(sys.argv[5]))
    else:
        run(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
