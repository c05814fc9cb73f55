"""Qwen3-VL image parity: llama.cpp (mtmd + our ``qwen3vl_merger`` mmproj + ``qwen3vl`` text
model) and torch (HF ``Qwen3VLForConditionalGeneration``) agree on an image prompt.

As for Qwen2.5-VL (``test_image_parity.py``), both sides see the same pixels (multiples of 32,
never resized again) and the same token ids, so the comparison isolates the vision tower (patch
bias, interpolated learned position embeddings), the merger, the deepstack features added to
the first decoder layers, and the interleaved M-RoPE positions of the image. Tolerance: 2e-3
absolute on the first generated token's logits (measured 8e-5 to 1.5e-4 on f32 weights, logits
spanning ~1.1; with the published models' 128-wide heads and M-RoPE sections [24, 20, 20],
1.4e-4 to 1.9e-4 with logits of std 0.16); each of the controls — another image, no deepstack
features, 1-D positions for the image — moves torch's logits by more than four times that, so
none of those parts could be wrong and still pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from models.runtime import LlamaRuntime
from models.tiny import TinyModel
from tests.models.runtime.helpers import PARITY_CONFIG, prompt

TOLERANCE = 2e-3


@pytest.fixture(scope="module", params=["tiny_qwen3", "tiny_qwen3_wide_heads"])
def build(request: pytest.FixtureRequest) -> TinyModel:
    """The tiny Qwen3-VL with 16-wide heads, and with the published 128-wide ones."""
    model: TinyModel = request.getfixturevalue(request.param)
    return model


@pytest.fixture(scope="module")
def rt(build: TinyModel) -> Iterator[LlamaRuntime]:
    with LlamaRuntime(build.gguf_path, build.mmproj_path, PARITY_CONFIG) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def model(build: TinyModel) -> Any:
    import torch
    from transformers import Qwen3VLForConditionalGeneration

    return Qwen3VLForConditionalGeneration.from_pretrained(
        build.hf_dir, dtype=torch.float32, attn_implementation="eager").eval()


def torch_logits(model: Any, tiny: TinyModel, ids: list[int], image: np.ndarray, *,
                 deepstack: bool = True, positions_3d: bool = True) -> np.ndarray:
    import torch

    from models.vision_input import ImageParams, vision_inputs

    inputs = vision_inputs([image], ImageParams.from_hf(tiny.hf_dir))
    tensor = torch.tensor([ids])
    marks = (tensor == model.config.image_token_id).long()
    extra: dict[str, Any] = {"mm_token_type_ids": marks}
    if not positions_3d:  # what a trainer that forgot the image's positions would compute
        extra = {"position_ids": torch.arange(len(ids)).expand(3, 1, -1)}
    hooks = [] if deepstack else [
        m.register_forward_hook(lambda _m, _i, out: out * 0)
        for m in model.model.visual.deepstack_merger_list]
    try:
        with torch.no_grad():
            out = model(input_ids=tensor, **extra, **inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return np.asarray(out.logits[0, -1].float().numpy())


@pytest.mark.parametrize("height,width", [(128, 128), (96, 160), (256, 192)])
def test_first_token_logits_match_torch(rt: LlamaRuntime, model: Any, build: TinyModel,
                                        height: int, width: int) -> None:
    tiny_qwen3 = build
    p = prompt(1, height=height, width=width)
    pad_id = int(model.config.image_token_id)
    ids: list[int] = []
    for chunk in rt.tokenize(p):
        ids.extend([pad_id] * chunk.n_tokens if chunk.is_image else chunk.tokens)
    assert ids.count(pad_id) == (height // 32) * (width // 32)  # mtmd kept the size
    rt.reset_cache()
    ours = rt.logits(p)
    theirs = torch_logits(model, tiny_qwen3, ids, p.image)
    n = min(len(ours), len(theirs))
    ours, theirs = ours[:n], theirs[:n]
    diff = float(np.abs(ours - theirs).max())
    controls = {
        "another image": torch_logits(model, tiny_qwen3, ids, 255 - p.image)[:n],
        "no deepstack": torch_logits(model, tiny_qwen3, ids, p.image, deepstack=False)[:n],
        "1-D positions": torch_logits(model, tiny_qwen3, ids, p.image, positions_3d=False)[:n],
    }
    effects = {k: float(np.abs(v - theirs).max()) for k, v in controls.items()}
    print(f"\nimage {width}x{height}: max |logit diff| llama.cpp vs torch = {diff:.2e}; "
          + ", ".join(f"{k} moves torch {v:.2e}" for k, v in effects.items()))
    assert diff < TOLERANCE
    assert int(np.argmax(ours)) == int(np.argmax(theirs))
    for name, effect in effects.items():
        assert effect > 4 * TOLERANCE, name  # each part is seen: a bug there could not hide
