"""Tiny Qwen3-VL models for tests: transformers' ``Qwen3VLForConditionalGeneration``, deepstack
included, with the same offline-trained tokenizer as the tiny Qwen2.5-VL (:mod:`models.tiny`).

What differs from the Qwen2.5-VL build, and why the numbers are what they are: the text model
has Q/K RMS norms and an explicit ``head_dim`` (16, so ``mrope_section`` ``[3, 3, 2]`` covers
all 8 rotary pairs with Qwen3's *interleaved* t/h/w layout); the vision tower cuts 16-pixel
patches (images are multiples of 32), adds learned position embeddings (an 8×8 grid,
interpolated per image), and hands two deepstack features (after vision blocks 0 and 1) to the
first two of its three decoder layers (llama.cpp cannot add one to the last layer). Builds
are cached like :func:`models.tiny.build_tiny`'s: one folder per hash of the parameters and of
the building code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from models import tiny
from models.build_once import build_once
from models.tiny import TinyModel

QWEN3_MEAN = QWEN3_STD = (0.5, 0.5, 0.5)  # Qwen3-VL's image processor normalises to [-1, 1]
MROPE_SECTION = [3, 3, 2]  # t, h, w pairs of a 16-wide head, interleaved (Qwen3-VL)
# the published Qwen3-VL models' heads: 128 wide, t/h/w sections [24, 20, 20] of 64 pairs
MROPE_SECTIONS = {16: MROPE_SECTION, 128: [24, 20, 20]}
DEEPSTACK = [0, 1]  # vision blocks whose features feed decoder layers 0 and 1 (of 3)
RMS_EPS = 1e-6


def tiny_qwen3_config(hidden: int, ids: dict[str, int], head_dim: int = 16) -> dict[str, Any]:
    """The ``Qwen3VLConfig`` keyword arguments of a tiny model ``hidden`` wide, with heads
    ``head_dim`` wide (16, or 128 with the published models' M-RoPE sections)."""
    heads = 4 if head_dim == 16 else 2
    text = {
        "vocab_size": tiny.VOCAB_SIZE, "hidden_size": hidden, "intermediate_size": 2 * hidden,
        "num_hidden_layers": 3, "num_attention_heads": heads, "num_key_value_heads": 2,
        "head_dim": head_dim, "max_position_embeddings": tiny.CONTEXT, "rms_norm_eps": RMS_EPS,
        "rope_parameters": {"rope_type": "default", "rope_theta": 5_000_000.0,
                            "mrope_section": MROPE_SECTIONS[head_dim],
                            "mrope_interleaved": True},
        "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"], "tie_word_embeddings": False,
    }
    # intermediate 96 != hidden 64 (clip.cpp's up/down swap heuristic, as for Qwen2.5-VL)
    vision = {"depth": 3, "hidden_size": 64, "intermediate_size": 96, "num_heads": 4,
              "out_hidden_size": hidden, "patch_size": 16, "spatial_merge_size": 2,
              "temporal_patch_size": 2, "num_position_embeddings": 64,
              "deepstack_visual_indexes": DEEPSTACK, "hidden_act": "gelu_pytorch_tanh"}
    return {
        "text_config": text, "vision_config": vision, "tie_word_embeddings": False,
        "image_token_id": ids["<|image_pad|>"], "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }


def _save_tokenizer(hf_dir: Path) -> dict[str, int]:
    """The tiny models' tokenizer, and Qwen3-VL's image processor (16-pixel patches, mean/std
    0.5)."""
    return tiny.save_tokenizer(hf_dir, patch=16, mean=QWEN3_MEAN, std=QWEN3_STD)


def _save_model(hf_dir: Path, hidden: int, seed: int, ids: dict[str, int],
                head_dim: int) -> None:
    import torch
    from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        config = Qwen3VLConfig(**tiny_qwen3_config(hidden, ids, head_dim))
        model = Qwen3VLForConditionalGeneration(config)
        with torch.no_grad():  # norms start at 1: random ones make the parity tests honest
            for name, param in model.named_parameters():
                if name.endswith("norm.weight"):
                    param.add_(0.1 * torch.randn_like(param))
    model.generation_config.eos_token_id = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.save_pretrained(str(hf_dir))


def _build(folder: Path, hidden: int, seed: int, head_dim: int) -> TinyModel:
    from models.gguf.qwen_mmproj import convert_mmproj
    from models.gguf.qwen_text import convert_text

    hf_dir = folder / "hf"
    hf_dir.mkdir(parents=True)
    ids = _save_tokenizer(hf_dir)
    _save_model(hf_dir, hidden, seed, ids, head_dim)
    text = convert_text(hf_dir, folder / "tiny-f32.gguf", dtype="f32")
    mmproj = convert_mmproj(hf_dir, folder / "mmproj-tiny-f32.gguf", dtype="f32")
    return TinyModel(hf_dir, text, mmproj)


_BUILD_SOURCES = ("tiny.py", "tiny_qwen3.py", "architectures.py", "vision_input.py",
                  "gguf/hf.py", "gguf/tokenizer.py", "gguf/qwen_text.py", "gguf/qwen_mmproj.py",
                  "gguf/qwen3_mmproj.py")


def _code_hash() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for name in _BUILD_SOURCES:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    return digest.hexdigest()


def build_tiny_qwen3(out_dir: Path, *, hidden: int = 64, seed: int = 0,
                     head_dim: int = 16) -> TinyModel:
    """Build (or return the cached) tiny Qwen3-VL ``hidden`` wide under ``out_dir``: the HF
    folder, its f32 GGUF text model (``gguf_path``) and its f32 mmproj (``mmproj_path``).
    ``head_dim`` 128 gives the published models' heads and M-RoPE sections."""
    if hidden < 32 or hidden % 32:
        raise ValueError(f"hidden must be a positive multiple of 32, got {hidden}")
    if head_dim not in MROPE_SECTIONS:
        raise ValueError(f"head_dim must be one of {sorted(MROPE_SECTIONS)}, got {head_dim}")
    params = {"arch": "qwen3_vl", "hidden": hidden, "seed": seed, "code": _code_hash(),
              **({"head_dim": head_dim} if head_dim != 16 else {})}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    folder = Path(out_dir) / f"tiny-qwen3-h{hidden}-d{head_dim}-s{seed}-{key}"

    def make(staging: Path) -> None:
        _build(staging, hidden, seed, head_dim)
        (staging / "tiny.json").write_text(json.dumps({"params": params}), encoding="utf-8")

    build_once(folder, "tiny.json", make)
    return TinyModel(folder / "hf", folder / "tiny-f32.gguf", folder / "mmproj-tiny-f32.gguf")
