"""Image tokens: how many a family's screenshot costs, and the budget that keeps it honest.

A family that answers in absolute pixels (Qwen2.5-VL, UI-TARS, Deskhand) converts a click with
the size of the image *it* resized. If mtmd resizes that image again — a runtime
``image_min_tokens`` / ``image_max_tokens``, or the projector's own cap
(``MTMD_MAX_IMAGE_TOKENS``) — the model points into another image and the click lands in the
wrong place without any error. Two guards live here:

* the expectation: an image of ``w × h`` whose sides are multiples of the family's ``factor``
  (patch × merge: 14 × 2 = 28 for Qwen2.5-VL, 16 × 2 = 32 for Qwen3-VL) is
  ``(w / factor) · (h / factor)`` tokens. The runtime compares it with the count mtmd produced
  and raises ``ImageTokenMismatch`` on a difference; the step is recorded as failed and
  nothing is executed.
* the budget: ``max_image_tokens`` bounds a family's image so that mtmd never resizes it and
  prompt text + image + answer fit ``n_ctx``; ``ChatFamily.for_context`` applies it.
"""

from __future__ import annotations

DEFAULT_N_CTX = 8192  # RuntimeConfig.n_ctx: KV cells per sequence
DEFAULT_ANSWER_TOKENS = 512  # RuntimeConfig.max_new_tokens
# System prompt + task + history text. The longest family prompt (Qwen's computer_use tool
# schema, 4,400 characters with a long task and eight history steps) is 2,479 tokens under the
# tiny test model's 480-merge tokenizer, which cuts text into far more pieces than Qwen's
# 151k-token vocabulary does (tests/models/test_image_tokens.py measures it every run).
PROMPT_TOKENS = 3072
# llama.cpp's cap for the Qwen-VL projectors (clip.cpp ``set_limit_image_tokens(8, 4096)``):
# a larger image is shrunk by mtmd itself. Measured: a 3836×2156 image (10,549 tokens by the
# family's rule) came out of mtmd_tokenize as 3,995 tokens.
MTMD_MAX_IMAGE_TOKENS = 4096


class ImageTokenMismatch(RuntimeError):
    """mtmd produced another number of image tokens than the model family expects: it resized
    the image, so the family's coordinates would not match what the model saw."""


def image_tokens(width: int, height: int, factor: int) -> int:
    """Tokens of an image already resized to multiples of ``factor`` (one per factor² pixels).

    >>> image_tokens(644, 392, 28), image_tokens(640, 384, 32)
    (322, 240)
    """
    if width % factor or height % factor:
        raise ValueError(f"image {width}x{height} is not a multiple of {factor} on both sides")
    return (width // factor) * (height // factor)


def max_image_tokens(n_ctx: int, answer_tokens: int,
                     projector_max: int = MTMD_MAX_IMAGE_TOKENS) -> int:
    """The most image tokens a prompt may hold in ``n_ctx`` cells (0 if nothing is left).

    >>> max_image_tokens(8192, 512), max_image_tokens(4096, 24), max_image_tokens(2048, 512)
    (4096, 999, 0)
    """
    budget = n_ctx - 1 - PROMPT_TOKENS - answer_tokens  # the runtime keeps one cell free
    return max(0, min(projector_max, budget))


def check_image_tokens(expected: int, produced: int, width: int, height: int) -> None:
    """Raise ``ImageTokenMismatch`` (a message a person can act on) unless the counts agree.

    >>> check_image_tokens(322, 1050, 644, 392)
    Traceback (most recent call last):
    ...
    models.image_tokens.ImageTokenMismatch: mtmd turned the 644x392 screenshot into 1050 image \
tokens, the model family expects 322: mtmd resized it, so the model's coordinates would not \
match the screen. Refusing to act. Clear runtime.image_min_tokens / image_max_tokens, or use \
the projector that belongs to this model family.
    """
    if expected != produced:
        raise ImageTokenMismatch(
            f"mtmd turned the {width}x{height} screenshot into {produced} image tokens, the "
            f"model family expects {expected}: mtmd resized it, so the model's coordinates "
            "would not match the screen. Refusing to act. Clear runtime.image_min_tokens / "
            "image_max_tokens, or use the projector that belongs to this model family.")

