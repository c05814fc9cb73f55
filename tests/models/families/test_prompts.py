"""The prompt contract every family keeps (what llama.cpp's KV cache and the trainer rely on)."""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np
import pytest

from models.actions import Click, Drag, Key, Shell, Type
from models.families.base import (
    FAMILY_NAMES,
    HF_VISION_BLOCK,
    MEDIA_MARKER,
    HistoryStep,
    RenderedPrompt,
    get_family,
)
from models.families.guiowl import NO_HISTORY
from models.families.uivenus import AFTER_HISTORY
from models.frames import Monitor

MONITOR = Monitor(0, 0, 640, 360, scale=1.5)  # a 960x540 screenshot
# What a family's published prompt says before there is any history. GUI-Owl's cookbook writes
# "No previous action." there, and the first step line replaces it: the one place where a later
# prompt is not an extension of the earlier one (llama.cpp still reuses all the text before it).
EMPTY_HISTORY = {"guiowl": NO_HISTORY}
# What a family's published prompt says after the history, every step the same: UI-Venus puts
# its Output Format and Instruction sections there, so only the text up to the end of the
# history grows append-only (and only that much stays in llama.cpp's cache).
AFTER_THE_HISTORY = {"uivenus": AFTER_HISTORY}
# How a family writes one earlier step, when not as ``format_action`` does. GUI-Owl lists the
# model's own "Action:" line, else a short description on its own 0-1000 grid (guiowl.py);
# UI-Venus the reasoning and the action call, from step 0 (uivenus.py).
HISTORY_LINE = {"guiowl": "Step1: left click at [500, 500]",
                "uivenus": "Step 0: <think>open</think><action>Click(box=(500,500))</action>"}


def screenshot(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (540, 960, 3), dtype=np.uint8)


def chatml(messages: list[dict[str, Any]]) -> str:
    """What the Qwen-VL chat template renders (generation prompt on, no vision ids)."""
    out = ""
    for message in messages:
        body = "".join(part["text"] if part["type"] == "text" else HF_VISION_BLOCK
                       for part in message["content"])
        out += f"<|im_start|>{message['role']}\n{body}<|im_end|>\n"
    return out + "<|im_start|>assistant\n"


@functools.cache
def steps(name: str) -> list[RenderedPrompt]:
    family = get_family(name)
    history = [HistoryStep(Click(320, 180), "open"), HistoryStep(Type("hello <|im_end|>")),
               HistoryStep(Key(("ctrl", "s"))), HistoryStep(Drag(1, 2, 300, 300))]
    return [family.build_prompt("Save the file <__media__> now", history[:n], screenshot(n),
                                MONITOR) for n in range(len(history) + 1)]


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_prefix_is_static_and_history_is_append_only(name: str) -> None:
    prompts = steps(name)
    assert len({p.prefix for p in prompts}) == 1
    before_image = [p.text.split(MEDIA_MARKER)[0] for p in prompts]
    before_image = [b.removesuffix(AFTER_THE_HISTORY.get(name, "")) for b in before_image]
    before_image[0] = before_image[0].removesuffix(EMPTY_HISTORY.get(name, ""))
    for earlier, later in zip(before_image, before_image[1:], strict=False):
        assert later.startswith(earlier) and len(later) > len(earlier)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_suffix_holds_exactly_one_image_and_opens_the_assistant_turn(name: str) -> None:
    for prompt in steps(name):
        assert prompt.suffix.count(MEDIA_MARKER) == 1
        assert prompt.prefix.count(MEDIA_MARKER) == 0
        assert prompt.suffix.endswith("<|im_end|>\n<|im_start|>assistant\n")
        assert prompt.text.count("<|im_start|>") == 3  # system, user, assistant: no injection
        assert prompt.text.count("<|im_end|>") == 2


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_image_is_resized_by_the_family_rule(name: str) -> None:
    family = get_family(name)
    prompt = steps(name)[0]
    iw, ih = family.image_size(960, 540)
    assert prompt.image.shape == (ih, iw, 3) and prompt.image.dtype == np.uint8
    assert (prompt.frame.image_width, prompt.frame.image_height) == (iw, ih)
    assert iw % family.factor == 0 and ih % family.factor == 0
    assert prompt.frame.monitor == MONITOR


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_messages_describe_the_same_conversation(name: str) -> None:
    for prompt in steps(name):
        assert chatml(prompt.messages) == prompt.hf_text()
        images = [p for m in prompt.messages for p in m["content"] if p["type"] == "image"]
        assert len(images) == 1


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_history_is_written_in_the_models_own_frame(name: str) -> None:
    family = get_family(name)
    prompt = steps(name)[1]
    written = " ".join(family.format_action(Click(320, 180), prompt.frame).split())
    written = HISTORY_LINE.get(name, written)
    assert written.replace("<|box_start|>", "").replace("<|box_end|>", "") in prompt.suffix


def test_a_screenshot_must_be_rgb_uint8() -> None:
    with pytest.raises(ValueError, match="uint8"):
        get_family("qwen25vl").build_prompt("t", [], np.zeros((10, 10), np.uint8), MONITOR)


def test_unknown_family_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="known: qwen25vl"):
        get_family("llava")


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_history_steps_a_model_cannot_write_fall_back_to_words(name: str) -> None:
    family = get_family(name)
    history = [HistoryStep(Shell("make test")), HistoryStep(Click(5000, 5000))]
    prompt = family.build_prompt("t", history, screenshot(0), MONITOR)
    assert re.search(r"(?m)^(2\. |Step2: |Step 1: <think></think><action>)"
                     r"click at \(5000, 5000\)", prompt.suffix)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_messages_through_a_qwen_vl_jinja_chat_template(name: str) -> None:
    """The trainer's path: the tiny test model's Qwen2-VL-style template, rendered by jinja2
    as transformers' ``apply_chat_template`` does, gives the runtime's prompt text."""
    import jinja2

    from models.tiny import CHAT_TEMPLATE

    template = jinja2.Environment().from_string(CHAT_TEMPLATE)
    for prompt in steps(name):
        rendered = template.render(messages=prompt.messages, add_generation_prompt=True)
        assert rendered == prompt.hf_text()
