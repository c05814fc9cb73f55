"""The reward model's format: a prompt about one proposed action, and its verdict.

The critic sees the task, the screenshot, the proposed action (in words and as JSON) and the
actor's reasoning, and answers in one of two forms the learner trains:

* with reasoning: ``<think>analysis</think><score>0.7</score>``
* without reasoning: ``<score>0.7</score>``

The design choice a reader must know: the action is shown in the critic's own image frame
(absolute pixels of its resized screenshot, like the Deskhand actor format), never in screen
pixels it cannot see; and the prompt puts the image *before* the action, so the KV cache of
task + screenshot is shared by every candidate action of one state. A score is read strictly:
one plain number (ASCII digits, no exponent), a fraction or a percentage standing on its own;
``<score>high</score>``, ``1e3`` or ``step 3`` are a ``ParseError``, never a reward. The
screenshot is resized by the rule of the base model's family (``family``: factor 28 for
Qwen2.5-VL, 32 for Qwen3-VL), since the critic runs on the same base model as the actor.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.actions import Action, Click, Drag, Move, Scroll, describe, points, to_json
from models.families.base import MEDIA_MARKER, Family, ParseError, RenderedPrompt, get_family
from models.families.common import check_output, screen_to_image_int, scrub, short
from models.frames import Frame, Monitor
from models.imaging import resize_rgb, smart_resize

DEFAULT_FAMILY = "qwen25vl"  # the base family when a caller names none

SYSTEM = ("You review the actions of a desktop agent for its user. You see the user's task, "
          "a screenshot of the screen before the action, and the action the agent proposes "
          "with its reasoning. Coordinates are pixels of the screenshot from its top-left "
          "corner. Judge whether the action is a correct and useful next step for the task.")
WITH_REASONING = ("First analyse inside <think></think>: what the screen shows, what the action "
                  "would do, whether it helps the task and whether it is safe. Then give a "
                  "score from 0 (wrong or harmful) to 1 (clearly right) inside "
                  "<score></score>, e.g. <think>...</think><score>0.7</score>.")
WITHOUT_REASONING = ("Answer only with a score from 0 (wrong or harmful) to 1 (clearly right) "
                     "inside <score></score>, e.g. <score>0.7</score>.")

_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL)
_SCORE_TAG = re.compile(r"<score>(.*?)(?:</score>|$)", re.DOTALL | re.IGNORECASE)
# One score: a plain number, a fraction (7/10) or a percentage. ASCII digits only, standing
# on their own (no letter or digit of any script next to them), and no nested quantifiers
# over the same characters, so every match runs in linear time.
_NUM = r"[0-9]+(?:\.[0-9]+)?"
_SCORE = rf"-?{_NUM}(?:\s*%|\s*/\s*{_NUM})?"
_VALUE = re.compile(rf"\s*(-?{_NUM})(?:\s*(%)|\s*/\s*({_NUM}))?\s*(?:\.\s*)?")
_SCORE_WORD = re.compile(rf"(?:score|reward|rating)\s*(?:[:=]\s*)?(?:is\s*)?({_SCORE})"
                         r"(?![\w%/]|\.[0-9])", re.IGNORECASE)
_TRAILING = re.compile(rf"(?<![\w.+\-/])({_SCORE})\Z")
_TRAILING_JUNK = " \t\r\n.!)]*"
_CLOSE = "</score>"


@dataclass(frozen=True)
class CriticVerdict:
    analysis: str
    reward: float  # in [0, 1]


def base_family(family: Family | None) -> Family:
    """The family whose resize rule the critic follows (``DEFAULT_FAMILY`` when None)."""
    return family if family is not None else get_family(DEFAULT_FAMILY)


def image_size(width: int, height: int, max_pixels: int | None = None,
               family: Family | None = None) -> tuple[int, int]:
    """(width, height) of the image the critic sees of a ``width`` × ``height`` screenshot:
    the base ``family``'s resize rule, with ``max_pixels`` (a budget that fits a small
    context) clamped to the family's own bounds.

    >>> image_size(1920, 1080), image_size(1920, 1080, family=get_family("qwen3vl"))
    ((1316, 728), (1504, 832))
    """
    fam = base_family(family)
    budget = fam.max_pixels if max_pixels is None else min(fam.max_pixels, max_pixels)
    h, w = smart_resize(height, width, fam.factor, fam.min_pixels, max(fam.min_pixels, budget))
    return w, h


def in_image_frame(action: Action, frame: Frame) -> Action:
    """The same action with its points in pixels of the resized image."""
    pts = [screen_to_image_int(frame, x, y) for x, y in points(action)]
    if isinstance(action, Drag):
        return Drag(*pts[0], *pts[1])
    if isinstance(action, (Click, Move, Scroll)):
        return dataclasses.replace(action, x=pts[0][0], y=pts[0][1])
    return action


def build_critic_prompt(task: str, screenshot: np.ndarray, monitor: Monitor, action: Action,
                        reasoning: str = "", with_reasoning: bool = True,
                        max_pixels: int | None = None,
                        family: Family | None = None) -> RenderedPrompt:
    """The reward model's prompt for one proposed action on one screenshot, resized by the
    base ``family``'s rule (see :func:`image_size`)."""
    height, width = screenshot.shape[:2]
    fam = base_family(family)
    iw, ih = image_size(width, height, max_pixels, fam)
    frame = Frame(monitor, iw, ih)
    shown = in_image_frame(action, frame)
    system = f"{SYSTEM}\n{WITH_REASONING if with_reasoning else WITHOUT_REASONING}"
    intro = f"Task: {scrub(task)}\n\nScreenshot ({iw}x{ih}):\n"
    proposal = (f"\n\nProposed action: {scrub(describe(shown))}\n"
                f"As JSON: {scrub(json.dumps(to_json(shown), ensure_ascii=False))}\n"
                f"Agent's reasoning: {scrub(reasoning).strip() or '(none given)'}")
    prefix = f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{intro}"
    suffix = f"{MEDIA_MARKER}{proposal}<|im_end|>\n<|im_start|>assistant\n"
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": [{"type": "text", "text": system}]},
        {"role": "user", "content": [{"type": "text", "text": intro}, {"type": "image"},
                                     {"type": "text", "text": proposal}]},
    ]
    return RenderedPrompt(prefix, suffix, resize_rgb(screenshot, ih, iw), frame, messages,
                          fam.image_tokens(iw, ih))


def format_verdict(reward: float, analysis: str = "", with_reasoning: bool = True) -> str:
    """A verdict written as the critic should write it (training targets).

    >>> format_verdict(0.75, "Clicks Save, as asked.")
    '<think>Clicks Save, as asked.</think><score>0.75</score>'
    >>> format_verdict(1, with_reasoning=False)
    '<score>1</score>'
    """
    score = f"<score>{reward:.4g}</score>"
    return f"<think>{analysis.strip()}</think>{score}" if with_reasoning else score


def to_reward(value: str) -> float:
    """Read a score as a reward in [0, 1]: fractions, percentages, 0-1, 0-10 or 0-100 scales.

    >>> [to_reward(s) for s in ("0.7", "7/10", "70%", "7", "85", "1", "3 / 4")]
    [0.7, 0.7, 0.7, 0.7, 0.85, 1.0, 0.75]
    >>> to_reward("-0.2")
    Traceback (most recent call last):
    ...
    models.families.base.ParseError: score -0.2 is negative
    >>> to_reward("1e3")
    Traceback (most recent call last):
    ...
    models.families.base.ParseError: score '1e3' is not a number, a fraction or a percentage
    """
    match = _VALUE.fullmatch(value)
    if not match:
        raise ParseError(f"score {short(value.strip()[:40])} is not a number, a fraction or "
                         "a percentage")
    number = float(match.group(1))
    if not math.isfinite(number):
        raise ParseError(f"score {match.group(1)[:20]} is not finite")
    if number < 0:
        raise ParseError(f"score {match.group(1)[:20]} is negative")
    if match.group(3) is not None:  # a fraction such as 7/10
        denominator = float(match.group(3))
        if not (math.isfinite(denominator) and denominator > 0):
            raise ParseError(f"score {value.strip()[:40]} has no usable denominator")
        reward = number / denominator
    elif match.group(2):  # a percentage
        reward = number / 100
    elif number <= 1:
        reward = number
    elif number <= 10:
        reward = number / 10
    else:
        reward = number / 100
    if not 0.0 <= reward <= 1.0:
        raise ParseError(f"score {value.strip()[:40]} is outside the scale")
    return reward


def _without_cut_close(raw: str) -> str:
    """A tag's inside without the start of a ``</score>`` that generation stopped in.

    >>> _without_cut_close("0.7</sc"), _without_cut_close("0.7 <")
    ('0.7', '0.7 ')
    """
    for size in range(len(_CLOSE) - 1, 0, -1):
        if raw.endswith(_CLOSE[:size]):
            return raw[:-size]
    return raw


def _trailing_score(text: str) -> str | None:
    """A score that ends the text (before closing punctuation), looked for in linear time."""
    tail = text.rstrip(_TRAILING_JUNK)
    match = _TRAILING.search(tail, max(0, len(tail) - 64))
    return match.group(1) if match else None


def parse_verdict(text: str) -> CriticVerdict:
    """The critic's raw output → ``CriticVerdict``, or ``ParseError``.

    The score is, in order of preference: the last ``<score>…</score>``, the last
    "score: …" phrase, or a number that ends the text.

    >>> parse_verdict("<think>Right button.</think><score>0.8</score>")
    CriticVerdict(analysis='Right button.', reward=0.8)
    >>> parse_verdict("The click misses the field. Score: 2/10")
    CriticVerdict(analysis='The click misses the field. Score: 2/10', reward=0.2)
    >>> parse_verdict("Looks fine. 90%")
    CriticVerdict(analysis='Looks fine. 90%', reward=0.9)
    >>> parse_verdict("no idea")
    Traceback (most recent call last):
    ...
    models.families.base.ParseError: no score in the critic's output
    """
    tags = _SCORE_TAG.findall(check_output(text))
    if tags:
        raw, first_tag = _without_cut_close(tags[-1]), _SCORE_TAG.search(text)
        before = text[:first_tag.start()] if first_tag else text
    else:
        words = _SCORE_WORD.findall(text)
        trailing = None if words else _trailing_score(text)
        if words:
            raw = words[-1]
        elif trailing is not None:
            raw = trailing
        else:
            raise ParseError("no score in the critic's output")
        before = text
    think = _THINK.search(before)
    analysis = (think.group(1) if think else before).strip()
    return CriticVerdict(analysis, to_reward(raw))
