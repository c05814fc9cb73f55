"""The ``Critic`` seam: a reward model's analysis and score for one proposed action.

``ModelCritic`` runs the critic role (its LoRA adapter on the shared runtime, or the base
model when there is none) with the prompt and parser of ``models.families.critic``;
the tests' scripted critic is ``tests.fakes.critic``.

The one design choice a reader must know: a critic is advice, never a gate. An output that
does not parse gives ``None`` (no score), and the loop goes on exactly as without a critic.
A screenshot that mtmd resized behind the prompt's back (``ImageTokenMismatch``) is not an
output: it is raised, and the episode ends failed without acting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from agent.policy import Generator, OnToken, image_budget, role_adapter
from agent.screen import Observation
from models.actions import Action
from models.families.base import Family, ParseError, RenderedPrompt
from models.families.critic import CriticVerdict, base_family, build_critic_prompt, parse_verdict
from models.image_tokens import max_image_tokens

__all__ = ["Critic", "CriticVerdict", "ModelCritic"]


class Critic(Protocol):
    def score(self, task: str, observation: Observation, action: Action,
              reasoning: str) -> CriticVerdict | None: ...


class ModelCritic:
    """The reward model on the llama.cpp runtime (role ``critic``)."""

    def __init__(self, runtime: Generator, *, role: str = "critic",
                 with_reasoning: bool = True, max_new_tokens: int | None = None,
                 on_token: OnToken | None = None, family: Family | None = None) -> None:
        self.runtime = runtime
        # the base model's family: its resize rule sizes the screenshot (28 or 32 px cells)
        self.family = base_family(family)
        self.role = role
        self.with_reasoning = with_reasoning
        self.max_new_tokens = max_new_tokens or None
        self.on_token = on_token
        # the screenshot's budget on this runtime (prompt + image + verdict fit its context)
        tokens = max_image_tokens(*image_budget(runtime.config, self.max_new_tokens))
        self.max_pixels = tokens * self.family.factor ** 2
        self.last_raw = ""  # the last raw output, for the record when it did not parse

    def score(self, task: str, observation: Observation, action: Action,
              reasoning: str) -> CriticVerdict | None:
        self.runtime.set_adapter(role_adapter(self.runtime, self.role))
        gen = self.runtime.generate(self._prompt(task, observation, action, reasoning),
                                    on_token=self.on_token, greedy=True,
                                    max_new_tokens=self.max_new_tokens)
        self.last_raw = gen.text
        return _verdict(gen)

    def score_many(self, task: str, observation: Observation,
                   proposals: Sequence[tuple[Action, str]]) -> list[CriticVerdict | None]:
        """Verdicts on several (action, reasoning) proposals for one screenshot, judged side
        by side (``generate_many``: the prompts share all but the proposal); nothing streams."""
        self.runtime.set_adapter(role_adapter(self.runtime, self.role))
        gens = self.runtime.generate_many(
            [self._prompt(task, observation, action, reasoning) for action, reasoning in proposals],
            greedy=True, max_new_tokens=self.max_new_tokens)
        if gens:
            self.last_raw = gens[-1].text
        return [_verdict(gen) for gen in gens]

    def _prompt(self, task: str, observation: Observation, action: Action,
                reasoning: str) -> RenderedPrompt:
        return build_critic_prompt(task, observation.image, observation.monitor, action,
                                   reasoning, self.with_reasoning, self.max_pixels, self.family)


def _verdict(gen: Any) -> CriticVerdict | None:
    """The verdict a generation states; None when cancelled or unparseable."""
    if gen.finish == "cancelled":
        return None
    try:
        return parse_verdict(gen.text)
    except ParseError:
        return None
