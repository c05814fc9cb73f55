"""Image tokens: every family's screenshot fits the context on 4K and 8K screens, and the
token count mtmd must produce is the family's own (``models.image_tokens``)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from models.actions import Click, Drag, Key, Scroll, Type
from models.families import critic
from models.families.base import FAMILY_NAMES, HistoryStep, get_family
from models.frames import Monitor
from models.image_tokens import (
    DEFAULT_ANSWER_TOKENS,
    DEFAULT_N_CTX,
    MTMD_MAX_IMAGE_TOKENS,
    PROMPT_TOKENS,
    ImageTokenMismatch,
    check_image_tokens,
    image_tokens,
)
from models.runtime import LlamaRuntime, Prompt, RuntimeConfig
from models.tiny import TinyModel

SCREENS = {"4K": (3840, 2160), "8K": (7680, 4320)}


def fits(tokens: int, n_ctx: int, answer: int) -> bool:
    """Prompt text + image + answer within the cells the runtime lets a prompt use."""
    return 0 < tokens <= MTMD_MAX_IMAGE_TOKENS and PROMPT_TOKENS + tokens + answer <= n_ctx - 1


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_every_family_fits_the_default_context_on_big_screens(name: str, screen: str) -> None:
    family = get_family(name)
    iw, ih = family.image_size(*SCREENS[screen])
    assert fits(family.image_tokens(iw, ih), DEFAULT_N_CTX, DEFAULT_ANSWER_TOKENS), (iw, ih)


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_the_critic_fits_the_default_context_on_big_screens(name: str, screen: str) -> None:
    family = get_family(name)
    iw, ih = critic.image_size(*SCREENS[screen], family=family)
    assert iw % family.factor == 0 and ih % family.factor == 0
    assert fits(image_tokens(iw, ih, family.factor), DEFAULT_N_CTX, DEFAULT_ANSWER_TOKENS)


@pytest.mark.parametrize("n_ctx, answer", [(8192, 512), (6144, 512), (4096, 24), (4608, 1024)])
@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_a_family_clamped_to_a_context_fits_it(name: str, screen: str, n_ctx: int,
                                               answer: int) -> None:
    family = get_family(name).for_context(n_ctx, answer)
    iw, ih = family.image_size(*SCREENS[screen])
    assert fits(family.image_tokens(iw, ih), n_ctx, answer), (iw, ih)
    # the critic on the same runtime, with the same budget and the base family's rule
    crit_w, crit_h = critic.image_size(*SCREENS[screen], max_pixels=family.max_pixels,
                                       family=get_family(name))
    assert fits(image_tokens(crit_w, crit_h, family.factor), n_ctx, answer)


def test_ui_tars_own_budget_would_not_fit_a_4k_screen() -> None:
    """What the clamp is for: UI-TARS' published maximum (16384·28·28 pixels) makes a 4K
    screen 10,549 tokens, more than the 8,192-cell context and than mtmd takes unresized."""
    published = dataclasses.replace(get_family("uitars"), max_pixels=16384 * 28 * 28)
    iw, ih = published.image_size(*SCREENS["4K"])
    assert (iw, ih, published.image_tokens(iw, ih)) == (3836, 2156, 10549)
    assert not fits(published.image_tokens(iw, ih), DEFAULT_N_CTX, DEFAULT_ANSWER_TOKENS)
    iw, ih = published.for_context(DEFAULT_N_CTX, DEFAULT_ANSWER_TOKENS).image_size(3840, 2160)
    assert published.image_tokens(iw, ih) == 4080


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_the_clamp_never_raises_a_budget(name: str) -> None:
    family = get_family(name)
    assert family.for_context(1 << 20, DEFAULT_ANSWER_TOKENS).max_pixels == family.max_pixels
    tiny = family.for_context(64, DEFAULT_ANSWER_TOKENS)  # nothing left: the family's minimum
    assert tiny.max_pixels == family.min_pixels


def test_expected_tokens_are_one_per_patch_times_merge_square() -> None:
    """Qwen2.5-VL (and its fine-tunes): patch 14 × merge 2 = 28 px; Qwen3-VL: 16 × 2 = 32."""
    for name in ("qwen25vl", "uitars", "deskhand"):
        assert get_family(name).image_tokens(644, 392) == 23 * 14
    assert get_family("qwen3vl").image_tokens(640, 384) == 20 * 12
    with pytest.raises(ValueError, match="multiple of 32"):
        get_family("qwen3vl").image_tokens(644, 392)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_a_count_other_than_the_family_s_is_refused(name: str) -> None:
    family = get_family(name)
    iw, ih = family.image_size(1920, 1080)
    expected = family.image_tokens(iw, ih)
    check_image_tokens(expected, expected, iw, ih)  # the family's own count passes
    for produced in (expected - 1, expected + 1, MTMD_MAX_IMAGE_TOKENS):
        with pytest.raises(ImageTokenMismatch, match=f"into {produced} image tokens.*expects "
                           f"{expected}.*Refusing to act"):
            check_image_tokens(expected, produced, iw, ih)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_a_family_prompt_carries_its_expectation(name: str) -> None:
    family = get_family(name)
    shot = np.zeros((2160, 3840, 3), dtype=np.uint8)
    prompt = family.build_prompt("save", [], shot, Monitor(0, 0, 3840, 2160))
    ih, iw = prompt.image.shape[:2]
    assert prompt.image_tokens == family.image_tokens(iw, ih)
    assert prompt.image_tokens <= MTMD_MAX_IMAGE_TOKENS


def test_prompt_tokens_cover_the_longest_prompt_text(tiny_model: TinyModel) -> None:
    """The allowance for prompt text holds for every family's prompt with a long task and a
    full history (eight steps), counted by the tiny model's tokenizer — a 480-merge BPE that
    cuts text into more pieces than the real models' 151k-token vocabulary."""
    monitor = Monitor(0, 0, 3840, 2160)
    shot = np.zeros((2160, 3840, 3), dtype=np.uint8)
    actions = [Click(100, 200), Type("hello world, this is a note"), Key(("ctrl", "s")),
               Scroll(500, 500, 0, -3), Drag(10, 20, 300, 400), Click(3000, 2000, "right"),
               Type("search for the quarterly report"), Click(1200, 800, count=2)]
    history = [HistoryStep(a, "I will click the Save button at the top of the window.")
               for a in actions]
    task = ("Open the settings menu, change the theme to dark, then save the document as "
            "report.odt in the Documents folder.")
    prompts = [get_family(name).build_prompt(task, history, shot, monitor)
               for name in FAMILY_NAMES]
    prompts.append(critic.build_critic_prompt(task, shot, monitor, Click(5, 5), task * 3))
    config = RuntimeConfig(threads=1, n_ctx=DEFAULT_N_CTX)
    with LlamaRuntime(tiny_model.gguf_path, None, config) as runtime:  # text only
        counts = [sum(c.n_tokens for c in runtime.tokenize(
            Prompt(p.prefix, p.suffix.replace("<__media__>", "")))) for p in prompts]
    assert max(counts) <= PROMPT_TOKENS, counts
    assert max(counts) > PROMPT_TOKENS // 2, counts  # the measure is of the right size
