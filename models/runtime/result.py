"""What goes into the runtime (a prompt) and what comes out (a :class:`Generation`).

A prompt is anything with ``prefix``, ``suffix``, ``image`` and ``image_tokens`` (the families'
``RenderedPrompt`` is one): ``prefix`` is the static part kept in the KV cache between steps,
``suffix`` holds the ``<__media__>`` marker where the image goes and ends where the assistant's
answer starts; ``image_tokens`` is what the family expects mtmd to make of the image (the
runtime refuses another count: ``models.image_tokens``). :class:`Prompt` is the plain version
for tests, benchmarks and text-only calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

FinishReason = Literal["stop", "length", "cancelled"]


class PromptLike(Protocol):
    @property
    def prefix(self) -> str: ...

    @property
    def suffix(self) -> str: ...

    @property
    def image(self) -> np.ndarray | None: ...

    @property
    def image_tokens(self) -> int | None:
        """The image tokens the model family expects mtmd to make of ``image`` (None: any)."""
        ...


@dataclass(frozen=True)
class Prompt:
    prefix: str
    suffix: str
    image: np.ndarray | None = None  # [H, W, 3] uint8, already at the model's size
    image_tokens: int | None = None  # the expected image token count; None: not checked

    @property
    def text(self) -> str:
        return self.prefix + self.suffix


@dataclass(frozen=True)
class Timings:
    """Seconds spent in each phase of one call (0 where the phase did not run)."""

    image_preprocess_s: float = 0.0  # bitmap + mtmd_tokenize (resize check, normalise, patch)
    image_encode_s: float = 0.0  # the vision encoder (0 when the image came from the cache)
    prefill_s: float = 0.0  # decoding the new prompt tokens and image embeddings
    ttft_s: float = 0.0  # call start → first token sampled
    decode_s: float = 0.0  # first token → last token
    total_s: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "image_preprocess_s": self.image_preprocess_s,
            "image_encode_s": self.image_encode_s,
            "prefill_s": self.prefill_s,
            "ttft_s": self.ttft_s,
            "decode_s": self.decode_s,
            "total_s": self.total_s,
        }


@dataclass(frozen=True)
class Generation:
    text: str
    n_tokens: int  # tokens generated (the stop token not counted)
    finish: FinishReason
    timings: Timings
    n_prompt: int  # KV cells the whole prompt occupies (image embeddings counted one by one)
    n_evaluated: int  # of which evaluated by this call (the rest came from the cache)
    seed: int
    adapter: str | None = None  # the active adapter's path, None for the base model

    @property
    def n_reused(self) -> int:
        return self.n_prompt - self.n_evaluated
