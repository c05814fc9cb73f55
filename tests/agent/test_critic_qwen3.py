"""The critic on a Qwen3-VL base (real llama.cpp runtime, tiny Qwen3-VL): with its family's
resize rule (32-pixel cells) mtmd takes the screenshot as it is and a verdict comes back; with
Qwen2.5-VL's 28-pixel cells mtmd resizes it again, and the step is refused, not scored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest

from agent.critic import ModelCritic
from agent.screen import Observation
from models.actions import Click
from models.families.base import get_family
from models.families.critic import build_critic_prompt
from models.frames import Monitor
from models.image_tokens import ImageTokenMismatch
from models.runtime import LlamaRuntime
from models.tiny import TinyModel
from tests.models.runtime.helpers import CONFIG

SCREEN = Observation(np.random.default_rng(0).integers(0, 256, (112, 224, 3), dtype=np.uint8),
                     Monitor(0, 0, 224, 112), None, None, 0.0)


@pytest.fixture(scope="module")
def runtime(tiny_qwen3: TinyModel) -> Iterator[LlamaRuntime]:
    config = replace(CONFIG, n_ctx=4096, max_new_tokens=4)
    with LlamaRuntime(tiny_qwen3.gguf_path, tiny_qwen3.mmproj_path, config) as rt:
        yield rt


def test_the_qwen3vl_critic_scores_with_its_own_resize(runtime: LlamaRuntime) -> None:
    critic = ModelCritic(runtime, with_reasoning=False, family=get_family("qwen3vl"))
    critic.score("Click the button", SCREEN, Click(100, 50), "")  # not refused
    prompt = build_critic_prompt("Click the button", SCREEN.image, SCREEN.monitor,
                                 Click(100, 50), with_reasoning=False,
                                 max_pixels=critic.max_pixels, family=get_family("qwen3vl"))
    height, width = prompt.image.shape[:2]
    assert height % 32 == 0 and width % 32 == 0
    image = [c for c in runtime.tokenize(prompt) if c.is_image]
    assert [c.n_tokens for c in image] == [prompt.image_tokens] == [height * width // 32 ** 2]


def test_a_critic_resizing_by_28_is_refused_by_a_qwen3vl_projector(
        runtime: LlamaRuntime) -> None:
    critic = ModelCritic(runtime, with_reasoning=False, family=get_family("qwen25vl"))
    with pytest.raises(ImageTokenMismatch):
        critic.score("Click the button", SCREEN, Click(100, 50), "")


def test_a_group_of_actions_is_judged_side_by_side_as_one_by_one(runtime: LlamaRuntime) -> None:
    """On Qwen3-VL (M-RoPE, deepstack image features) the side-by-side judgments of one
    screenshot are the one-by-one judgments, text for text."""
    family = get_family("qwen3vl")
    critic = ModelCritic(runtime, with_reasoning=True, family=family, max_new_tokens=16)
    proposals = [(Click(100, 50), "the button is there"), (Click(10, 90), ""),
                 (Click(100, 50), "the button is there"), (Click(200, 20), "top right")]
    prompts = [build_critic_prompt("Click the button", SCREEN.image, SCREEN.monitor, action,
                                   why, True, critic.max_pixels, family)
               for action, why in proposals]
    many = runtime.generate_many(prompts, greedy=True, max_new_tokens=16)
    alone = [runtime.generate(p, greedy=True, max_new_tokens=16) for p in prompts]
    assert [g.text for g in many] == [g.text for g in alone]
    # sampled at temperature 1, a text follows every small move of the logits
    many = runtime.generate_many(prompts, seed=7, max_new_tokens=16, temperature=1.0)
    alone = [runtime.generate(p, seed=7 + i, max_new_tokens=16, temperature=1.0)
             for i, p in enumerate(prompts)]
    assert [g.text for g in many] == [g.text for g in alone]
    assert len({g.text for g in many}) == len(many)
    verdicts = critic.score_many("Click the button", SCREEN, proposals)
    assert verdicts == [critic.score("Click the button", SCREEN, a, why) for a, why in proposals]
