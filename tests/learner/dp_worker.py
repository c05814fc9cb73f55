"""One data-parallel trainer process for the tests: ``python -m tests.learner.dp_worker BASE
RUN_DIR OUT STEPS`` trains a synthetic actor job with :class:`learner.train.Recipe` (rank
from the launcher's environment) and writes this rank's final LoRA weights to
``OUT/rank<r>.safetensors``.

The reward is the completion's length modulo 5: on the random tiny model every group then has
reward variance, so each step really updates the weights.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path


def length_reward(completions: list[str], **_: object) -> list[float]:
    return [float(len(c) % 5) for c in completions]


def main(base: Path, run_dir: Path, out: Path, steps: int) -> None:
    import torch
    from safetensors.torch import save_file

    from learner import grpo_actor
    from learner.train import Recipe
    from learner.train_config import ActorTrainConfig

    torch.set_num_threads(1)
    cfg = ActorTrainConfig(lr=5e-3, lora_rank=4, lora_alpha=8, group_size=4, states_per_step=3,
                           max_steps=steps, max_new_tokens=12, temperature=1.0, beta=0.04,
                           checkpoint_every=1, device="cpu", sft_steps=1, sft_batch=3,
                           sft_lr=1e-3, entropy_floor=0.0)
    job = grpo_actor.synthetic_job(base, cfg, train_screens=6, holdout_screens=1)
    job = dataclasses.replace(job, reward_fns=[length_reward], reward_weights=(1.0,))
    recipe = Recipe(job, run_dir)
    recipe.setup()
    recipe.train(steps)
    recipe.save_checkpoint()
    weights = {n: p.detach().contiguous() for n, p in recipe.model.named_parameters()
               if p.requires_grad}
    out.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(out / f"rank{recipe.ranks.rank}.safetensors"))
    print("trained", recipe.ranks.rank, recipe.ranks.world, recipe.state.step,
          recipe.resumed_from, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
