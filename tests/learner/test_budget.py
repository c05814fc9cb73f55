"""The nightly budget scales with the device: the CPU gets a night it can finish (and is told
so), a GPU the full defaults, and what the person wrote is never changed."""

from __future__ import annotations

from learner.budget import CPU_BUDGET, CPU_REWARD_TOKENS, for_device
from learner.config import LearnerConfig
from learner.train_config import ActorTrainConfig, RewardTrainConfig


def test_a_gpu_keeps_the_full_defaults() -> None:
    budget = for_device(LearnerConfig(), "actor", "cuda", "NVIDIA H200")
    assert budget.learner == LearnerConfig()
    assert budget.note.startswith("actor: training on cuda (NVIDIA H200) with the full budget")
    assert "group 8, 4 states per step, 200 steps" in budget.note


def test_the_cpu_gets_a_smaller_night_and_says_why() -> None:
    budget = for_device(LearnerConfig(), "actor", "cpu")
    actor = budget.learner.actor
    for name, value in CPU_BUDGET.items():
        assert getattr(actor, name) == value, name
    assert budget.learner.reward_model == RewardTrainConfig()  # the other role is untouched
    assert "training on the CPU (no CUDA GPU for torch), so with the CPU budget" in budget.note
    assert "group 4, 1 states per step, 30 steps, 96 new tokens, 60 minutes" in budget.note
    # both roles and their evaluation fit in the nightly window
    window = LearnerConfig().schedule.window_hours * 60
    assert 2 * CPU_BUDGET["max_minutes"] < window


def test_the_reward_model_writes_shorter_verdicts_on_the_cpu() -> None:
    reward = for_device(LearnerConfig(), "reward", "cpu").learner.reward_model
    assert reward.max_new_tokens == CPU_REWARD_TOKENS and reward.group_size == 4


def test_what_the_person_wrote_is_kept_even_when_it_equals_the_default() -> None:
    learner = LearnerConfig(actor=ActorTrainConfig(group_size=8, max_steps=500))
    budget = for_device(learner, "actor", "cpu", written={"group_size", "max_steps"})
    assert (budget.learner.actor.group_size, budget.learner.actor.max_steps) == (8, 500)
    assert budget.learner.actor.max_new_tokens == CPU_BUDGET["max_new_tokens"]


def test_a_cpu_night_entirely_of_the_persons_settings_says_so() -> None:
    budget = for_device(LearnerConfig(), "actor", "cpu", written=set(CPU_BUDGET))
    assert budget.learner == LearnerConfig()
    assert "with your settings" in budget.note
