"""Reward-model GRPO: critic prompts, the agreement reward, and the reward model's evaluation.

Prompt = the state (task, screenshot) + one candidate action with the actor's reasoning, in
the critic format of :mod:`models.families.critic`; the reward model writes (with
``reasoning``) ``<think>analysis</think><score>s</score>`` or (without) only
``<score>s</score>``. Its reward is the agreement with the human label, ``1 − |s − label|``,
plus ``format_weight`` × the verdict format. The switch is the agent's own
``critic_reasoning`` (the form the running critic asks for); it is recorded in the run's config
(``reasoning``) and in its metrics, so the two kinds of run are told apart. Before RL, the
run learns the person's judgments directly as verdicts (the warm-up, ``sft_steps``), as the
actor learns their vouched-for actions; a reward model that must reason first skips it.

The design choice a reader must know: every labelled candidate is a state of its own (a
correction gives two: the corrected action labelled 1, the original 0), so the reward model
sees right and wrong actions on the same screen — the contrast it must learn.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from learner import rewards
from learner.data import StepRecord
from learner.evaluate import reward_evaluation
from learner.gate import Evaluation
from learner.grpo import Prompted
from learner.policy import Processor
from learner.sft import Example
from learner.train import Job
from learner.train_config import RewardTrainConfig
from models import actions
from models.families.base import get_family
from models.families.critic import build_critic_prompt, format_verdict


def prompted(record: StepRecord, with_reasoning: bool) -> Prompted:
    """The critic prompt for one labelled candidate; reward columns: label and format."""
    prompt = build_critic_prompt(record.task, record.screenshot(), record.monitor,
                                 actions.from_json(record.action), record.reasoning,
                                 with_reasoning=with_reasoning,
                                 family=get_family(record.family))
    return Prompted(prompt.hf_text(), prompt.image,
                    {"label": float(record.label), "with_reasoning": with_reasoning})


def verdict_example(state: Prompted, analysis: str = "") -> Example:
    """The human label written as the verdict (a warm-start / supervised target)."""
    label = float(state.columns["label"])
    return Example(state.text, state.image,
                   format_verdict(label, analysis, bool(state.columns["with_reasoning"])))


def job_for(states: list[Prompted], holdout: list[Prompted], base_dir: Path,
            config: RewardTrainConfig, *, with_reasoning: bool,
            parent_peft: Path | None = None, dataset_hash: str = "",
            extra: dict[str, Any] | None = None,
            sft_examples: list[Example] | None = None) -> Job:
    """A reward-model job over ready critic states (store or synthetic); ``sft_examples``:
    the warm-up's targets (see :func:`judgment_examples`)."""
    format_fn = functools.partial(rewards.verdict_format_reward, with_reasoning=with_reasoning)

    def evaluate(model: Any, processor: Processor, held: Sequence[Prompted]) -> Evaluation:
        return reward_evaluation(model, processor, held, config.max_new_tokens)

    return Job("reward", base_dir, config, states, holdout,
               [rewards.agreement_reward, format_fn], (1.0, config.format_weight), evaluate,
               parent_peft, list(sft_examples or ()), dataset_hash,
               {"reasoning": with_reasoning, "sft_examples": len(sft_examples or ()),
                **(extra or {})})


def judgment_examples(states: list[Prompted], with_reasoning: bool) -> list[Example]:
    """The person's judgments as verdicts to learn before RL (the warm-up): each training
    state's label written as its score. None when the reward model must reason first: a
    judgment is a score, not an analysis, and an empty ``<think>`` is not one to teach."""
    if with_reasoning:
        return []
    return [verdict_example(state) for state in states]


def build_job(train: list[StepRecord], holdout: list[StepRecord], base_dir: Path,
              config: RewardTrainConfig, *, with_reasoning: bool,
              parent_peft: Path | None = None, dataset_hash: str = "") -> Job:
    """A reward-model job from dataset records (every labelled candidate).

    ``with_reasoning``: the agent's ``critic_reasoning`` — the reward model is trained to
    answer in the form the running critic asks for.
    """
    states = [prompted(r, with_reasoning) for r in train]
    return job_for(states, [prompted(r, with_reasoning) for r in holdout], base_dir, config,
                   with_reasoning=with_reasoning, parent_peft=parent_peft,
                   dataset_hash=dataset_hash,
                   sft_examples=judgment_examples(states, with_reasoning))


def synthetic_job(base_dir: Path, config: RewardTrainConfig, *, train_screens: int = 32,
                  holdout_screens: int = 16, seed: int = 0, with_reasoning: bool = False) -> Job:
    """A reward-model job on :mod:`learner.synthetic`'s task (tests and benches): each
    screen twice, with its right and a wrong proposal, so ``*_screens`` × 2 states."""
    from learner import synthetic as syn

    train = syn.critic_states(syn.screens(train_screens, seed + 1), with_reasoning)
    holdout = syn.critic_states(syn.screens(holdout_screens, seed + 99), with_reasoning)
    for state in (*train, *holdout):
        state.columns["with_reasoning"] = with_reasoning
    return job_for(train, holdout, base_dir, config, with_reasoning=with_reasoning,
                   dataset_hash=f"synthetic-reward-{seed}", extra={"task": "synthetic"})
