"""Random-weight models with the dimensions of the real recommended ones, for tests and benches.

A tiny model proves the format; it cannot show that the converter, llama.cpp and torch agree
at the widths, head counts, vocabulary and vision tower of the models people download. Here
the *published* configuration of such a model (``PUBLISHED``: numbers from its Hugging Face
``config.json``) is built with random weights: layer-truncated for a CPU test (``layers``,
``vision_layers``), at full depth for ``deskhand bench runtime --size``. Two are known:
Qwen2.5-VL-3B (``qwen2.5-vl-3b``) and Qwen3-VL-2B (``qwen3-vl-2b``, deepstack included).

What is not the published model's: the tokenizer (the tiny models' offline one; the embedding
keeps the published vocabulary size, padded) and, for Qwen2.5-VL only, ``rms_norm_eps``
(1e-12, as the tiny models and for the same reason: llama.cpp 0.3.36 ignores qwen2vl's
epsilon, and random weights' activations are small enough for 1e-6 to move logits by ~1e-3;
its ``qwen3vl`` reads the published 1e-6). Qwen3-VL's norm weights are randomised around 1, as
the tiny Qwen3-VL's, so a missing or misplaced Q/K norm cannot hide behind unit weights.

Truncation keeps the published patterns. A Qwen2.5-VL tower keeps its period (seven
window-attention blocks, then a full-attention one) for as many whole periods as fit; a tower
shorter than one period ends in a full-attention block. A Qwen3-VL tower keeps its deepstack
layout: the published taps close three of four equal parts of the tower (blocks 5, 11, 17 of
24), so a cut tower of ``n`` blocks taps the ends of ``k`` of ``k + 1`` equal parts, with ``k``
the published count or less: llama.cpp adds deepstack feature ``i`` to decoder layer ``i`` and
only before the last layer, so there are at most ``layers - 1`` of them (and ``n - 1``, one
block being left for the main merger).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from models.build_once import build_once
from models.gguf.hf import DType
from models.tiny import RMS_EPS, TinyModel, _code_hash, save_tokenizer
from models.tiny_qwen3 import _code_hash as qwen3_code_hash

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
# Qwen/Qwen3-VL-2B-Instruct config.json (text_config, vision_config). The file itself
# (https://huggingface.co/Qwen/Qwen3-VL-2B-Instruct/tree/main: config.json, 1.51 kB, last commit
# 8964489) was not readable from here; every number below is as quoted, identically, by
#   [A] NVIDIA/TensorRT-Model-Connect, a test fixture headed "Qwen/Qwen3-VL-2B-Instruct at
#       89644892e4d85e24eaac8bacfd4f463576704203": the text config (vocab, widths, layers, heads,
#       kv heads, head_dim, max_position_embeddings 262144, rope_theta 5000000, rms_norm_eps)
#       and vision deepstack_visual_indexes, hidden_size, out_hidden_size, patch_size,
#       spatial_merge_size, temporal_patch_size;
#   [B] xzhan34/openvino.genai src/cpp/src/modeling/tests/qwen3_vl_spec_test.cpp, a complete
#       Qwen3-VL config (it does not name the model; its text and vision numbers are [A]'s
#       wherever both give one), which adds what [A] leaves out:
#       rope_scaling {mrope_interleaved: true, mrope_section [24, 20, 20]}, tie_word_embeddings
#       true, vision depth 24, intermediate_size 4096, num_heads 16, num_position_embeddings
#       2304, hidden_act gelu_pytorch_tanh.
# Other public copies agree (e.g. sgl-jax's Qwen3VLVisionConfig defaults for the tower). One
# copy (a GGUF-metadata test) gives max_position_embeddings 128000 for a "representative"
# config; [A] and [B] say 262144, which is what is used.
QWEN3_VL_2B: dict[str, Any] = {
    "family": "qwen3vl",
    "text": {"vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 6144,
             "num_hidden_layers": 28, "num_attention_heads": 16, "num_key_value_heads": 8,
             "head_dim": 128, "max_position_embeddings": 262144, "rope_theta": 5_000_000.0,
             "mrope_section": [24, 20, 20], "mrope_interleaved": True, "rms_norm_eps": 1e-6},
    "vision": {"depth": 24, "hidden_size": 1024, "intermediate_size": 4096, "num_heads": 16,
               "out_hidden_size": 2048, "patch_size": 16, "spatial_merge_size": 2,
               "temporal_patch_size": 2, "num_position_embeddings": 2304,
               "deepstack_visual_indexes": [5, 11, 17], "hidden_act": "gelu_pytorch_tanh"},
    "tie_word_embeddings": True,
}
PUBLISHED: dict[str, dict[str, Any]] = {"qwen2.5-vl-3b": QWEN25_VL_3B,
                                        "qwen3-vl-2b": QWEN3_VL_2B}


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


def truncated_deepstack(taps: list[int], depth: int, vision_layers: int,
                        text_layers: int) -> list[int]:
    """Deepstack taps of a tower cut to ``vision_layers`` blocks feeding ``text_layers`` decoder
    layers: the published layout (the taps close ``k`` of ``k + 1`` equal parts of the tower)
    with ``k`` the published count, or fewer where the cut model has no room for them: llama.cpp
    adds tap ``i`` to decoder layer ``i``, never to the last (``k < text_layers``), and one block
    at least is left to the main merger (``k < vision_layers``).

    >>> truncated_deepstack([5, 11, 17], 24, 24, 28)
    [5, 11, 17]
    >>> truncated_deepstack([5, 11, 17], 24, 4, 4), truncated_deepstack([5, 11, 17], 24, 8, 4)
    ([0, 1, 2], [1, 3, 5])
    >>> truncated_deepstack([5, 11, 17], 24, 2, 2), truncated_deepstack([5, 11, 17], 24, 1, 4)
    ([0], [])
    """
    count = max(0, min(len(taps), text_layers - 1, vision_layers - 1))
    if vision_layers >= depth and count == len(taps):
        return list(taps)
    period = vision_layers // (count + 1)
    return [period * (k + 1) - 1 for k in range(count)]


def config_kwargs(name: str, ids: dict[str, int], *, layers: int | None,
                  vision_layers: int | None) -> dict[str, Any]:
    """``Qwen2_5_VLConfig`` or ``Qwen3VLConfig`` keyword arguments: the published model, cut
    to the given depths (the attention period or the deepstack layout kept, see above)."""
    spec = published(name)
    text, vision = dict(spec["text"]), dict(spec["vision"])
    text_layers = min(layers or text["num_hidden_layers"], text["num_hidden_layers"])
    tower = min(vision_layers or vision["depth"], vision["depth"])
    rope = {"rope_type": "default", "rope_theta": text.pop("rope_theta"),
            "mrope_section": text.pop("mrope_section")}
    if "mrope_interleaved" in text:  # Qwen3-VL's t/h/w pairs alternate
        rope["mrope_interleaved"] = text.pop("mrope_interleaved")
    text.setdefault("rms_norm_eps", RMS_EPS)  # Qwen2.5-VL: what llama.cpp's qwen2vl computes
    text.update({
        "num_hidden_layers": text_layers, "rope_parameters": rope,
        "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"]})
    if "fullatt_block_indexes" in vision:
        vision["fullatt_block_indexes"] = truncated_fullatt(
            vision["fullatt_block_indexes"], vision["depth"], tower)
    if "deepstack_visual_indexes" in vision:
        vision["deepstack_visual_indexes"] = truncated_deepstack(
            vision["deepstack_visual_indexes"], vision["depth"], tower, text_layers)
    vision["depth"] = tower
    return {
        "text_config": text, "vision_config": vision,
        "tie_word_embeddings": spec["tie_word_embeddings"],
        "image_token_id": ids["<|image_pad|>"], "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
    }


def _save_model(hf_dir: Path, family: str, kwargs: dict[str, Any], seed: int,
                dtype: str) -> None:
    import torch
    import transformers

    config_class, model_class = {
        "qwen25vl": ("Qwen2_5_VLConfig", "Qwen2_5_VLForConditionalGeneration"),
        "qwen3vl": ("Qwen3VLConfig", "Qwen3VLForConditionalGeneration"),
    }[family]
    torch_dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[dtype]
    previous = torch.get_default_dtype()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.set_default_dtype(torch_dtype)  # a full-depth 3B model is built in half width
        try:
            config = getattr(transformers, config_class)(**kwargs)
            model = getattr(transformers, model_class)(config)
        finally:
            torch.set_default_dtype(previous)
        if family == "qwen3vl":  # as the tiny Qwen3-VL: norms around 1, not at 1
            with torch.no_grad():
                for param_name, param in model.named_parameters():
                    if param_name.endswith("norm.weight"):
                        param.add_(0.1 * torch.randn_like(param))
    model.save_pretrained(str(hf_dir))


def _save_tokenizer(hf_dir: Path, family: str) -> dict[str, int]:
    """The tiny models' tokenizer, and the family's image processor (Qwen3-VL: 16-pixel
    patches, mean and std 0.5)."""
    if family == "qwen3vl":
        from models.tiny_qwen3 import _save_tokenizer as save_qwen3

        return save_qwen3(hf_dir)
    return save_tokenizer(hf_dir)


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
              "quantize": sorted(quantize), "seed": seed, "code": _code_hash() + qwen3_code_hash(),
              "self": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    depth = f"{layers or 'full'}x{vision_layers or 'full'}"
    folder = Path(out_dir) / f"{name}-{depth}-{dtype}-s{seed}-{key}"
    marker = "real.json"

    def make(staging: Path) -> None:
        hf_dir = staging / "hf"
        hf_dir.mkdir(parents=True)
        family = published(name)["family"]
        ids = _save_tokenizer(hf_dir, family)
        kwargs = config_kwargs(name, ids, layers=layers, vision_layers=vision_layers)
        _save_model(hf_dir, family, kwargs, seed, dtype)
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
