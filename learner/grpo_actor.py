"""Actor GRPO: the states, rewards, Entropulse examples and evaluation of an actor run.

For each stored state (task, screenshot, history) the policy — the base with the active LoRA,
or a fresh one — samples a group of actions. Reward = the verifiable reward (click inside the
corrected target, typed text, key chord, action type) where a human-vouched action exists,
else the reward model's score when a critic is given, plus ``format_weight`` × format. The
loop itself is :func:`learner.grpo.grpo_step` run by :class:`learner.train.Recipe`; Entropulse
trains on the accepted and corrected actions (``sft_examples``).

The design choice a reader must know: prompts are built by the actor's own family
(``build_prompt(...).hf_text()``) from the stored screenshot, the same bytes the llama.cpp
runtime sends, so a trained adapter sees in production exactly what it saw in training.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from learner import rewards
from learner.data import StepRecord, states
from learner.evaluate import actor_evaluation
from learner.gate import Evaluation
from learner.grpo import Prompted, RewardFn
from learner.policy import Processor
from learner.sft import Example
from learner.train import Job
from learner.train_config import ActorTrainConfig
from models import actions
from models.families.base import get_family


def prompted(record: StepRecord) -> Prompted:
    """The actor's prompt for one stored state, with the reward columns of its record."""
    family = get_family(record.family)
    prompt = family.build_prompt(record.task, list(record.history), record.screenshot(),
                                 record.monitor)
    return Prompted(prompt.hf_text(), prompt.image, record.columns())


def sft_example(record: StepRecord) -> Example | None:
    """A vouched-for action (approved, or the correction) as an SFT target, else None."""
    action = record.reference_action if record.reference_action else (
        record.action if record.label >= 1.0 else None)
    if action is None:
        return None
    family = get_family(record.family)
    prompt = family.build_prompt(record.task, list(record.history), record.screenshot(),
                                 record.monitor)
    try:
        target = family.format_action(actions.from_json(action), prompt.frame, record.reasoning)
    except ValueError:  # off this monitor, or not in the family's vocabulary
        return None
    return Example(prompt.hf_text(), prompt.image, target)


def reward_functions(config: ActorTrainConfig, sigma: float,
                     critic: rewards.Critic | None = None,
                     ) -> tuple[list[RewardFn], tuple[float, ...]]:
    """Verifiable reward (+ the critic's score where none applies) + weighted format."""
    fns: list[RewardFn] = [functools.partial(rewards.verifiable_reward, sigma=sigma)]
    weights = [1.0]
    if critic is not None:
        fns.append(_critic_where_unverifiable(critic, sigma))
        weights.append(1.0)
    fns.append(rewards.format_reward)
    weights.append(config.format_weight)
    return fns, tuple(weights)


def _critic_where_unverifiable(critic: rewards.Critic, sigma: float) -> RewardFn:
    def reward(completions: Sequence[Any], **columns: Any) -> list[float | None]:
        verifiable = rewards.verifiable_reward(completions, sigma=sigma, **columns)
        repeats = rewards.repeats_rejected(completions, **columns)
        out: list[float | None] = []
        unscored = [i for i, v in enumerate(verifiable) if v is None and not repeats[i]]
        scored = rewards.critic_reward([completions[i] for i in unscored], critic=critic,
                                       **{k: [v[i] for i in unscored] for k, v in columns.items()
                                          if isinstance(v, list)})
        by_index = dict(zip(unscored, scored, strict=True))
        for i, value in enumerate(verifiable):
            if value is not None:
                out.append(None)  # the verifiable reward speaks for this sample
            elif repeats[i]:
                out.append(0.0)  # the person already said no to exactly this
            else:
                out.append(by_index[i])
        return out

    return reward


def build_job(train: list[StepRecord], holdout: list[StepRecord], base_dir: Path,
              config: ActorTrainConfig, *, parent_peft: Path | None = None,
              dataset_hash: str = "", sigma: float = rewards.DEFAULT_SIGMA,
              critic: rewards.Critic | None = None) -> Job:
    """An actor job from dataset records: states with a reference (or any, with a critic)."""
    usable = states(train, with_reference=critic is None)
    fns, weights = reward_functions(config, sigma, critic)
    examples = [ex for ex in (sft_example(r) for r in states(train)) if ex is not None]
    verifiable = functools.partial(rewards.verifiable_reward, sigma=sigma)

    def evaluate(model: Any, processor: Processor, held: Sequence[Prompted]) -> Evaluation:
        return actor_evaluation(model, processor, held, verifiable, rewards.format_reward,
                                config.max_new_tokens)

    return Job("actor", base_dir, config, [prompted(r) for r in usable],
               [prompted(r) for r in states(holdout, with_reference=True)], fns, weights,
               evaluate, parent_peft, examples, dataset_hash,
               {"critic": critic is not None, "sft_examples": len(examples)})


def synthetic_job(base_dir: Path, config: ActorTrainConfig, *, train_screens: int = 32,
                  holdout_screens: int = 16, seed: int = 0, vouched: int = 0) -> Job:
    """An actor job on :mod:`learner.synthetic`'s task (tests and ``bench learner``).

    ``vouched``: how many training screens a person answered (corrections): their right
    clicks are the supervised examples (the warm-up and Entropulse learn from them, as the
    product's do from approved and corrected steps); without any, the format examples are.
    """
    from learner import synthetic as syn

    screens = syn.screens(train_screens, seed + 1)
    train = [syn.actor_state(s)[0] for s in screens]
    holdout = [syn.actor_state(s)[0] for s in syn.screens(holdout_screens, seed + 99)]

    def evaluate(model: Any, processor: Processor, held: Sequence[Prompted]) -> Evaluation:
        return actor_evaluation(model, processor, held, syn.click_reward, syn.format_reward,
                                config.max_new_tokens)

    examples = (syn.right_examples(screens[:vouched]) if vouched
                else syn.format_examples(screens))
    return Job("actor", base_dir, config, train, holdout, [syn.click_reward, syn.format_reward],
               (1.0, config.format_weight), evaluate, None, examples,
               f"synthetic-actor-{seed}", {"task": "synthetic", "vouched": vouched})
