"""Random-weight models with the dimensions of the real recommended ones, for tests and benches.

A tiny model proves the format; it cannot show that the converter, llama.cpp and torch agree
at the widths, head counts, vocabulary and vision tower of the models people download. Here
the *published* configuration of such a model (``PUBLISHED``: numbers from its Hugging Face
``config.json``) is built with random weights: layer-truncated for a CPU test (``layers``,
``vision_layers``), at full depth for ``deskhand bench runtime --size``. What is not the
published model's: the tokenizer (the tiny models' offline one; the embedding keeps the
published vocabulary size, padded) and ``rms_norm_eps`` (1e-12, as the tiny models and for
the same reason: llama.cpp 0.3.36 ignores qwen2vl's epsilon, and random weights' activations
are small enough for 1e-6 to move logits by ~1e-3). A truncated vision tower keeps the
published period (seven window-attention blocks, then a full-attention one) for as many whole
periods as fit; a tower shorter than one period ends in a full-attention block.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from models.build_once import build_once
from models.gguf.hf import DType
from models.tiny import RMS_EPS, TinyModel, _code_hash, save_tokenizer

# Qwen/Qwen2.5-VL-3B-Instruct config.json (text and vision_config), as published.
QWEN25_VL_3B: dict[str, Any] = {
    "family": "qwen25vl",
    "text": {"vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 11008,
             "num_hidden_layers": 36, "num_attention_heads": 16, "num_key_value_heads": 2,
             "max_position_embeddings": 128000, "rope_theta": 1_000_000.0,
             "mrope_section": [16, 24, 24]},
    "vision": {"depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16,
               "out_hidden_size": 2048, "fullatt_block_indexes": [7, 15, 23, 31],
               "window_size": 112, "patch_size": 14, "spatial_merge_size": 2,
               "temporal_patch_size": 2, "tokens_per_second": 2},
    "tie_word_embeddings": True,
}
PUBLISHED: dict[str, dict[str, Any]] = {"qwen2.5-vl-3b": QWEN25_VL_3B}


def published(name: str) -> dict[str, Any]:
    try:
        return PUBLISHED[name]
    except KeyError:
        raise KeyError(f"no published configuration for {name!r}; known: "
                       f"{', '.join(PUBLISHED)}") from None


def truncated_fullatt(full: list[int], depth: int, vision_layers: int) -> list[int]:
    """Full-attention block indexes of a tower cut to ``vision_layers`` blocks: the published
    period (window blocks, then one full block), kept as long as it fits.

    >>> truncated_fullatt([7, 15, 23, 31], 32, 32), truncated_fullatt([7, 15, 23, 31], 32, 2)
    ([7, 15, 23, 31], [1])
    >>> truncated_fullatt([7, 15, 23, 31], 32, 16)
    [7, 15]
    """
    if vision_layers >= depth:
        return list(full)
    period = full[1] - full[0] if len(full) > 1 else depth
    period = min(period, vision_layers)
    return [i for i in range(period - 1, vision_layers, period)]


def config_kwargs(name: str, ids: dict[str, int], *, layers: int | None,
                  vision_layers: int | None) -> dict[str, Any]:
    """``Qwen2_5_VLConfig`` keyword arguments: the published model, cut to the given depths."""
    spec = published(name)
    text, vision = dict(spec["text"]), dict(spec["vision"])
    text_layers = min(layers or text["num_hidden_layers"], text["num_hidden_layers"])
    tower = min(vision_layers or vision["depth"], vision["depth"])
    mrope = text.pop("mrope_section")
    text.update({
        "num_hidden_layers": text_layers, "rms_norm_eps": RMS_EPS,
        "rope_parameters": {"rope_type": "default", "rope_theta": text.pop("rope_theta"),
                            "mrope_section": mrope},
        "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"]})
    vision.update({"depth": tower, "fullatt_block_indexes": truncated_fullatt(
        vision["fullatt_block_indexes"], vision["depth"], tower)})
    return {
        "text_config": text, "vision_config": vision,
        "tie_word_embeddings": spec["tie_word_embeddings"],
        "image_token_id": ids["<|image_pad|>"], "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }


def _save_model(hf_dir: Path, kwargs: dict[str, Any], seed: int, dtype: str) -> None:
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    torch_dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[dtype]
    previous = torch.get_default_dtype()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.set_default_dtype(torch_dtype)  # a full-depth 3B model is built in half width
        try:
            model = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig(**kwargs))
        finally:
            torch.set_default_dtype(previous)
    model.save_pretrained(str(hf_dir))


def build_real_dims(out_dir: Path, name: str, *, layers: int | None = 2,
                    vision_layers: int | None = 2, dtype: DType = "f32",
                    quantize: tuple[str, ...] = (), seed: int = 0) -> TinyModel:
    """Build (or return the cached) random ``name`` cut to ``layers`` text layers and
    ``vision_layers`` vision blocks (None: the published depth), converted to ``dtype`` GGUF
    and, for each of ``quantize`` ("Q4_K_M", ...), quantized as a download would be.
    """
    from models.gguf.qwen_mmproj import convert_mmproj
    from models.gguf.qwen_text import convert_text

    if dtype not in ("f32", "f16", "bf16"):
        raise ValueError(f"dtype must be f32, f16 or bf16, not {dtype!r}")
    published(name)
    params = {"name": name, "layers": layers, "vision_layers": vision_layers, "dtype": dtype,
              "quantize": sorted(quantize), "seed": seed, "code": _code_hash(),
              "self": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    depth = f"{layers or 'full'}x{vision_layers or 'full'}"
    folder = Path(out_dir) / f"{name}-{depth}-{dtype}-s{seed}-{key}"
    marker = "real.json"

    def make(staging: Path) -> None:
        hf_dir = staging / "hf"
        hf_dir.mkdir(parents=True)
        ids = save_tokenizer(hf_dir)
        kwargs = config_kwargs(name, ids, layers=layers, vision_layers=vision_layers)
        _save_model(hf_dir, kwargs, seed, dtype)
        text = convert_text(hf_dir, staging / f"{name}-{dtype}.gguf", dtype=dtype)
        convert_mmproj(hf_dir, staging / f"mmproj-{name}-{dtype}.gguf", dtype=dtype)
        if quantize:
            from models.gguf.quantize import quantize_gguf

            for qtype in quantize:
                quantize_gguf(text, staging / f"{name}-{qtype}.gguf", qtype)
        (staging / marker).write_text(json.dumps(params, indent=2), encoding="utf-8")

    build_once(folder, marker, make)
    return TinyModel(folder / "hf", folder / f"{name}-{dtype}.gguf",
                     folder / f"mmproj-{name}-{dtype}.gguf",
                     {q: folder / f"{name}-{q}.gguf" for q in quantize})
