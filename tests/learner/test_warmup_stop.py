"""The warm-up yields to a stop request and to the time budget between two of its steps (it
may run for minutes: on the learning bench a whole night's budget went into it), and a run
stopped there finishes the warm-up where it stopped: the weights one uninterrupted warm-up
gives."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
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


def test_a_run_out_of_time_in_its_warm_up_is_resumed_not_gated(
        tiny_model: TinyModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A half-warmed adapter is neither exported nor gated: the run is left interrupted and
    the next run goes on with the warm-up where the budget cut it, then trains and gates."""
    import learner.train
    from agent.paths import Paths
    from agent.store.repo import open_store
    from learner.runs import run_job
    from tests.learner.test_train_resume import _runs

    paths = Paths.resolve(tmp_path / "home")
    store = open_store(paths.ensure())
    work = job(tiny_model.hf_dir, 1, sft_steps=STEPS, sft_batch=3, sft_epochs=0.0)

    class Clock:  # the trainer's clock: 25 s pass between two warm-up steps
        calls = 0

        @staticmethod
        def monotonic() -> float:
            Clock.calls += 1
            return time.monotonic() + 25.0 * Clock.calls

    monkeypatch.setattr(learner.train, "time", Clock)
    cut = run_job(paths, store, work, max_minutes=1.0)  # 60 s: the third step is too late
    assert cut.status == "interrupted" and cut.version is None and cut.decision is None
    assert cut.note == "out of time in the warm-up after 2 of its steps"
    (row,) = _runs(tmp_path / "home")
    assert row.status == "interrupted" and row.reason == cut.note
    assert not list(paths.adapters_dir.glob("**/*.gguf"))  # nothing was registered

    monkeypatch.undo()
    done = run_job(paths, store, work)
    assert done.status == "done" and done.run_id == cut.run_id and done.resumed_from == 0
    assert done.version == 1 and done.steps == 1
    store.close()
