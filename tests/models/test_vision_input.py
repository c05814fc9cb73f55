"""Torch-side image input: the exact patch layout of HF's Qwen2-VL image processor."""

from __future__ import annotations

import numpy as np
import pytest

from models.tiny import TinyModel
from models.vision_input import ImageParams, fit, image_token_count, patchify, vision_inputs

PLAIN = ImageParams(mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))


def _expected_rows(image: np.ndarray, p: int = 14, m: int = 2, t: int = 2) -> np.ndarray:
    """The layout written out by hand: merge groups in raster order, 2x2 patches inside."""
    gh, gw = image.shape[0] // p, image.shape[1] // p
    rows = []
    for gy in range(gh // m):
        for gx in range(gw // m):
            for my in range(m):
                for mx in range(m):
                    y0, x0 = (gy * m + my) * p, (gx * m + mx) * p
                    row = [image[y0 + py, x0 + px, c] / 255.0
                           for c in range(3) for _ in range(t)
                           for py in range(p) for px in range(p)]
                    rows.append(row)
    return np.asarray(rows, dtype=np.float32)


def test_patch_layout_matches_the_hand_written_order() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(56, 28, 3), dtype=np.uint8)
    rows, grid = patchify(image, PLAIN)
    assert grid == (1, 4, 2)
    np.testing.assert_allclose(rows, _expected_rows(image), rtol=0, atol=1e-6)


def test_normalisation_uses_the_models_mean_and_std() -> None:
    image = np.full((28, 28, 3), 255, dtype=np.uint8)
    image[..., 1] = 0
    rows, _ = patchify(image, ImageParams(mean=(0.5, 0.5, 0.25), std=(0.5, 0.25, 0.5)))
    per_channel = rows.reshape(4, 3, -1)
    np.testing.assert_allclose(per_channel[:, 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(per_channel[:, 1], -2.0, atol=1e-6)
    np.testing.assert_allclose(per_channel[:, 2], 1.5, atol=1e-6)


def test_matches_transformers_image_processor() -> None:
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, size=(84, 112, 3), dtype=np.uint8)
    params = ImageParams()
    hf = Qwen2VLImageProcessorPil(min_pixels=params.min_pixels, max_pixels=params.max_pixels)
    expected = hf(images=[image], return_tensors="np")
    ours = vision_inputs([image], params)
    assert ours["image_grid_thw"].tolist() == expected["image_grid_thw"].tolist() == [[1, 6, 8]]
    np.testing.assert_allclose(ours["pixel_values"].numpy(), expected["pixel_values"],
                               rtol=0, atol=1e-5)


def test_sizes_that_are_not_multiples_of_28_are_refused_and_fit_fixes_them() -> None:
    image = np.zeros((30, 50, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="multiple of 28"):
        patchify(image, ImageParams())
    fitted = fit(image, ImageParams())
    assert fitted.shape[0] % 28 == 0 and fitted.shape[1] % 28 == 0


def test_tiny_model_accepts_the_inputs(tiny_model: TinyModel) -> None:
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    params = ImageParams.from_hf(tiny_model.hf_dir)
    images = [np.zeros((56, 84, 3), dtype=np.uint8), np.full((28, 56, 3), 200, np.uint8)]
    inputs = vision_inputs(images, params)
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny_model.hf_dir)
    counts = [image_token_count(tuple(g)) for g in inputs["image_grid_thw"].tolist()]
    assert counts == [6, 2]
    pad = model.config.image_token_id
    ids = torch.tensor([[1, 2] + [pad] * counts[0] + [3] + [pad] * counts[1] + [4]])
    with torch.no_grad():
        features = model.model.get_image_features(**inputs)
        out = model(input_ids=ids, **inputs)
    assert [f.shape for f in features.pooler_output] == [(6, 64), (2, 64)]
    assert out.logits.shape == (1, ids.shape[1], 512)
