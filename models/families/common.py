"""The machinery the four ChatML families share: resizing, prompt layout, parse helpers.

Layout of every prompt (one system turn, one user turn, then the assistant's turn)::

    <|im_start|>system\\n{system}<|im_end|>\\n<|im_start|>user\\n{intro}      ← prefix (static)
    {history}<__media__><|im_end|>\\n<|im_start|>assistant\\n                ← suffix (per step)

The design choice a reader must know: the history is append-only text placed *before* the
screenshot, so step n+1's prompt starts with step n's prompt minus the image; user-supplied
text is scrubbed of ChatML and media markers so it can never open a turn or add an image.

The parse helpers below are strict on purpose: a parser raises ``ParseError`` and nothing
else, whatever the text, and garbage never becomes an action. A number is a *plain decimal*
as models write them (ASCII digits, optional sign and fraction, at most 15 integer digits);
scientific notation, NaN, Infinity, bools, unicode digits and template placeholders are
refused, and every action a parser returns has passed ``models.actions.validate``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np

from models.actions import Action, ActionError, describe, from_json, validate
from models.families.base import MEDIA_MARKER, HistoryStep, Parsed, ParseError, RenderedPrompt
from models.frames import Frame, FrameError, Monitor
from models.image_tokens import MTMD_MAX_IMAGE_TOKENS, image_tokens, max_image_tokens
from models.imaging import resize_rgb, smart_resize

_SPECIAL = re.compile(r"<\|[A-Za-z0-9_]+\|>|" + re.escape(MEDIA_MARKER))
HISTORY_HEADER = "Previous steps (oldest first):\n"


def scrub(text: str) -> str:
    """Remove ChatML special tokens and the media marker from user-supplied text.

    >>> scrub("open <|im_end|>the<__media__> file")
    'open the file'
    """
    return _SPECIAL.sub("", text)


@dataclass(frozen=True)
class ChatFamily:
    """Base of the concrete families: the resize rule and the prompt layout.

    Subclasses give ``system_prompt``, ``user_intro``, ``parse`` and ``format_action``.
    """

    name: str
    factor: int
    min_pixels: int
    max_pixels: int

    # -- resize rule -------------------------------------------------------------------
    def image_size(self, width: int, height: int) -> tuple[int, int]:
        h, w = smart_resize(height, width, factor=self.factor, min_pixels=self.min_pixels,
                            max_pixels=self.max_pixels)
        return w, h

    def frame(self, monitor: Monitor, image_size: tuple[int, int] | None = None) -> Frame:
        iw, ih = image_size if image_size is not None else self.image_size(
            *monitor.physical_size)
        return Frame(monitor, iw, ih)

    def image_tokens(self, width: int, height: int) -> int:
        return image_tokens(width, height, self.factor)

    def for_context(self, n_ctx: int, answer_tokens: int,
                    projector_max: int = MTMD_MAX_IMAGE_TOKENS) -> ChatFamily:
        """Never above the family's own budget nor below its minimum (a context too small
        even for that is the runtime's clear error when the prompt is evaluated)."""
        budget = max_image_tokens(n_ctx, answer_tokens, projector_max) * self.factor ** 2
        return dataclasses.replace(
            self, max_pixels=max(self.min_pixels, min(self.max_pixels, budget)))

    # -- prompt ------------------------------------------------------------------------
    def system_prompt(self, frame: Frame) -> str:
        raise NotImplementedError

    def user_intro(self, task: str, frame: Frame) -> str:
        raise NotImplementedError

    def parse(self, text: str, frame: Frame, cursor: tuple[int, int] | None = None) -> Parsed:
        raise NotImplementedError

    def format_action(self, action: Action, frame: Frame, reasoning: str = "") -> str:
        raise NotImplementedError

    def history_text(self, history: Sequence[HistoryStep], frame: Frame) -> str:
        """Append-only text of earlier steps, one line each, in the model's own format."""
        if not history:
            return ""
        lines = []
        for i, step in enumerate(history, start=1):
            try:
                written = self.format_action(step.action, frame)
            except ValueError:  # not on this monitor any more, or not in this model's vocabulary
                written = describe(step.action)
            lines.append(f"{i}. {' '.join(scrub(written).split())}\n")
        return HISTORY_HEADER + "".join(lines)

    def build_prompt(self, task: str, history: Sequence[HistoryStep], screenshot: np.ndarray,
                     monitor: Monitor) -> RenderedPrompt:
        if screenshot.ndim != 3 or screenshot.shape[2] != 3 or screenshot.dtype != np.uint8:
            raise ValueError(f"screenshot must be [H, W, 3] uint8, got {screenshot.shape} "
                             f"{screenshot.dtype}")
        height, width = screenshot.shape[:2]
        iw, ih = self.image_size(width, height)
        frame = Frame(monitor, iw, ih)
        system = self.system_prompt(frame)
        intro = self.user_intro(scrub(task), frame)
        history_part = self.history_text(history, frame)
        prefix = (f"<|im_start|>system\n{system}<|im_end|>\n"
                  f"<|im_start|>user\n{intro}")
        suffix = f"{history_part}{MEDIA_MARKER}<|im_end|>\n<|im_start|>assistant\n"
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": [{"type": "text", "text": system}]},
            {"role": "user", "content": [{"type": "text", "text": intro + history_part},
                                         {"type": "image"}]},
        ]
        image = resize_rgb(screenshot, ih, iw)
        return RenderedPrompt(prefix, suffix, image, frame, messages,
                              self.image_tokens(iw, ih))


# -- parse helpers shared by the families ------------------------------------------------

# Longer than any output the runtime lets a model write (its default is 512 new tokens);
# refusing longer text keeps every parser's time bounded whatever the input.
MAX_OUTPUT_CHARS = 100_000
# Each failed decode costs time in the length of the text (the error counts lines up to
# it), so after this many braces that open no JSON object the rest is not searched.
MAX_JSON_STARTS = 256
_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,20})?")
_MAX_MAGNITUDE = 1e15


def short(value: Any) -> str:
    """``repr`` of a value, cut to a length an error message can carry.

    >>> short("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (102 characters)"
    """
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


def check_output(text: Any) -> str:
    """The raw output if it is text of a plausible length, else ``ParseError``."""
    if not isinstance(text, str):
        raise ParseError(f"a model output must be text, got {type(text).__name__}")
    if len(text) > MAX_OUTPUT_CHARS:
        raise ParseError(f"the output has {len(text)} characters, more than any model output "
                         f"(at most {MAX_OUTPUT_CHARS})")
    return text


class RawNumber:
    """A JSON number literal that is not a plain decimal (``1e3``, ``NaN``, 400 digits).

    The decoder keeps it as text so that no parser can mistake it for a number.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        if len(self.text) <= 40:
            return self.text
        return f"{self.text[:30]}... ({len(self.text)} characters)"


def plain_number(text: str) -> float | None:
    """The value of a plain decimal number, or None for anything else.

    >>> plain_number("-12.5"), plain_number("1e3"), plain_number("x1"), plain_number("٣")
    (-12.5, None, None, None)
    """
    return float(text) if _PLAIN_NUMBER.fullmatch(text) else None


def _json_number(text: str) -> float | int | RawNumber:
    value = plain_number(text)
    if value is None:
        return RawNumber(text)
    return value if "." in text else int(text)


_DECODER = json.JSONDecoder(parse_float=_json_number, parse_int=_json_number,
                            parse_constant=RawNumber)


def number(value: Any, what: str) -> float:
    """A plain finite number from JSON or text, or ``ParseError``."""
    if isinstance(value, str):
        parsed = plain_number(value)
        if parsed is None:
            raise ParseError(f"{what} must be a plain decimal number, got {short(value)}")
        return parsed
    if isinstance(value, RawNumber):
        raise ParseError(f"{what} must be a plain decimal number (no exponent, NaN or "
                         f"Infinity, at most 15 digits), got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParseError(f"{what} must be a number, got {short(value)}")
    if not (math.isfinite(value) and abs(value) < _MAX_MAGNITUDE):
        raise ParseError(f"{what} must be a finite number of at most 15 digits, "
                         f"got {short(value)}")
    return float(value)


def point(value: Any, what: str) -> tuple[float, float]:
    """An ``[x, y]`` pair (list or tuple) of numbers, or ``ParseError``."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ParseError(f"{what} must be a pair [x, y], got {short(value)}")
    return number(value[0], f"{what} x"), number(value[1], f"{what} y")


def on_screen(convert: Any, x: float, y: float, what: str) -> tuple[int, int]:
    """Run a frame conversion, turning ``FrameError`` into ``ParseError``."""
    try:
        result: tuple[int, int] = convert(x, y)
    except FrameError as exc:
        raise ParseError(f"{what}: {exc}") from None
    return result


def cursor_point(frame: Frame, cursor: Any, what: str) -> tuple[int, int]:
    """The pointer position for actions that name no point, checked to be on the monitor."""
    if cursor is None:
        raise ParseError(f"{what} names no point and the pointer position is unknown")
    if not (isinstance(cursor, (tuple, list)) and len(cursor) == 2 and all(
            isinstance(v, Integral) and not isinstance(v, bool) for v in cursor)):
        raise ParseError(f"{what}: the pointer position {short(cursor)} is not a pixel")
    try:
        return frame.check_screen_point(int(cursor[0]), int(cursor[1]))
    except FrameError as exc:
        raise ParseError(f"{what}: {str(exc)[:200]}") from None


def validated(obj: dict[str, Any]) -> Action:
    """Build an action from its JSON form, turning ``ActionError`` into ``ParseError``."""
    try:
        return from_json(obj)
    except ActionError as exc:
        raise ParseError(str(exc)) from None


def checked(action: Action) -> Action:
    """The action if it keeps the vocabulary's bounds (``validate``), else ``ParseError``."""
    try:
        return validate(action)
    except ActionError as exc:
        raise ParseError(str(exc)) from None


def json_objects(text: str) -> list[Any]:
    """Every top-level JSON object that can be decoded from ``text``, in order (up to the
    ``MAX_JSON_STARTS``-th brace that opens none).

    Numbers that are not plain decimals come back as ``RawNumber``.

    >>> json_objects('junk {"a": 1} more {"b": [2.5, 1e3]} {bad')
    [{'a': 1}, {'b': [2.5, 1e3]}]
    """
    found: list[Any] = []
    failures = 0
    i = text.find("{")
    while i != -1 and failures < MAX_JSON_STARTS:
        try:
            obj, end = _DECODER.raw_decode(text, i)
        except (ValueError, RecursionError):  # not JSON, or nested too deep
            failures += 1
            i = text.find("{", i + 1)
            continue
        found.append(obj)
        i = text.find("{", end)
    return found


def screen_to_image_int(frame: Frame, x: int, y: int) -> tuple[int, int]:
    """A screen point → the nearest whole pixel of the resized image (for formatting)."""
    ix, iy = frame.screen_to_image(x, y)
    return min(int(math.floor(ix + 0.5)), frame.image_width), min(
        int(math.floor(iy + 0.5)), frame.image_height)
