"""The runtime checks the image tokens mtmd produced against the family's expectation.

The tiny model's projector is Qwen2.5-VL's (patch 14, merge 2), so the 28-pixel families'
expectation must equal mtmd's own count — also on a 4K screen, where an unclamped UI-TARS
image would be shrunk by mtmd to 3,995 tokens — and a planted difference must be refused
before anything is evaluated.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import numpy as np
import pytest

from models.actions import Click
from models.families.base import get_family
from models.families.critic import build_critic_prompt
from models.frames import Monitor
from models.image_tokens import ImageTokenMismatch
from models.runtime import LlamaRuntime
from models.tiny import TinyModel
from tests.models.runtime.helpers import CONFIG

SCREENS = {"640x400": (640, 400), "4K": (3840, 2160)}


def screenshot(width: int, height: int) -> np.ndarray:
    return np.random.default_rng(width).integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize("screen", SCREENS)
def test_the_28_pixel_families_expect_what_mtmd_produces(runtime: LlamaRuntime,
                                                         screen: str) -> None:
    width, height = SCREENS[screen]
    monitor = Monitor(0, 0, width, height)
    shot = screenshot(width, height)
    prompts = [get_family(name).build_prompt("save", [], shot, monitor)
               for name in ("qwen25vl", "uitars", "deskhand")]
    prompts.append(build_critic_prompt("save", shot, monitor, Click(5, 5)))
    for prompt in prompts:
        (image,) = [c for c in runtime.tokenize(prompt) if c.is_image]
        assert image.n_tokens == prompt.image_tokens, prompt.image.shape


def test_a_planted_expectation_is_refused_before_anything_is_evaluated(
        runtime: LlamaRuntime) -> None:
    prompt = get_family("deskhand").build_prompt("save", [], screenshot(640, 400),
                                                  Monitor(0, 0, 640, 400))
    assert prompt.image_tokens == 322
    runtime.reset_cache()
    with pytest.raises(ImageTokenMismatch, match="into 322 image tokens.*expects 323"):
        runtime.generate(dataclasses.replace(prompt, image_tokens=323), max_new_tokens=2)
    after = runtime.generate(prompt, greedy=True, max_new_tokens=2)
    assert after.n_evaluated == after.n_prompt  # the refused call left nothing in the cache
    assert after.n_prompt > 322


def test_an_image_mtmd_resizes_is_refused(tiny_model: TinyModel) -> None:
    """``image_min_tokens`` makes mtmd enlarge a 322-token screenshot to 1,050 tokens: the
    family's coordinates would no longer match, so the call is refused."""
    prompt = get_family("qwen25vl").build_prompt("save", [], screenshot(640, 400),
                                                  Monitor(0, 0, 640, 400))
    config = replace(CONFIG, n_ctx=4096, image_min_tokens=1024)
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, config) as rt:
        with pytest.raises(ImageTokenMismatch, match="expects 322.*Refusing to act"):
            rt.generate(prompt, max_new_tokens=2)
