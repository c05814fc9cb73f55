"""Qwen3-VL-2B's published dimensions (random weights, four text layers and four vision blocks,
so that the three deepstack features of the published model all fit): the GGUF pair has the
real model's shapes and metadata, llama.cpp loads it, and its logits agree with torch's at
f32 within the bounds of the Qwen2.5-VL-3B build (``test_real_dims.py``): text 1e-4 (measured
1.1e-5, logits' std 0.9), an image prompt through the runtime 5e-3 (measured 2.5e-3 to 4.0e-3
on 128x128 to 256x192 images).

Where the image residual comes from, measured on 192x128 (3.9e-3 in all): not the decoder, but
half precision that llama.cpp chooses. With an f32 KV cache and torch's decoder fed mtmd's own
image embeddings, the logits agree within 1.9e-5 — so M-RoPE over the image and the deepstack
additions are right, and a test below holds that at 1e-4. The runtime
keeps llama.cpp's default f16 KV cache (3.0e-3 of the residual alone); and clip.cpp computes
the tower's patch embedding through an f16 im2col (pixels and kernel rounded to half: 1.1e-3
of the first block's input std) and every GELU through an f16 lookup table (1.5e-3 at each
MLP's output), which leaves 2.3e-3 at the logits with an f32 KV cache. Emulating both in torch
brings the first block's input to 5e-6 and its MLP output to 2e-4 of their std; what stays is
the table's rounding, which torch cannot replay exactly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.real_dims import QWEN3_VL_2B, build_real_dims, truncated_deepstack
from models.runtime import LlamaRuntime
from models.tiny import TinyModel
from tests.models.real_dims_parity import (
    check_text_parity,
    fields,
    image_ids,
    served_image_logits,
    torch_image_logits,
)
from tests.models.runtime.helpers import PARITY_CONFIG, prompt
from tests.models.test_parity_text import GGML_TYPE_F32

TEXT, VISION = QWEN3_VL_2B["text"], QWEN3_VL_2B["vision"]
LAYERS = 4  # decoder layers and vision blocks: room for the published 3 deepstack features


@pytest.fixture(scope="module")
def real(tiny_cache_dir: Path) -> TinyModel:
    return build_real_dims(tiny_cache_dir, "qwen3-vl-2b", layers=LAYERS, vision_layers=LAYERS)


@pytest.fixture(scope="module")
def hf(real: TinyModel) -> Iterator[Any]:
    from transformers import Qwen3VLForConditionalGeneration

    model = Qwen3VLForConditionalGeneration.from_pretrained(
        real.hf_dir, attn_implementation="eager").eval()
    yield model
    del model


def test_the_text_model_has_the_published_shapes(real: TinyModel) -> None:
    meta, shapes = fields(real.gguf_path)
    hidden, head = TEXT["hidden_size"], TEXT["head_dim"]
    assert meta["general.architecture"] == "qwen3vl"
    assert (meta["qwen3vl.embedding_length"], meta["qwen3vl.feed_forward_length"],
            meta["qwen3vl.attention.head_count"], meta["qwen3vl.attention.head_count_kv"],
            meta["qwen3vl.attention.key_length"], meta["qwen3vl.attention.value_length"],
            meta["qwen3vl.context_length"], meta["qwen3vl.block_count"]) == \
        (2048, 6144, 16, 8, 128, 128, 262144, LAYERS)
    assert meta["qwen3vl.rope.dimension_sections"] == [24, 20, 20, 0]  # 64 pairs, interleaved
    assert meta["qwen3vl.rope.freq_base"] == 5_000_000.0
    assert meta["qwen3vl.attention.layer_norm_rms_epsilon"] == pytest.approx(1e-6)
    assert meta["qwen3vl.n_deepstack_layers"] == len(VISION["deepstack_visual_indexes"]) == 3
    assert shapes["token_embd.weight"] == [hidden, 151936]
    assert "output.weight" not in shapes  # tied to the embedding, as published
    assert shapes["blk.3.attn_q.weight"] == [hidden, 16 * head]  # 16 heads of 128
    assert shapes["blk.3.attn_k.weight"] == shapes["blk.3.attn_v.weight"] == [hidden, 8 * head]
    assert shapes["blk.3.attn_q_norm.weight"] == shapes["blk.3.attn_k_norm.weight"] == [head]
    assert shapes["blk.3.ffn_down.weight"] == [6144, hidden]


def test_the_projector_has_the_published_shapes(real: TinyModel) -> None:
    meta, shapes = fields(real.mmproj_path)
    assert meta["clip.projector_type"] == "qwen3vl_merger"
    assert (meta["clip.vision.embedding_length"], meta["clip.vision.feed_forward_length"],
            meta["clip.vision.attention.head_count"], meta["clip.vision.projection_dim"],
            meta["clip.vision.patch_size"], meta["clip.vision.block_count"]) == \
        (1024, 4096, 16, 2048, 16, LAYERS)
    assert meta["clip.vision.image_size"] == 48 * 16  # 2304 learned positions, a 48x48 grid
    assert meta["clip.vision.is_deepstack_layers"] == [True, True, True, False]
    assert shapes["v.position_embd.weight"] == [1024, 2304]
    assert shapes["v.patch_embd.weight"] == shapes["v.patch_embd.weight.1"] == [16, 16, 3, 1024]
    assert shapes["v.blk.3.attn_qkv.weight"] == [1024, 3 * 1024]
    assert shapes["v.blk.3.ffn_up.weight"] == [1024, 4096]
    merged = 4 * 1024  # 2x2 patches of 1024, then out_hidden_size 2048
    assert shapes["mm.0.weight"] == [merged, merged] and shapes["mm.2.weight"] == [merged, 2048]
    for tap in (0, 1, 2):
        assert shapes[f"v.deepstack.{tap}.fc1.weight"] == [merged, merged]
        assert shapes[f"v.deepstack.{tap}.fc2.weight"] == [merged, 2048]
        assert shapes[f"v.deepstack.{tap}.norm.weight"] == [merged]


def test_truncation_keeps_the_deepstack_layout(real: TinyModel) -> None:
    import json

    taps = VISION["deepstack_visual_indexes"]
    assert truncated_deepstack(taps, 24, 24, 28) == taps == [5, 11, 17]
    assert truncated_deepstack(taps, 24, 12, 28) == [2, 5, 8]  # 3 of 4 equal parts, as 5/11/17
    assert truncated_deepstack(taps, 24, 24, 3) == [7, 15]  # 2 decoder layers can take one
    vision = json.loads((real.hf_dir / "config.json").read_text())["vision_config"]
    assert (vision["depth"], vision["deepstack_visual_indexes"]) == (LAYERS, [0, 1, 2])


def test_llama_cpp_and_torch_agree_on_text(real: TinyModel, hf: Any) -> None:
    check_text_parity(real, hf, "Qwen3-VL-2B", "qwen3vl", 262144)


def test_llama_cpp_and_torch_agree_on_an_image(real: TinyModel, hf: Any) -> None:
    p = prompt(0, height=128, width=192)
    pad = hf.config.image_token_id
    ids, ours = served_image_logits(real, p, pad)

    def logits(image: np.ndarray, deepstack: bool = True) -> np.ndarray:
        hooks = [] if deepstack else [  # what a runtime that dropped the features computes
            m.register_forward_hook(lambda _m, _i, out: out * 0)
            for m in hf.model.visual.deepstack_merger_list]
        try:
            return torch_image_logits(real, hf, ids, image, pad)
        finally:
            for hook in hooks:
                hook.remove()

    theirs = logits(p.image)
    diff = float(np.abs(ours - theirs).max())
    effects = {"another image": float(np.abs(logits(255 - p.image) - theirs).max()),
               "no deepstack": float(np.abs(logits(p.image, deepstack=False) - theirs).max())}
    print(f"\nQwen3-VL-2B dims, image 192x128: max |logit diff| = {diff:.2e}, logits' std "
          f"{theirs.std():.2f}; " + ", ".join(f"{k} moves torch {v:.2e}"
                                               for k, v in effects.items()))
    assert ids.count(pad) == (128 // 32) * (192 // 32)  # mtmd kept the size
    assert diff < 5e-3
    for name, effect in effects.items():
        assert effect > 0.5, name  # the image and its deepstack features reach the logits


@contextmanager
def _f32_kv_cache() -> Iterator[None]:
    """Contexts created meanwhile keep K and V in f32 (``RuntimeConfig`` has no such setting:
    the runtime serves with llama.cpp's f16 default)."""
    from llama_cpp import llama_cpp as lib

    original = lib.llama_context_default_params

    def params() -> Any:
        value = original()
        value.type_k = value.type_v = GGML_TYPE_F32
        return value

    lib.llama_context_default_params = params
    try:
        yield
    finally:
        lib.llama_context_default_params = original


def test_the_text_model_reads_the_image_as_torch_does(real: TinyModel, hf: Any) -> None:
    """llama.cpp's decoder (f32 KV cache) against torch's fed the very image embeddings mtmd
    made (main merger and three deepstack features): this isolates the interleaved M-RoPE
    positions of the image and the deepstack additions from the tower's f16 arithmetic."""
    import ctypes

    import torch

    from models.runtime.mtmd import MtmdContext
    from models.vision_input import ImageParams, vision_inputs

    p = prompt(0, height=128, width=192)
    pad = hf.config.image_token_id
    width = VISION["out_hidden_size"] * (1 + len(VISION["deepstack_visual_indexes"]))
    with _f32_kv_cache(), LlamaRuntime(real.gguf_path, real.mmproj_path, PARITY_CONFIG) as rt:
        ids = image_ids(rt, p, pad)
        ours = rt.logits(p)
        mtmd = MtmdContext(real.mmproj_path, rt.model_pointer, rt.config)
        try:
            with mtmd.tokenize(p.prefix + p.suffix, [p.image], ["image"]) as chunks:
                image = next(c for c in chunks if c.is_image)
                floats = ctypes.cast(mtmd.encode(image, None), ctypes.POINTER(ctypes.c_float))
                embeddings = torch.from_numpy(np.ctypeslib.as_array(
                    floats, shape=(image.n_tokens * width,)).reshape(image.n_tokens, -1).copy())
        finally:
            mtmd.close()
    main, *deepstack = embeddings.split(VISION["out_hidden_size"], dim=1)  # [n, 2048] each
    inputs = vision_inputs([p.image], ImageParams.from_hf(real.hf_dir))
    tensor = torch.tensor([ids])

    def fed(*, taps: bool = True, positions_3d: bool = True) -> np.ndarray:
        def replace(_module: Any, _args: Any, out: Any) -> Any:
            out.pooler_output = main
            out.deepstack_features = [f if taps else f * 0 for f in deepstack]
            return out

        extra = ({"mm_token_type_ids": (tensor == pad).long()} if positions_3d
                 else {"position_ids": torch.arange(len(ids)).expand(3, 1, -1)})
        hook = hf.model.visual.register_forward_hook(replace)
        try:
            with torch.no_grad():
                out = hf(input_ids=tensor, **extra, **inputs)
        finally:
            hook.remove()
        return np.asarray(out.logits[0, -1].float().numpy())

    theirs = fed()
    diff = float(np.abs(ours - theirs).max())
    effects = {"1-D positions": float(np.abs(fed(positions_3d=False) - theirs).max()),
               "no deepstack": float(np.abs(fed(taps=False) - theirs).max())}
    moves = ", ".join(f"{k} moves torch {v:.2e}" for k, v in effects.items())
    print(f"\nQwen3-VL-2B dims, image 192x128, f32 KV, torch fed mtmd's embeddings: max |logit "
          f"diff| = {diff:.2e}; {moves}")
    assert len(deepstack) == 3 and image.n_tokens == ids.count(pad)
    assert diff < 1e-4
    for name, effect in effects.items():
        assert effect > 0.5, name  # what this test isolates reaches the logits
