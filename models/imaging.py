"""Image sizing shared by the acting and training worlds: Qwen-VL's ``smart_resize``.

The screenshot is resized once, by us, to a size both llama.cpp (mtmd) and torch accept
without resizing again (multiples of ``factor`` on both sides): the two libraries' own
resizers differ, and the model's coordinate frame is the resized image, so the size must be
known exactly to convert coordinates back to the screen.
"""

from __future__ import annotations

import math

import numpy as np

MAX_ASPECT_RATIO = 200


def _round_by(value: float, factor: int) -> int:
    return int(round(value / factor)) * factor


def _floor_by(value: float, factor: int) -> int:
    return int(math.floor(value / factor)) * factor


def _ceil_by(value: float, factor: int) -> int:
    return int(math.ceil(value / factor)) * factor


def smart_resize(height: int, width: int, factor: int = 28, min_pixels: int = 56 * 56,
                 max_pixels: int = 28 * 28 * 1280) -> tuple[int, int]:
    """(height, width) rounded to multiples of ``factor`` with the pixel count bounded.

    The rule of Qwen2-VL / Qwen2.5-VL (factor 28 = patch 14 × merge 2; Qwen3-VL uses 32):

    >>> smart_resize(1080, 1920, max_pixels=28 * 28 * 1280)
    (728, 1316)
    >>> smart_resize(1080, 1920, max_pixels=12845056)
    (1092, 1932)
    >>> smart_resize(10, 10)
    (56, 56)
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    if max(height, width) / min(height, width) > MAX_ASPECT_RATIO:
        raise ValueError(f"aspect ratio of {width}x{height} exceeds {MAX_ASPECT_RATIO}")
    h_bar = max(factor, _round_by(height, factor))
    w_bar = max(factor, _round_by(width, factor))
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h_bar = max(factor, _floor_by(height / beta, factor))
        w_bar = max(factor, _floor_by(width / beta, factor))
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = _ceil_by(height * beta, factor)
        w_bar = _ceil_by(width * beta, factor)
    return h_bar, w_bar


def resize_rgb(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize an ``[H, W, 3]`` uint8 RGB array with bicubic filtering (Pillow)."""
    from PIL import Image

    if image.shape[0] == height and image.shape[1] == width:
        return image
    pil = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
    return np.asarray(pil.resize((width, height), Image.Resampling.BICUBIC))
