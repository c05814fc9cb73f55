"""Torch-side image input for Qwen2-VL / Qwen2.5-VL: ``pixel_values`` and ``image_grid_thw``.

This reproduces HF's Qwen2-VL image processor (rescale, normalise with the model's mean/std,
duplicate the frame to fill the temporal patch of 2, cut 14×14 patches in merge order) without
torchvision. It deliberately does *not* resize: the caller resizes once with
:func:`models.imaging.smart_resize` so that torch and llama.cpp see the very same pixels; an
image whose sides are not multiples of ``patch_size * merge_size`` is refused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.imaging import resize_rgb, smart_resize

if TYPE_CHECKING:
    import torch

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class ImageParams:
    """The image processor settings of one model (``preprocessor_config.json``)."""

    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD
    patch_size: int = 14
    temporal_patch_size: int = 2
    merge_size: int = 2
    min_pixels: int = 56 * 56
    max_pixels: int = 28 * 28 * 1280

    @property
    def factor(self) -> int:
        """Both sides of an image must be multiples of this (28 for Qwen2/2.5-VL)."""
        return self.patch_size * self.merge_size

    @classmethod
    def from_hf(cls, hf_dir: Path) -> ImageParams:
        """Read ``hf_dir/preprocessor_config.json`` (defaults for missing keys)."""
        raw = json.loads((Path(hf_dir) / "preprocessor_config.json").read_text(encoding="utf-8"))
        size = raw.get("size") or {}
        return cls(
            mean=tuple(float(x) for x in raw.get("image_mean", CLIP_MEAN)),  # type: ignore[arg-type]
            std=tuple(float(x) for x in raw.get("image_std", CLIP_STD)),  # type: ignore[arg-type]
            patch_size=int(raw.get("patch_size", 14)),
            temporal_patch_size=int(raw.get("temporal_patch_size", 2)),
            merge_size=int(raw.get("merge_size", 2)),
            min_pixels=int(raw.get("min_pixels", size.get("shortest_edge", 56 * 56))),
            max_pixels=int(raw.get("max_pixels", size.get("longest_edge", 28 * 28 * 1280))),
        )


def fit(image: np.ndarray, params: ImageParams) -> np.ndarray:
    """Resize ``[H, W, 3]`` uint8 to the model's ``smart_resize`` size (a no-op if it fits)."""
    height, width = smart_resize(image.shape[0], image.shape[1], params.factor,
                                 params.min_pixels, params.max_pixels)
    return resize_rgb(image, height, width)


def patchify(image: np.ndarray, params: ImageParams) -> tuple[np.ndarray, tuple[int, int, int]]:
    """``[H, W, 3]`` uint8 → (``[grid_h*grid_w, 3*T*p*p]`` float32 patches, ``(1, gh, gw)``).

    Rows are ordered as the vision tower expects: merge_size × merge_size groups of
    neighbouring patches are consecutive. Each row is laid out channel, frame, y, x.

    >>> img = np.zeros((28, 56, 3), dtype=np.uint8)
    >>> rows, grid = patchify(img, ImageParams())
    >>> rows.shape, grid
    ((8, 1176), (1, 2, 4))
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an [H, W, 3] uint8 RGB image, got {image.shape} {image.dtype}")
    height, width = image.shape[:2]
    p, m, t = params.patch_size, params.merge_size, params.temporal_patch_size
    if height % params.factor or width % params.factor:
        raise ValueError(f"image {width}x{height} is not a multiple of {params.factor} on both "
                         "sides; resize it with models.imaging.smart_resize first (see fit())")
    mean = np.asarray(params.mean, dtype=np.float32)
    std = np.asarray(params.std, dtype=np.float32)
    pixels = (image.astype(np.float32) * np.float32(1 / 255) - mean) / std  # [H, W, C]
    frames = np.repeat(pixels.transpose(2, 0, 1)[None], t, axis=0)  # [T, C, H, W]
    gh, gw = height // p, width // p
    grid = frames.reshape(1, t, 3, gh // m, m, p, gw // m, m, p)
    grid = grid.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)  # [1, gh/m, gw/m, m, m, C, T, p, p]
    return np.ascontiguousarray(grid.reshape(gh * gw, 3 * t * p * p)), (1, gh, gw)


def image_token_count(grid_thw: tuple[int, int, int], merge_size: int = 2) -> int:
    """How many ``<|image_pad|>`` tokens (= merged features) an image of this grid takes.

    >>> image_token_count((1, 2, 4))
    2
    """
    t, h, w = grid_thw
    return t * h * w // (merge_size * merge_size)


def vision_inputs(images: Sequence[np.ndarray], params: ImageParams) -> dict[str, torch.Tensor]:
    """``pixel_values`` ``[sum patches, 1176]`` and ``image_grid_thw`` ``[n_images, 3]``."""
    import torch

    if not images:
        raise ValueError("no images")
    rows, grids = zip(*(patchify(image, params) for image in images), strict=True)
    return {
        "pixel_values": torch.from_numpy(np.concatenate(rows, axis=0)),
        "image_grid_thw": torch.tensor(grids, dtype=torch.long),
    }
