"""HF Qwen3-VL vision tower → GGUF ``mmproj`` (mtmd projector ``qwen3vl_merger``).

What differs from Qwen2.5-VL (:mod:`models.gguf.qwen_mmproj`): the patch embedding has a bias;
learned absolute position embeddings (a square grid, ``v.position_embd``) are added to the
patches; blocks use LayerNorm with biases, a GELU (tanh) MLP and a *fused* ``attn_qkv`` (clip.cpp
reads the fused weight for this projector); and the *deepstack* mergers — one per vision block
in ``deepstack_visual_indexes``, each a post-shuffle LayerNorm + two-layer GELU MLP — become
``v.deepstack.{block}.*`` with ``clip.vision.is_deepstack_layers`` flagging their blocks. mtmd
concatenates their outputs after the main merger's, so one image embedding is
``out_hidden_size × (1 + len(deepstack))`` wide, which the ``qwen3vl`` text model splits.
The learned position table stays f32 in an f16 or bf16 file (``F32_TENSORS``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import gguf

from models.gguf.hf import (
    FILE_TYPES,
    DType,
    QwenVLConfig,
    UnsupportedModelError,
    patch_embedding,
)

if TYPE_CHECKING:
    import torch

VISION_EPS = 1e-6  # HF's LayerNorm eps in every Qwen3-VL vision block and merger
# written in f32 whatever the dtype: mtmd resizes the learned position grid to each image with
# ggml_interpolate, which takes only f32 (an f16 table aborts the process at the first image
# whose grid is not the table's); llama.cpp's own converter keeps it in f32 for the same reason
F32_TENSORS = frozenset({"v.position_embd.weight"})
_BLOCK = {"attn.qkv": "attn_qkv", "attn.proj": "attn_out", "norm1": "ln1", "norm2": "ln2",
          "mlp.linear_fc1": "ffn_up", "mlp.linear_fc2": "ffn_down"}
_MERGER = {"norm": "v.post_ln", "linear_fc1": "mm.0", "linear_fc2": "mm.2"}
_DEEPSTACK = {"norm": "norm", "linear_fc1": "fc1", "linear_fc2": "fc2"}
_BLOCK_RE = re.compile(r"^visual\.blocks\.(\d+)\.(.+)\.(weight|bias)$")
_MERGER_RE = re.compile(r"^visual\.merger\.(\w+)\.(weight|bias)$")
_DEEPSTACK_RE = re.compile(r"^visual\.deepstack_merger_list\.(\d+)\.(\w+)\.(weight|bias)$")


def qwen3_vision_tensors(hf_name: str, tensor: torch.Tensor, deepstack: list[int],
                         ) -> Iterator[tuple[str, torch.Tensor]]:
    """The GGUF (name, tensor) pairs of one HF Qwen3-VL vision tensor (none for text ones).

    ``deepstack``: the config's ``deepstack_visual_indexes`` (merger ``i`` follows block
    ``deepstack[i]``, and GGUF names it by the block).
    """
    if not hf_name.startswith("visual."):
        return
    if hf_name == "visual.patch_embed.proj.weight":
        yield from patch_embedding(tensor)
        return
    if hf_name == "visual.patch_embed.proj.bias":
        yield "v.patch_embd.bias", tensor
        return
    if hf_name == "visual.pos_embed.weight":
        yield "v.position_embd.weight", tensor
        return
    if (m := _BLOCK_RE.match(hf_name)) and m.group(2) in _BLOCK:
        yield f"v.blk.{m.group(1)}.{_BLOCK[m.group(2)]}.{m.group(3)}", tensor
        return
    if (m := _MERGER_RE.match(hf_name)) and m.group(1) in _MERGER:
        yield f"{_MERGER[m.group(1)]}.{m.group(2)}", tensor
        return
    if (m := _DEEPSTACK_RE.match(hf_name)) and m.group(2) in _DEEPSTACK:
        index = int(m.group(1))
        if index >= len(deepstack):
            raise UnsupportedModelError(f"{hf_name}: no deepstack_visual_indexes[{index}]")
        yield f"v.deepstack.{deepstack[index]}.{_DEEPSTACK[m.group(2)]}.{m.group(3)}", tensor
        return
    raise UnsupportedModelError(f"unexpected Qwen3-VL vision tensor {hf_name!r}")


def deepstack_indexes(config: QwenVLConfig) -> list[int]:
    """The vision blocks whose output feeds a deepstack merger, checked against the depth."""
    depth = int(config.vision["depth"])
    indexes = [int(i) for i in config.vision.get("deepstack_visual_indexes") or []]
    if any(not 0 <= i < depth for i in indexes):
        raise UnsupportedModelError(f"deepstack_visual_indexes {indexes} outside depth {depth}")
    return indexes


def add_qwen3_hparams(writer: gguf.GGUFWriter, config: QwenVLConfig, preprocessor: dict[str, Any],
                      dtype: DType) -> None:
    """The ``clip.*`` keys mtmd reads for a Qwen3-VL tower."""
    vision = config.vision
    if int(vision.get("spatial_merge_size", 2)) != 2:
        raise UnsupportedModelError("llama.cpp supports only spatial_merge_size 2 for Qwen-VL")
    patch = int(vision.get("patch_size", 16))
    side = round(int(vision.get("num_position_embeddings", 2304)) ** 0.5)
    if side * side != int(vision.get("num_position_embeddings", 2304)):
        raise UnsupportedModelError("num_position_embeddings must be a square grid")
    depth = int(vision["depth"])
    deepstack = set(deepstack_indexes(config))
    writer.add_type("mmproj")
    writer.add_name(f"{config.family} vision")
    writer.add_file_type(FILE_TYPES[dtype])
    writer.add_clip_has_vision_encoder(True)
    writer.add_clip_projector_type(config.architecture.projector)  # qwen3vl_merger
    writer.add_vision_use_gelu(True)
    writer.add_vision_spatial_merge_size(2)
    writer.add_vision_projection_dim(int(vision["out_hidden_size"]))
    writer.add_vision_image_size(side * patch)  # the grid the position embeddings were learnt on
    writer.add_vision_patch_size(patch)
    writer.add_vision_embedding_length(int(vision["hidden_size"]))
    writer.add_vision_feed_forward_length(int(vision["intermediate_size"]))
    writer.add_vision_block_count(depth)
    writer.add_vision_head_count(int(vision["num_heads"]))
    writer.add_vision_attention_layernorm_eps(VISION_EPS)
    writer.add_vision_is_deepstack_layers([i in deepstack for i in range(depth)])
    writer.add_vision_image_mean([float(x) for x in preprocessor.get("image_mean", (0.5,) * 3)])
    writer.add_vision_image_std([float(x) for x in preprocessor.get("image_std", (0.5,) * 3)])


