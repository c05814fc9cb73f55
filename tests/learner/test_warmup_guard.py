"""The reward model's warm-up guard: GRPO steps that undo the warm-up are dropped, others kept.

The recipe runs its real warm-up (the synthetic screens' judgments as verdicts) on the
learning test's reward-model base; the GRPO steps are replaced by one that wrecks the LoRA
(as one high-rate update did on the learning bench) or one that leaves it alone, so each
outcome happens for certain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from learner import grpo_reward, train
from learner.gate import Evaluation
from learner.grpo import StepResult
from learner.train import Recipe
from learner.train_config import RewardTrainConfig
from learner.warmup_guard import MARGIN, WarmupGuard
from models.tiny import TinyModel
from tests.learner.test_learning import warm_bases


@pytest.fixture(scope="module")
def critic_base(tiny_model: TinyModel, tiny_cache_dir: Path) -> Path:
    """The learning test's reward-model base (it writes the verdict format), cached."""
    return warm_bases(tiny_model, tiny_cache_dir)[1]


def _job(base: Path) -> Any:
    import dataclasses

    config = RewardTrainConfig(lr=1e-3, lora_rank=4, lora_alpha=8, group_size=2,
                               states_per_step=2, max_steps=2, max_new_tokens=8,
                               checkpoint_every=1000, device="cpu", seed=0, sft_steps=40,
                               sft_batch=4, sft_lr=3e-3)
    job = grpo_reward.synthetic_job(base, config, train_screens=16, holdout_screens=2)
    return dataclasses.replace(job, sft_examples=grpo_reward.judgment_examples(job.train,
                                                                              False))


def _lora(model: Any) -> dict[str, Any]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("wreck", [True, False])
def test_grpo_that_undoes_the_warm_up_is_dropped(critic_base: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 wreck: bool) -> None:
    import torch

    torch.manual_seed(0)

    def step(model: Any, *args: Any, **kwargs: Any) -> StepResult:
        with torch.no_grad():
            for name, p in model.named_parameters():
                if wreck and "lora_B" in name:
                    p.add_(torch.randn_like(p) * 5)
        return StepResult(0.0, 0.0, 0.0, 0.0, 0.0, 2, 0, [])

    monkeypatch.setattr(train, "grpo_step", step)
    recipe = Recipe(_job(critic_base), tmp_path / "run")
    recipe.setup()
    try:
        assert recipe.train() == "done"
        guard = recipe.guard
        assert guard is not None and len(guard.states) == 32  # 16 screens, right and wrong
        verdict = recipe.state.guard
        assert verdict is not None and verdict["n"] == 32
        assert verdict["warmup_agreement"] >= 0.4  # the warm-up taught the verdicts
        after = _lora(recipe.model)
        if wreck:
            assert verdict["grpo_agreement"] < verdict["warmup_agreement"] - MARGIN
            assert verdict["kept"] == "warm-up"
            assert all(torch.equal(after[n], guard.weights[n]) for n in guard.weights)
        else:
            assert verdict["grpo_agreement"] == verdict["warmup_agreement"]
            assert verdict["kept"] == "grpo"
        again = recipe.job.evaluate(recipe.model, recipe.processor, guard.states)
        assert again.metrics()["accuracy"] == verdict["warmup_agreement"]
        recipe.save_checkpoint()  # what a resumed run reads back
        from learner import checkpoint

        folder = checkpoint.latest(recipe.run_dir)
        assert folder is not None
        state = checkpoint.load(folder, recipe.model, recipe.optimizer)
        assert state.guard == verdict
    finally:
        recipe.cleanup()


def test_a_run_resumed_after_its_warm_up_keeps_the_guard(critic_base: Path,
                                                       tmp_path: Path) -> None:
    """A reward run stopped between its warm-up and GRPO's end checks GRPO's steps when it is
    resumed: the guard's weights and agreement are in the checkpoint until it decided."""
    import torch

    first = Recipe(_job(critic_base), tmp_path / "run")
    first.setup()
    try:
        assert first.train(stop=lambda: first.state.warmed) == "stopped"  # after the warm-up
        assert first.guard is not None and first.state.step == 0
        first.save_checkpoint()
        taken = first.guard
    finally:
        first.cleanup()
    resumed = Recipe(_job(critic_base), tmp_path / "run")
    resumed.setup()
    try:
        guard = resumed.guard
        assert guard is not None and guard.agreement == taken.agreement
        assert [s.text for s in guard.states] == [s.text for s in taken.states]
        assert all(torch.equal(guard.weights[n], taken.weights[n]) for n in taken.weights)
        assert resumed.train() == "done"
        assert resumed.state.guard is not None  # it decided, as an unbroken run does
        assert resumed.state.guard["warmup_agreement"] == taken.agreement
    finally:
        resumed.cleanup()


def test_a_run_without_warm_up_has_no_guard(critic_base: Path, tmp_path: Path) -> None:
    import dataclasses

    job = dataclasses.replace(_job(critic_base), sft_examples=[])
    recipe = Recipe(job, tmp_path / "run")
    recipe.setup()
    try:
        recipe.warm_up()
        assert recipe.guard is None
    finally:
        recipe.cleanup()


class _Toy:
    """A 'model' whose one weight decides its verdicts: positive agrees with the labels."""

    def __init__(self) -> None:
        import torch

        self.w = torch.nn.Parameter(torch.ones(1))

    def named_parameters(self) -> Any:
        return [("lora_B.w", self.w)]


def _evaluate(model: Any, processor: Any, states: Any) -> Evaluation:
    labels = tuple(float(i % 2) for i in range(len(states)))
    sign = float(model.w.detach()) > 0
    return Evaluation("reward", scores=tuple(lab if sign else 1 - lab for lab in labels),
                      labels=labels)


def test_the_check_compares_agreement_and_restores_the_weights() -> None:
    import torch

    from learner.grpo import Prompted

    toy = _Toy()
    states = [Prompted(str(i), None) for i in range(100)]
    guard = WarmupGuard.take(toy, None, states, _evaluate)  # type: ignore[arg-type]
    assert len(guard.states) == 64 and guard.agreement == 1.0
    with torch.no_grad():
        toy.w.fill_(-2.0)
    out = guard.check(toy, None, _evaluate)  # type: ignore[arg-type]
    assert out == {"warmup_agreement": 1.0, "grpo_agreement": 0.0, "kept": "warm-up", "n": 64}
    assert float(toy.w.detach()) == 1.0
    with torch.no_grad():
        toy.w.fill_(3.0)  # changed, but agrees as well: GRPO's weights stay
    assert guard.check(toy, None, _evaluate)["kept"] == "grpo"  # type: ignore[arg-type]
    assert float(toy.w.detach()) == 3.0
