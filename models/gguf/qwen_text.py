"""HF Qwen2-VL / Qwen2.5-VL / Qwen3-VL → GGUF text model (llama.cpp ``qwen2vl`` / ``qwen3vl``).

Qwen2-VL and Qwen2.5-VL share one llama.cpp architecture, ``qwen2vl``: a Qwen2 decoder whose
rotary embedding is M-RoPE, described by ``rope.dimension_sections`` (the HF ``mrope_section``
padded to four). Qwen3-VL is ``qwen3vl``: a Qwen3 decoder (per-head RMS norms on Q and K, an
explicit head size, no QKV bias) whose M-RoPE interleaves t/h/w pairs — llama.cpp infers the
interleaving from the architecture — and whose first ``n_deepstack_layers`` decoder layers add
the vision tower's deepstack features, which arrive in the image embeddings (see
:mod:`models.gguf.qwen_mmproj`). Tensors are renamed one to one (no permutation: llama.cpp's
Qwen decoders use the HF rotary layout); vision tensors are skipped here.
"""

from __future__ import annotations

import re
from pathlib import Path

import gguf

from models.gguf.hf import (
    FILE_TYPES,
    DType,
    QwenVLConfig,
    UnsupportedModelError,
    add_tensor,
    check_dtype,
    iter_tensors,
    read_config,
    write_gguf,
)
from models.gguf.tokenizer import add_vocab, read_vocab

ARCH = "qwen2vl"  # Qwen2-VL / Qwen2.5-VL; Qwen3-VL's is read from models.architectures
_GLOBAL = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_LAYER = {
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
    "self_attn.q_norm": "attn_q_norm",  # Qwen3
    "self_attn.k_norm": "attn_k_norm",
}
_LAYER_RE = re.compile(r"^model\.layers\.(\d+)\.(.+)\.(weight|bias)$")


def text_tensor_name(hf_name: str) -> str | None:
    """GGUF name of a text tensor; ``None`` for vision tensors.

    >>> text_tensor_name("model.layers.3.self_attn.q_proj.bias")
    'blk.3.attn_q.bias'
    >>> text_tensor_name("model.layers.0.post_attention_layernorm.weight")
    'blk.0.ffn_norm.weight'
    >>> text_tensor_name("model.layers.1.self_attn.k_norm.weight")
    'blk.1.attn_k_norm.weight'
    >>> text_tensor_name("visual.blocks.0.attn.qkv.weight") is None
    True
    """
    if hf_name in _GLOBAL:
        return _GLOBAL[hf_name]
    if hf_name.startswith("visual."):
        return None
    match = _LAYER_RE.match(hf_name)
    if match is None or match.group(2) not in _LAYER:
        raise UnsupportedModelError(f"unexpected text tensor {hf_name!r}")
    layer, module, kind = match.groups()
    return f"blk.{layer}.{_LAYER[module]}.{kind}"


def _add_hparams(writer: gguf.GGUFWriter, config: QwenVLConfig, dtype: DType) -> None:
    text = config.text
    writer.add_type("model")
    writer.add_name(f"{config.family} text")
    writer.add_file_type(FILE_TYPES[dtype])
    writer.add_block_count(int(text["num_hidden_layers"]))
    writer.add_context_length(int(text["max_position_embeddings"]))
    writer.add_embedding_length(int(text["hidden_size"]))
    writer.add_feed_forward_length(int(text["intermediate_size"]))
    writer.add_head_count(int(text["num_attention_heads"]))
    writer.add_head_count_kv(int(text.get("num_key_value_heads") or text["num_attention_heads"]))
    writer.add_rope_freq_base(config.rope_theta)
    writer.add_layer_norm_rms_eps(float(text.get("rms_norm_eps", 1e-6)))
    sections = config.mrope_section
    if len(sections) > 4:
        raise UnsupportedModelError(f"mrope_section {sections} has more than 4 parts")
    writer.add_rope_dimension_sections(sections + [0] * (4 - len(sections)))
    if config.architecture.gguf_arch == "qwen3vl":
        _add_qwen3_hparams(writer, config)


def _add_qwen3_hparams(writer: gguf.GGUFWriter, config: QwenVLConfig) -> None:
    """Head size (Qwen3 does not derive it from the width) and the deepstack layer count."""
    text = config.text
    head_dim = int(text.get("head_dim") or text["hidden_size"] // text["num_attention_heads"])
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    if 2 * sum(config.mrope_section) != head_dim:
        raise UnsupportedModelError(f"mrope_section {config.mrope_section} does not cover "
                                    f"the {head_dim // 2} rotary pairs of a {head_dim}-wide head")
    deepstack = len(config.vision.get("deepstack_visual_indexes") or [])
    if deepstack >= int(text["num_hidden_layers"]):  # llama.cpp 0.3.36 aborts on such a model
        raise UnsupportedModelError(f"{deepstack} deepstack features for "
                                    f"{text['num_hidden_layers']} decoder layers: llama.cpp adds "
                                    "them only to layers before the last")
    writer.add_num_deepstack_layers(deepstack)


def convert_text(hf_dir: Path, out_path: Path, *, dtype: DType = "f16") -> Path:
    """Write the GGUF text model (weights in ``dtype``, norms and biases f32) to ``out_path``."""
    check_dtype(dtype)
    config = read_config(hf_dir)
    vocab = read_vocab(hf_dir, int(config.text["vocab_size"]))

    def fill(writer: gguf.GGUFWriter) -> None:
        _add_hparams(writer, config, dtype)
        add_vocab(writer, vocab)
        seen = set()
        for hf_name, tensor in iter_tensors(hf_dir):
            name = text_tensor_name(hf_name)
            if name is None or (name == "output.weight" and config.tie_word_embeddings):
                continue
            add_tensor(writer, name, tensor, dtype)
            seen.add(name)
        if "token_embd.weight" not in seen:
            raise UnsupportedModelError(f"{hf_dir} has no model.embed_tokens.weight")

    return write_gguf(out_path, config.architecture.gguf_arch, fill)
