"""HF Qwen2.5-VL / Qwen2-VL → GGUF text model + mmproj: names, values, metadata, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest

from models.gguf import convert_qwen_vl
from models.gguf.hf import UnsupportedModelError
from models.gguf.qwen_mmproj import convert_mmproj
from models.gguf.qwen_text import convert_text
from models.tiny import TinyModel

LAYER_TENSORS = [
    "attn_norm.weight", "ffn_norm.weight", "attn_q.weight", "attn_q.bias", "attn_k.weight",
    "attn_k.bias", "attn_v.weight", "attn_v.bias", "attn_output.weight", "ffn_gate.weight",
    "ffn_up.weight", "ffn_down.weight",
]


def _tensors(path: Path) -> dict[str, Any]:
    return {t.name: t for t in gguf.GGUFReader(str(path)).tensors}


def _fields(path: Path) -> dict[str, Any]:
    return {k: f.contents() for k, f in gguf.GGUFReader(str(path)).fields.items()}


def _hf(model: TinyModel) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(model.hf_dir / "model.safetensors"))


def test_text_tensors_are_renamed_one_to_one(tiny_model: TinyModel) -> None:
    tensors = _tensors(tiny_model.gguf_path)
    expected = {"token_embd.weight", "output_norm.weight", "output.weight"} | {
        f"blk.{i}.{name}" for i in range(2) for name in LAYER_TENSORS
    }
    assert set(tensors) == expected
    hf = _hf(tiny_model)
    pairs = {"token_embd.weight": "model.embed_tokens.weight", "output.weight": "lm_head.weight",
             "blk.1.attn_k.bias": "model.layers.1.self_attn.k_proj.bias",
             "blk.0.ffn_down.weight": "model.layers.0.mlp.down_proj.weight"}
    for name, hf_name in pairs.items():
        np.testing.assert_array_equal(tensors[name].data, hf[hf_name].numpy())


def test_text_metadata_describes_the_model(tiny_model: TinyModel) -> None:
    from transformers import AutoTokenizer

    fields = _fields(tiny_model.gguf_path)
    assert fields["general.architecture"] == "qwen2vl"
    assert fields["qwen2vl.rope.dimension_sections"] == [2, 3, 3, 0]
    assert (fields["qwen2vl.embedding_length"], fields["qwen2vl.block_count"]) == (64, 2)
    assert (fields["qwen2vl.attention.head_count"], fields["qwen2vl.attention.head_count_kv"]) \
        == (4, 2)
    assert fields["qwen2vl.context_length"] == 4096
    assert fields["tokenizer.ggml.pre"] == "qwen2"
    tok = AutoTokenizer.from_pretrained(tiny_model.hf_dir)
    tokens, types = fields["tokenizer.ggml.tokens"], fields["tokenizer.ggml.token_type"]
    assert len(tokens) == 512
    for text, token_id in tok.get_vocab().items():
        assert tokens[token_id] == text
    assert types[tok.convert_tokens_to_ids("<|im_end|>")] == gguf.TokenType.CONTROL
    assert types[tok.convert_tokens_to_ids("<tool_call>")] == gguf.TokenType.USER_DEFINED
    assert types[tok.convert_tokens_to_ids("Ġthe")] == gguf.TokenType.NORMAL
    assert tokens[511] == "[PAD511]" and types[511] == gguf.TokenType.UNUSED
    assert fields["tokenizer.ggml.eos_token_id"] == tok.eos_token_id
    assert fields["tokenizer.ggml.add_bos_token"] is False
    assert "<|im_start|>" in fields["tokenizer.chat_template"]


def test_mmproj_splits_patch_embedding_and_qkv(tiny_model: TinyModel) -> None:
    tensors = _tensors(tiny_model.mmproj_path)
    hf = _hf(tiny_model)
    conv = hf["visual.patch_embed.proj.weight"].numpy()  # [C, 3, 2, 14, 14]
    np.testing.assert_array_equal(tensors["v.patch_embd.weight"].data, conv[:, :, 0])
    np.testing.assert_array_equal(tensors["v.patch_embd.weight.1"].data, conv[:, :, 1])
    qkv = hf["visual.blocks.1.attn.qkv.weight"].numpy()
    for i, part in enumerate("qkv"):
        np.testing.assert_array_equal(tensors[f"v.blk.1.attn_{part}.weight"].data,
                                      qkv[64 * i:64 * (i + 1)])
    np.testing.assert_array_equal(tensors["mm.2.weight"].data,
                                  hf["visual.merger.mlp.2.weight"].numpy())
    assert {"v.post_ln.weight", "mm.0.bias", "v.blk.0.ffn_gate.weight"} <= set(tensors)
    fields = _fields(tiny_model.mmproj_path)
    assert fields["general.type"] == "mmproj"
    assert fields["clip.projector_type"] == "qwen2.5vl_merger"
    assert fields["clip.vision.n_wa_pattern"] == 2
    assert fields["clip.vision.projection_dim"] == 64
    assert fields["clip.use_silu"] is True


@pytest.mark.parametrize(("dtype", "kind"), [("f16", gguf.GGMLQuantizationType.F16),
                                             ("bf16", gguf.GGMLQuantizationType.BF16)])
def test_half_precision_keeps_norms_and_biases_f32(tiny_model: TinyModel, tmp_path: Path,
                                                   dtype: Any, kind: Any) -> None:
    tensors = _tensors(convert_text(tiny_model.hf_dir, tmp_path / "t.gguf", dtype=dtype))
    assert tensors["blk.0.attn_q.weight"].tensor_type == kind
    assert tensors["blk.0.attn_q.bias"].tensor_type == gguf.GGMLQuantizationType.F32
    assert tensors["output_norm.weight"].tensor_type == gguf.GGMLQuantizationType.F32
    if dtype == "f16":
        np.testing.assert_allclose(tensors["output.weight"].data.astype(np.float32),
                                   _hf(tiny_model)["lm_head.weight"].numpy(), atol=1e-3)


def test_convert_qwen_vl_writes_both_files(tiny_model: TinyModel, tmp_path: Path) -> None:
    text, mmproj = convert_qwen_vl(tiny_model.hf_dir, tmp_path / "t.gguf", tmp_path / "m.gguf")
    assert _fields(text)["general.file_type"] == gguf.LlamaFileType.MOSTLY_F16
    assert _fields(mmproj)["general.file_type"] == gguf.LlamaFileType.ALL_F32
    assert _tensors(mmproj)["v.blk.0.attn_q.weight"].tensor_type == gguf.GGMLQuantizationType.F32
    assert not list(tmp_path.glob("*.tmp"))


def _copy_hf(model: TinyModel, dst: Path, **config_changes: Any) -> Path:
    shutil.copytree(model.hf_dir, dst)
    config = json.loads((dst / "config.json").read_text())
    for key, value in config_changes.items():
        section, _, name = key.partition("__")
        (config[section] if name else config)[name or key] = value
    (dst / "config.json").write_text(json.dumps(config))
    return dst


@pytest.mark.parametrize(("changes", "message"), [
    ({"model_type": "llama"}, "unsupported model_type 'llama'"),
    ({"vision_config__fullatt_block_indexes": [1, 2, 5]}, "irregular fullatt_block_indexes"),
    ({"vision_config__window_size": 64}, "window_size 112"),
])
def test_unsupported_models_are_refused_with_a_reason(tiny_model: TinyModel, tmp_path: Path,
                                                      changes: dict[str, Any],
                                                      message: str) -> None:
    folder = _copy_hf(tiny_model, tmp_path / "hf", **changes)
    with pytest.raises(UnsupportedModelError, match=message):
        convert_text(folder, tmp_path / "t.gguf")
        convert_mmproj(folder, tmp_path / "m.gguf")
    assert not (tmp_path / "m.gguf").exists()


def test_unknown_dtype_is_refused(tiny_model: TinyModel, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedModelError, match="dtype"):
        convert_text(tiny_model.hf_dir, tmp_path / "t.gguf", dtype="f8")  # type: ignore[arg-type]


def build_qwen2_vl(tiny: TinyModel, folder: Path) -> Path:
    """A tiny Qwen2-VL (the first generation) with the tiny model's tokenizer."""
    import torch
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    from models.tiny import tiny_config

    shutil.copytree(tiny.hf_dir, folder, ignore=shutil.ignore_patterns("model.safetensors",
                                                                       "config.json"))
    ids = json.loads((tiny.hf_dir / "config.json").read_text())
    kwargs = tiny_config(64, {"<|endoftext|>": 480, "<|im_end|>": 482,
                              "<|image_pad|>": ids["image_token_id"],
                              "<|video_pad|>": ids["video_token_id"],
                              "<|vision_start|>": ids["vision_start_token_id"],
                              "<|vision_end|>": ids["vision_end_token_id"]})
    # mlp_ratio 2: an ffn width (128) unlike the hidden width, see models.tiny.tiny_config
    kwargs["vision_config"] = {"depth": 2, "embed_dim": 64, "hidden_size": 64, "mlp_ratio": 2,
                               "num_heads": 4, "patch_size": 14, "spatial_merge_size": 2,
                               "temporal_patch_size": 2}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        Qwen2VLForConditionalGeneration(Qwen2VLConfig(**kwargs)).save_pretrained(str(folder))
    return folder


def test_qwen2_vl_converts_with_its_own_projector(tiny_model: TinyModel, tmp_path: Path) -> None:
    import llama_cpp
    from llama_cpp import mtmd_cpp

    folder = build_qwen2_vl(tiny_model, tmp_path / "qwen2vl")
    text = convert_text(folder, tmp_path / "text.gguf", dtype="f32")
    mmproj = convert_mmproj(folder, tmp_path / "mmproj.gguf", dtype="f16")
    fields, tensors = _fields(mmproj), _tensors(mmproj)
    assert fields["clip.projector_type"] == "qwen2vl_merger"
    assert "clip.vision.n_wa_pattern" not in fields
    assert fields["clip.vision.feed_forward_length"] == 128
    assert {"v.blk.0.ffn_up.weight", "v.blk.0.ffn_down.bias", "v.blk.1.ln1.bias",
            "v.post_ln.bias"} <= set(tensors)
    assert "v.blk.0.ffn_gate.weight" not in tensors
    assert tensors["v.blk.0.ffn_up.weight"].tensor_type == gguf.GGMLQuantizationType.F16
    llm = llama_cpp.Llama(str(text), n_ctx=64, verbose=False)
    params = mtmd_cpp.mtmd_context_params_default()
    params.use_gpu, params.print_timings, params.warmup = False, False, False
    ctx = mtmd_cpp.mtmd_init_from_file(str(mmproj).encode(), llm.model, params)
    assert ctx, "mtmd refused the Qwen2-VL mmproj"
    mtmd_cpp.mtmd_free(ctx)


def _flatten_to_hub_layout(folder: Path) -> None:
    """Rewrite config.json the way the hub's Qwen2.5-VL checkpoints have it (flat text keys)."""
    config = json.loads((folder / "config.json").read_text())
    text = config.pop("text_config")
    rope = text.pop("rope_parameters")
    config.update(text)
    config["rope_theta"] = rope["rope_theta"]
    config["rope_scaling"] = {"type": "mrope", "mrope_section": rope["mrope_section"]}
    config["model_type"] = "qwen2_5_vl"
    (folder / "config.json").write_text(json.dumps(config))


def test_hub_layout_config_converts_identically(tiny_model: TinyModel, tmp_path: Path) -> None:
    folder = _copy_hf(tiny_model, tmp_path / "hub")
    _flatten_to_hub_layout(folder)
    (folder / "adapter_model.safetensors").write_bytes(b"not a model file")  # must be ignored
    ours = convert_text(folder, tmp_path / "t.gguf", dtype="f32")
    expected = _fields(tiny_model.gguf_path)
    got = _fields(ours)
    for key in ("qwen2vl.rope.dimension_sections", "qwen2vl.rope.freq_base",
                "qwen2vl.context_length", "qwen2vl.attention.head_count_kv",
                "qwen2vl.attention.layer_norm_rms_epsilon", "tokenizer.ggml.tokens"):
        assert got[key] == expected[key], key
    assert ours.read_bytes() == tiny_model.gguf_path.read_bytes()
