"""What every model family provides, and the registry that finds a family by name.

A *family* is one model's contract with the outside world: how its prompt looks, which size
of screenshot it sees, how its raw text output reads, and in which coordinate frame it
points. The rest of Deskhand speaks only ``Action`` in virtual-screen pixels.

The design choice a reader must know: a prompt is rendered by us, as full ChatML text, in
two parts — a static ``prefix`` that is byte-identical at every step of an episode (so
llama.cpp reuses its KV cache) and a per-step ``suffix`` holding the append-only history and
exactly one image marker. The same conversation is also given as chat messages for the
trainer; both come from one ``PromptParts`` so they cannot drift apart.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from models.actions import Action
from models.frames import Frame, Monitor
from models.image_tokens import MTMD_MAX_IMAGE_TOKENS

# mtmd's default media marker: llama.cpp replaces it with the image embedding and, for the
# Qwen-VL projectors, wraps it in <|vision_start|> ... <|vision_end|> itself.
MEDIA_MARKER = "<__media__>"
# What the Hugging Face Qwen-VL chat template writes for an image part.
HF_VISION_BLOCK = "<|vision_start|><|image_pad|><|vision_end|>"


class ParseError(ValueError):
    """A raw model output could not be turned into an action; the message says why."""


@dataclass(frozen=True)
class Parsed:
    """A parsed model output: its reasoning and the action in virtual-screen pixels."""

    reasoning: str
    action: Action


@dataclass(frozen=True)
class HistoryStep:
    """One earlier step of the episode, as the prompt's text history shows it."""

    action: Action
    reasoning: str = ""


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready for the runtime (``prefix + suffix`` with ``image``) and the trainer.

    ``suffix`` contains exactly one ``MEDIA_MARKER`` and ends with the assistant turn's
    opening ``<|im_start|>assistant\\n``. ``image`` is ``[H, W, 3]`` uint8, already resized by
    the family's rule (``frame.image_width`` × ``frame.image_height``).
    """

    prefix: str
    suffix: str
    image: np.ndarray
    frame: Frame
    messages: list[dict[str, Any]]
    image_tokens: int | None = None  # what mtmd must make of ``image``; None: not checked

    @property
    def text(self) -> str:
        """The whole prompt for llama.cpp (mtmd marker form)."""
        return self.prefix + self.suffix

    def hf_text(self) -> str:
        """The same prompt as the Hugging Face Qwen-VL chat template renders ``messages``."""
        return self.text.replace(MEDIA_MARKER, HF_VISION_BLOCK)


class Family(Protocol):
    """A model family: prompt builder, resize rule, parser and action formatter."""

    @property
    def name(self) -> str:
        """The registry name (``qwen25vl``, ``uitars``, ``qwen3vl``, ``deskhand``, ...)."""
        ...

    @property
    def factor(self) -> int:
        """Both sides of the image the model sees are multiples of this."""
        ...

    @property
    def min_pixels(self) -> int:
        """The fewest pixels a resized image has."""
        ...

    @property
    def max_pixels(self) -> int:
        """The most pixels a resized image has (the budget of visual tokens × factor²)."""
        ...

    def image_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) of the image the model sees of a ``width`` × ``height`` screenshot."""
        ...

    def frame(self, monitor: Monitor, image_size: tuple[int, int] | None = None) -> Frame:
        """The frame for a monitor (image size: the family's resize of its screenshot)."""
        ...

    def image_tokens(self, width: int, height: int) -> int:
        """Image tokens the model takes for an image of the family's size ``width`` × ``height``."""
        ...

    def for_context(self, n_ctx: int, answer_tokens: int,
                    projector_max: int = MTMD_MAX_IMAGE_TOKENS) -> Family:
        """The same family with its pixel budget clamped so that prompt + image + an answer of
        ``answer_tokens`` fit ``n_ctx`` cells and mtmd (cap ``projector_max``) never resizes."""
        ...

    def build_prompt(self, task: str, history: Sequence[HistoryStep], screenshot: np.ndarray,
                     monitor: Monitor) -> RenderedPrompt:
        """Render the prompt for one step (``screenshot``: ``[H, W, 3]`` uint8, physical px)."""
        ...

    def parse(self, text: str, frame: Frame, cursor: tuple[int, int] | None = None) -> Parsed:
        """Raw model output → ``Parsed`` (screen pixels), or ``ParseError``.

        ``cursor`` (virtual screen) is where actions that name no point act, e.g. a
        Qwen ``left_click_drag`` that starts at the pointer.
        """
        ...

    def format_action(self, action: Action, frame: Frame, reasoning: str = "") -> str:
        """An action (screen pixels) written as this model would write it (its own frame)."""
        ...


_MODULES = {
    "qwen25vl": "models.families.qwen25vl",
    "uitars": "models.families.uitars",
    "qwen3vl": "models.families.qwen3vl",
    "deskhand": "models.families.deskhand",
    "guiowl": "models.families.guiowl",
    "uivenus": "models.families.uivenus",
}
FAMILY_NAMES = tuple(_MODULES)


def get_family(name: str) -> Family:
    """The family registered under ``name``.

    >>> get_family("uitars").name
    'uitars'
    >>> get_family("gpt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "unknown model family 'gpt'; known: qwen25vl, uitars, qwen3vl, deskhand, guiowl, ..."
    """
    if name not in _MODULES:
        raise KeyError(f"unknown model family {name!r}; known: {', '.join(FAMILY_NAMES)}")
    family: Family = importlib.import_module(_MODULES[name]).FAMILY
    return family
