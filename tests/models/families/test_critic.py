"""The reward model's prompt and the parsing of its verdict."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.actions import Click, Drag, Type
from models.families.base import HF_VISION_BLOCK, MEDIA_MARKER, ParseError
from models.families.critic import (
    CriticVerdict,
    build_critic_prompt,
    format_verdict,
    image_size,
    parse_verdict,
)
from models.frames import Monitor

SHOT = np.zeros((540, 960, 3), np.uint8)
MONITOR = Monitor(1920, 0, 960, 540)


def test_prompt_shows_the_action_in_the_critics_image_frame() -> None:
    prompt = build_critic_prompt("Save the report", SHOT, MONITOR, Click(2400, 270),
                                 "The Save button is there.")
    iw, ih = image_size(960, 540)
    assert (prompt.frame.image_width, prompt.frame.image_height) == (iw, ih)
    x = round((2400 - 1920) / 960 * iw)
    assert f'"x": {x}, "y": {round(ih / 2)}' in prompt.suffix
    assert f"click at ({x}, {round(ih / 2)})" in prompt.suffix
    assert "The Save button is there." in prompt.suffix
    assert prompt.suffix.count(MEDIA_MARKER) == 1 and MEDIA_MARKER not in prompt.prefix
    assert prompt.suffix.endswith("<|im_start|>assistant\n")
    assert prompt.image.shape == (ih, iw, 3)


def test_image_comes_before_the_action_so_candidates_share_the_cache() -> None:
    a = build_critic_prompt("t", SHOT, MONITOR, Click(2000, 10))
    b = build_critic_prompt("t", SHOT, MONITOR, Drag(2000, 10, 2100, 20))
    assert a.prefix == b.prefix
    assert a.suffix.split(MEDIA_MARKER)[0] == b.suffix.split(MEDIA_MARKER)[0] == ""


def test_two_answer_forms_and_messages_agree() -> None:
    with_r = build_critic_prompt("t", SHOT, MONITOR, Type("hi"), with_reasoning=True)
    without = build_critic_prompt("t", SHOT, MONITOR, Type("hi"), with_reasoning=False)
    assert "<think>" in with_r.prefix and "<think>" not in without.prefix
    for prompt in (with_r, without):
        rendered = "".join(
            f"<|im_start|>{m['role']}\n" + "".join(
                p["text"] if p["type"] == "text" else HF_VISION_BLOCK for p in m["content"])
            + "<|im_end|>\n" for m in prompt.messages) + "<|im_start|>assistant\n"
        assert rendered == prompt.hf_text()


@pytest.mark.parametrize(("text", "analysis", "reward"), [
    ("<think>Clicks Save as asked.</think><score>0.7</score>", "Clicks Save as asked.", 0.7),
    ("<score>1</score>", "", 1.0),
    ("<score>0</score>", "", 0.0),
    ("<think>Misses the field.</think>\n<score>2/10</score>", "Misses the field.", 0.2),
    ("<think>ok</think><score> 85% </score>", "ok", 0.85),
    ("<think>ok</think><score>8</score>", "ok", 0.8),
    ("<think>ok</think><score>0.6", "ok", 0.6),  # generation stopped before the closing tag
    ("<think>ok</think><score>0.6</sco", "ok", 0.6),  # ... or inside it
    ("<think>first 0.1</think><score>0.3</score><score>0.9</score>", "first 0.1", 0.9),
    ("The action is right. Score: 9/10", "The action is right. Score: 9/10", 0.9),
    ("Reasonable step.\n0.75", "Reasonable step.\n0.75", 0.75),
    ("reward = 40%.", "reward = 40%.", 0.4),
])
def test_verdicts(text: str, analysis: str, reward: float) -> None:
    assert parse_verdict(text) == CriticVerdict(analysis, pytest.approx(reward))  # type: ignore[arg-type]


@pytest.mark.parametrize("text", [
    "", "no idea", "<score>high</score>", "<score>-1</score>", "<score>250</score>",
    "<score>7/0</score>", "Score: 11/10",
    # not one plain score: once read as 1.0, 0.3, 0.7, 0.5 and 0.1
    "<score>1e3</score>", "<score>step 3</score>", "<score>٧</score>", "Score: 5e3",
    "The answer is fine. 5e-1", "<score>x1</score>", "<score>0.7 or 0.9</score>",
    "Score: " + "1" * 400, "1" * 60_000 + "x",  # once minutes of regex backtracking
    "score" + " " * 90_000 + "x",
])
def test_unreadable_verdicts_are_parse_errors(text: str) -> None:
    with pytest.raises(ParseError):
        parse_verdict(text)


@pytest.mark.parametrize("reward", [0.0, 0.25, 0.5, 0.8, 1.0])
def test_format_then_parse(reward: float) -> None:
    for with_reasoning in (True, False):
        text = format_verdict(reward, "because", with_reasoning)
        verdict = parse_verdict(text)
        assert verdict.reward == pytest.approx(reward)
        assert verdict.analysis == ("because" if with_reasoning else "")


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=120),
    st.builds(lambda a, b: f"<think>{a}</think><score>{b}</score>", st.text(max_size=20),
              st.text(max_size=12)),
    st.builds(lambda a, n: f"{a} score: {n}", st.text(max_size=20),
              st.one_of(st.floats(), st.integers(), st.text("0123456789./%- ", max_size=12))),
))
def test_verdict_parser_never_raises_else_and_stays_in_range(text: str) -> None:
    try:
        verdict = parse_verdict(text)
    except ParseError:
        return
    assert 0.0 <= verdict.reward <= 1.0


@pytest.mark.parametrize("name, factor", [("qwen25vl", 28), ("uitars", 28), ("deskhand", 28),
                                          ("qwen3vl", 32)])
def test_the_critic_resizes_by_its_base_familys_factor(name: str, factor: int) -> None:
    """A Qwen3-VL base sees 32-pixel cells (patch 16, merge 2): a critic image cut in 28s
    would be resized again by mtmd, and its token count would not be the prompt's."""
    from models.families.base import get_family

    family = get_family(name)
    shot = np.zeros((1080, 1920, 3), np.uint8)
    prompt = build_critic_prompt("t", shot, Monitor(0, 0, 1920, 1080), Click(960, 540),
                                 family=family)
    ih, iw = prompt.image.shape[:2]
    assert iw % factor == 0 and ih % factor == 0
    assert prompt.image_tokens == (iw // factor) * (ih // factor)
    assert (iw, ih) == image_size(1920, 1080, family=family) == family.image_size(1920, 1080)


def test_the_critic_defaults_to_a_qwen25vl_base() -> None:
    assert image_size(1920, 1080) == (1316, 728)  # multiples of 28
