"""The warm-up yields to a stop request and to the time budget between two of its steps (it
may run for minutes: on the learning bench a whole night's budget went into it), and a run
stopped there finishes the warm-up where it stopped: the weights one uninterrupted warm-up
gives."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from learner.train import Recipe
from models.tiny import TinyModel
from tests.learner.dp_worker import job

STEPS = 4  # warm-up steps of the job below (sft_steps; 12 examples, 3 a batch)


def _recipe(base: Path, run_dir: Path) -> Recipe:
    recipe = Recipe(job(base, 1, sft_steps=STEPS, sft_batch=3, sft_epochs=0.0), run_dir)
    recipe.setup()
    return recipe


def _lora(recipe: Recipe) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in recipe.model.named_parameters() if p.requires_grad}


def test_a_stopped_warm_up_resumes_where_it_stopped(tiny_model: TinyModel,
                                                    tmp_path: Path) -> None:
    straight = _recipe(tiny_model.hf_dir, tmp_path / "straight")
    assert straight.job.config.warmup_steps(len(straight.job.sft_examples)) == STEPS
    assert straight.warm_up() is None and straight.state.warmup_step == STEPS
    want = _lora(straight)

    asked = []

    def stop_on_third_question() -> bool:
        asked.append(1)
        return len(asked) >= 3

    cut = _recipe(tiny_model.hf_dir, tmp_path / "cut")
    assert cut.train(stop=stop_on_third_question) == "stopped"  # before any GRPO step
    assert (cut.state.warmup_step, cut.state.warmed, cut.state.step) == (2, False, 0)
    cut.save_checkpoint()

    resumed = _recipe(tiny_model.hf_dir, tmp_path / "cut")
    assert resumed.resumed_from == 0 and resumed.state.warmup_step == 2
    assert resumed.warm_up() is None
    assert resumed.state.warmed and resumed.state.warmup_step == STEPS
    got = _lora(resumed)
    moved = max(float(v.abs().max()) for k, v in want.items() if "lora_B" in k)
    assert moved > 1e-4  # the warm-up really changed the (zero-initialised) B
    assert max(float((want[k] - got[k]).abs().max()) for k in want) < 1e-6


def test_the_time_budget_ends_the_warm_up(tiny_model: TinyModel, tmp_path: Path) -> None:
    recipe = _recipe(tiny_model.hf_dir, tmp_path / "late")
    before = _lora(recipe)
    assert recipe.train(deadline=time.monotonic() - 1) == "time"
    assert (recipe.state.warmup_step, recipe.state.warmed, recipe.state.step) == (0, False, 0)
    assert all(torch.equal(before[k], v) for k, v in _lora(recipe).items())
