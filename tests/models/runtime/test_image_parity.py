"""Image parity: llama.cpp (mtmd, raw RGB) and torch (HF Qwen2.5-VL) agree on an image prompt.

Both sides see the very same pixels (a 28-multiple image, never resized again) and the very
same token ids (read from the runtime's chunks; the image becomes ``<|image_pad|>`` × n), so
the comparison isolates the vision tower, the projector and M-RoPE. Tolerance: 2e-4 absolute
on the logits of the first generated token (measured ~5e-5 on f32 weights). It is tight
enough to see the image's 3-D positions: torch given 1-D positions for the image (what
transformers does when the image tokens are not marked) misses it by far more.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from models.runtime import LlamaRuntime
from models.tiny import TinyModel
from tests.models.runtime.helpers import PARITY_CONFIG, prompt

TOLERANCE = 2e-4


@pytest.fixture(scope="module")
def rt(tiny_model: TinyModel) -> Iterator[LlamaRuntime]:
    with LlamaRuntime(tiny_model.gguf_path, tiny_model.mmproj_path, PARITY_CONFIG) as runtime:
        yield runtime


def torch_logits(tiny_model: TinyModel, ids: list[int], image: np.ndarray,
                 positions_3d: bool = True) -> np.ndarray:
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    from models.vision_input import ImageParams, vision_inputs

    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(
        tiny_model.hf_dir, dtype=torch.float32).eval()
    inputs = vision_inputs([image], ImageParams.from_hf(tiny_model.hf_dir))
    tensor = torch.tensor([ids])
    # the image's tokens marked, so transformers gives them Qwen-VL's 3-D M-RoPE positions
    image_tokens = (tensor == model.config.image_token_id).long()
    marked = {"mm_token_type_ids": image_tokens} if positions_3d else {}
    with torch.no_grad():
        out = model(input_ids=tensor, **marked, **inputs)
    return out.logits[0, -1].float().numpy()


@pytest.mark.parametrize("step,height,width", [(0, 112, 168), (1, 224, 140)])
def test_first_token_logits_match_torch(rt: LlamaRuntime, tiny_model: TinyModel, step: int,
                                        height: int, width: int) -> None:
    from transformers import AutoConfig

    p = prompt(step, height=height, width=width)
    pad_id = AutoConfig.from_pretrained(tiny_model.hf_dir).image_token_id
    ids: list[int] = []
    for chunk in rt.tokenize(p):
        ids.extend([pad_id] * chunk.n_tokens if chunk.is_image else chunk.tokens)
    assert ids.count(pad_id) == (height // 28) * (width // 28)
    rt.reset_cache()
    ours = rt.logits(p)
    theirs = torch_logits(tiny_model, ids, p.image)
    other = torch_logits(tiny_model, ids, 255 - p.image)  # the same prompt, another image
    n = min(len(ours), len(theirs))
    diff = float(np.abs(ours[:n] - theirs[:n]).max())
    image_effect = float(np.abs(other[:n] - theirs[:n]).max())
    print(f"\nimage {width}x{height}: max |logit diff| llama.cpp vs torch = {diff:.2e} "
          f"(logits span {np.ptp(theirs):.2f}; another image moves them {image_effect:.2e})")
    assert diff < TOLERANCE
    assert image_effect > 4 * TOLERANCE  # the image matters: a vision bug could not hide
    assert int(np.argmax(ours[:n])) == int(np.argmax(theirs[:n]))
    flat = torch_logits(tiny_model, ids, p.image, positions_3d=False)
    assert float(np.abs(ours[:n] - flat[:n]).max()) > 4 * TOLERANCE  # positions are seen
