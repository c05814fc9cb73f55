"""HF Qwen2-VL / Qwen2.5-VL vision tower → GGUF ``mmproj`` file (llama.cpp's mtmd / clip);
Qwen3-VL's tower is written by :mod:`models.gguf.qwen3_mmproj` through the same entry point.

The one transformation that is not a rename: the patch embedding is a Conv3D over two frames
(temporal patch 2); clip.cpp runs it as two Conv2Ds, so ``patch_embed.proj.weight``
``[C, 3, 2, p, p]`` is split on the temporal axis into ``v.patch_embd.weight`` and
``v.patch_embd.weight.1``. The fused ``attn.qkv`` is split into thirds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gguf

from models.gguf.hf import (
    FILE_TYPES,
    DType,
    QwenVLConfig,
    UnsupportedModelError,
    add_tensor,
    check_dtype,
    iter_tensors,
    patch_embedding,
    read_config,
    write_gguf,
)
from models.gguf.qwen3_mmproj import (
    F32_TENSORS,
    add_qwen3_hparams,
    deepstack_indexes,
    qwen3_vision_tensors,
)
from models.vision_input import CLIP_MEAN, CLIP_STD

if TYPE_CHECKING:
    import torch

VISION_EPS = 1e-6  # HF hard-codes eps=1e-6 for every norm of both vision towers
_BLOCK = {
    "attn.proj": "attn_out",
    "norm1": "ln1",
    "norm2": "ln2",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
    "mlp.fc1": "ffn_up",
    "mlp.fc2": "ffn_down",
}
_MERGER = {"merger.ln_q": "v.post_ln", "merger.mlp.0": "mm.0", "merger.mlp.2": "mm.2"}
_BLOCK_RE = re.compile(r"^visual\.blocks\.(\d+)\.(.+)\.(weight|bias)$")
_MERGER_RE = re.compile(r"^visual\.(merger\.[a-z_0-9.]+)\.(weight|bias)$")


def vision_tensors(hf_name: str, tensor: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
    """The GGUF (name, tensor) pairs for one HF vision tensor (none for text tensors)."""
    if not hf_name.startswith("visual."):
        return
    if hf_name == "visual.patch_embed.proj.weight":
        yield from patch_embedding(tensor)
        return
    block = _BLOCK_RE.match(hf_name)
    if block is not None:
        index, module, kind = block.groups()
        if module == "attn.qkv":
            for part, chunk in zip("qkv", tensor.chunk(3, dim=0), strict=True):
                yield f"v.blk.{index}.attn_{part}.{kind}", chunk.contiguous()
            return
        if module in _BLOCK:
            yield f"v.blk.{index}.{_BLOCK[module]}.{kind}", tensor
            return
    merger = _MERGER_RE.match(hf_name)
    if merger is not None and merger.group(1) in _MERGER:
        yield f"{_MERGER[merger.group(1)]}.{merger.group(2)}", tensor
        return
    raise UnsupportedModelError(f"unexpected vision tensor {hf_name!r}")


def _preprocessor(hf_dir: Path) -> dict[str, Any]:
    path = Path(hf_dir) / "preprocessor_config.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _wa_pattern(vision: dict[str, Any]) -> int:
    full = [int(i) for i in vision.get("fullatt_block_indexes") or []]
    if not full:
        raise UnsupportedModelError("Qwen2.5-VL vision config needs fullatt_block_indexes")
    pattern = full[0] + 1
    if any(b - a != pattern for a, b in zip(full, full[1:], strict=False)):
        raise UnsupportedModelError(f"irregular fullatt_block_indexes {full}")
    if int(vision.get("window_size", 112)) != 112:
        raise UnsupportedModelError("llama.cpp supports only window_size 112 for Qwen2.5-VL")
    return pattern


def _add_hparams(writer: gguf.GGUFWriter, config: QwenVLConfig, hf_dir: Path,
                 dtype: DType) -> None:
    vision = config.vision
    if int(vision.get("spatial_merge_size", 2)) != 2:
        raise UnsupportedModelError("llama.cpp supports only spatial_merge_size 2 for Qwen-VL")
    writer.add_type("mmproj")
    writer.add_name(f"{config.family} vision")
    writer.add_file_type(FILE_TYPES[dtype])
    writer.add_clip_has_vision_encoder(True)
    if config.family == "qwen2_5_vl":
        width, ffn = int(vision["hidden_size"]), int(vision["intermediate_size"])
        projection = int(vision["out_hidden_size"])
        writer.add_vision_use_silu(True)
        writer.add_vision_n_wa_pattern(_wa_pattern(vision))
    else:
        width = int(vision["embed_dim"])
        ffn, projection = int(width * float(vision.get("mlp_ratio", 4))), int(vision["hidden_size"])
    writer.add_clip_projector_type(config.architecture.projector)
    writer.add_vision_projection_dim(projection)
    writer.add_vision_image_size(int(vision.get("image_size", 560)))
    writer.add_vision_patch_size(int(vision.get("patch_size", 14)))
    writer.add_vision_embedding_length(width)
    writer.add_vision_feed_forward_length(ffn)
    writer.add_vision_block_count(int(vision["depth"]))
    writer.add_vision_head_count(int(vision["num_heads"]))
    writer.add_vision_attention_layernorm_eps(VISION_EPS)
    pre = _preprocessor(hf_dir)
    writer.add_vision_image_mean([float(x) for x in pre.get("image_mean", CLIP_MEAN)])
    writer.add_vision_image_std([float(x) for x in pre.get("image_std", CLIP_STD)])


def convert_mmproj(hf_dir: Path, out_path: Path, *, dtype: DType = "f32") -> Path:
    """Write the vision tower + merger of ``hf_dir`` as an mmproj GGUF to ``out_path``."""
    check_dtype(dtype)
    config = read_config(hf_dir)

    qwen3 = config.family == "qwen3_vl"
    deepstack = deepstack_indexes(config) if qwen3 else []

    def tensors(hf_name: str, tensor: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
        if qwen3:
            return qwen3_vision_tensors(hf_name, tensor, deepstack)
        return vision_tensors(hf_name, tensor)

    def fill(writer: gguf.GGUFWriter) -> None:
        if qwen3:
            add_qwen3_hparams(writer, config, _preprocessor(Path(hf_dir)), dtype)
        else:
            _add_hparams(writer, config, Path(hf_dir), dtype)
        count = 0
        for hf_name, tensor in iter_tensors(hf_dir):
            for name, part in tensors(hf_name, tensor):
                add_tensor(writer, name, part, "f32" if name in F32_TENSORS else dtype)
                count += 1
        if count == 0:
            raise UnsupportedModelError(f"{hf_dir} has no visual.* tensors")

    return write_gguf(out_path, "clip", fill)
