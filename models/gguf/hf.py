"""Reading a Hugging Face Qwen2-VL / Qwen2.5-VL / Qwen3-VL folder: its configuration and tensors.

Both checkpoint layouts are accepted: the hub's (flat text keys at the top of ``config.json``,
tensors named ``model.layers...`` / ``visual...``) and the one transformers 5 keeps in memory
(``text_config``, ``model.language_model...``, ``model.visual...``). Tensor names are normalised
to the hub's form, so the converters only ever see one naming.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import gguf
import numpy as np

from models.architectures import ARCHITECTURES, Architecture, architecture

if TYPE_CHECKING:
    import torch

DType = Literal["f32", "f16", "bf16"]
Family = Literal["qwen2_vl", "qwen2_5_vl", "qwen3_vl"]

_DTYPES: dict[str, gguf.GGMLQuantizationType] = {
    "f32": gguf.GGMLQuantizationType.F32,
    "f16": gguf.GGMLQuantizationType.F16,
    "bf16": gguf.GGMLQuantizationType.BF16,
}
FILE_TYPES: dict[str, gguf.LlamaFileType] = {
    "f32": gguf.LlamaFileType.ALL_F32,
    "f16": gguf.LlamaFileType.MOSTLY_F16,
    "bf16": gguf.LlamaFileType.MOSTLY_BF16,
}
_PREFIXES = (("model.language_model.", "model."), ("model.visual.", "visual."))


class UnsupportedModelError(ValueError):
    """The folder holds a model (or a dtype) this converter does not know how to write."""


@dataclass(frozen=True)
class QwenVLConfig:
    """What the converters need from ``config.json``, whichever layout it uses."""

    family: Family
    text: dict[str, Any]
    vision: dict[str, Any]
    tie_word_embeddings: bool

    @property
    def architecture(self) -> Architecture:
        """The row of :mod:`models.architectures` (GGUF arch, projector type, patch size)."""
        return architecture(self.family)

    @property
    def rope_theta(self) -> float:
        rope = self.text.get("rope_parameters") or self.text.get("rope_scaling") or {}
        return float(rope.get("rope_theta", self.text.get("rope_theta", 1_000_000.0)))

    @property
    def mrope_section(self) -> list[int]:
        rope = self.text.get("rope_parameters") or self.text.get("rope_scaling") or {}
        section = rope.get("mrope_section")
        if not section:
            raise UnsupportedModelError("config has no rope mrope_section (not a Qwen-VL model?)")
        return [int(s) for s in section]


def read_config(hf_dir: Path) -> QwenVLConfig:
    """Parse ``hf_dir/config.json``; :class:`UnsupportedModelError` for other architectures."""
    raw = json.loads((Path(hf_dir) / "config.json").read_text(encoding="utf-8"))
    model_type = raw.get("model_type")
    if model_type not in ARCHITECTURES:
        raise UnsupportedModelError(
            f"unsupported model_type {model_type!r} (architectures {raw.get('architectures')}); "
            f"only {', '.join(ARCHITECTURES)} can be converted"
        )
    text = dict(raw["text_config"]) if raw.get("text_config") else dict(raw)
    vision = dict(raw.get("vision_config") or {})
    if not vision:
        raise UnsupportedModelError("config.json has no vision_config")
    tie = bool(raw.get("tie_word_embeddings", text.get("tie_word_embeddings", False)))
    return QwenVLConfig(family=model_type, text=text, vision=vision, tie_word_embeddings=tie)


def normalise_name(name: str) -> str:
    """Map a transformers-5 in-memory tensor name to the hub checkpoint's name.

    >>> normalise_name("model.language_model.layers.0.mlp.up_proj.weight")
    'model.layers.0.mlp.up_proj.weight'
    >>> normalise_name("model.visual.merger.ln_q.weight")
    'visual.merger.ln_q.weight'
    >>> normalise_name("lm_head.weight")
    'lm_head.weight'
    """
    for old, new in _PREFIXES:
        if name.startswith(old):
            return new + name[len(old):]
    return name


def checkpoint_files(hf_dir: Path) -> list[Path]:
    """The weight files: the shards named by ``model.safetensors.index.json``, else
    ``model*.safetensors`` (never an adapter's or another tool's safetensors in the folder)."""
    hf_dir = Path(hf_dir)
    index = hf_dir / "model.safetensors.index.json"
    if index.exists():
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        return [hf_dir / name for name in sorted(set(weight_map.values()))]
    files = sorted(hf_dir.glob("model*.safetensors"))
    if not files:
        raise FileNotFoundError(f"no model*.safetensors in {hf_dir}")
    return files


def iter_tensors(hf_dir: Path) -> Iterator[tuple[str, torch.Tensor]]:
    """Every tensor of the checkpoint (all safetensors shards), names normalised."""
    from safetensors import safe_open

    for file in checkpoint_files(hf_dir):
        with safe_open(str(file), framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118 - safe_open is not a mapping
                yield normalise_name(key), handle.get_tensor(key)


def check_dtype(dtype: str) -> None:
    """Raise :class:`UnsupportedModelError` unless ``dtype`` is f32, f16 or bf16."""
    if dtype not in _DTYPES:
        raise UnsupportedModelError(f"unsupported dtype {dtype!r}; choose one of {list(_DTYPES)}")


def to_gguf(tensor: torch.Tensor, dtype: DType) -> tuple[np.ndarray, gguf.GGMLQuantizationType]:
    """The array to write and its GGML type; 1-D tensors (norms, biases) always stay f32."""
    import torch

    check_dtype(dtype)
    data = tensor.detach().to(torch.float32).cpu().numpy()
    if data.ndim <= 1 or dtype == "f32":
        return np.ascontiguousarray(data), gguf.GGMLQuantizationType.F32
    if dtype == "f16":
        return np.ascontiguousarray(data.astype(np.float16)), gguf.GGMLQuantizationType.F16
    return gguf.quants.quantize(data, _DTYPES[dtype]), _DTYPES[dtype]


def add_tensor(writer: gguf.GGUFWriter, name: str, tensor: torch.Tensor, dtype: DType) -> None:
    """Write one tensor in ``dtype`` (see :func:`to_gguf`)."""
    data, qtype = to_gguf(tensor, dtype)
    if qtype in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
        writer.add_tensor(name, data)
    else:
        writer.add_tensor(name, data, raw_dtype=qtype)


def write_gguf(out_path: Path, arch: str, fill: Callable[[gguf.GGUFWriter], None]) -> Path:
    """Create ``out_path`` atomically: ``fill`` adds keys and tensors to a writer on a temp file,
    which replaces ``out_path`` only once complete (and is removed if ``fill`` raises)."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    writer = gguf.GGUFWriter(str(tmp), arch)
    try:
        fill(writer)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    writer.close()
    tmp.replace(out_path)
    return out_path


def patch_embedding(tensor: torch.Tensor) -> Iterator[tuple[str, torch.Tensor]]:
    """A Qwen-VL Conv3d patch embedding (temporal 2) as mtmd's two per-frame 2-D kernels."""
    if tensor.ndim != 5 or tensor.shape[2] != 2:
        raise UnsupportedModelError(f"patch embedding {tuple(tensor.shape)}: need temporal 2")
    yield "v.patch_embd.weight", tensor[:, :, 0].contiguous()
    yield "v.patch_embd.weight.1", tensor[:, :, 1].contiguous()
