"""The tiny test models: cached builds, a loadable HF model + tokenizer, GGUFs llama.cpp opens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from models.tiny import CONTEXT, SPECIAL_TOKENS, TinyModel, build_tiny


def _stamps(model: TinyModel) -> dict[Path, int]:
    files = [model.gguf_path, model.mmproj_path, *model.hf_dir.iterdir()]
    return {path: path.stat().st_mtime_ns for path in files}


def test_second_build_is_served_from_cache(tiny_model: TinyModel, tiny_cache_dir: Path) -> None:
    before = _stamps(tiny_model)
    start = time.perf_counter()
    again = build_tiny(tiny_cache_dir, hidden=64, seed=0)
    assert time.perf_counter() - start < 0.5
    assert again == tiny_model
    assert _stamps(again) == before


def test_other_parameters_build_elsewhere_with_other_weights(tmp_path: Path,
                                                            tiny_model: TinyModel) -> None:
    from safetensors.torch import load_file

    other = build_tiny(tmp_path, hidden=64, seed=1)
    assert other.hf_dir != tiny_model.hf_dir
    assert other.gguf_path.exists() and other.mmproj_path.exists()
    assert not list(tmp_path.glob(".staging-*"))  # the build was moved into place
    mine = load_file(str(tiny_model.hf_dir / "model.safetensors"))
    theirs = load_file(str(other.hf_dir / "model.safetensors"))
    assert not mine["lm_head.weight"].equal(theirs["lm_head.weight"])


def test_a_build_by_older_code_is_replaced(tmp_path: Path) -> None:
    import json

    first = build_tiny(tmp_path, hidden=64, seed=2)
    marker = first.hf_dir.parent / "tiny.json"
    info = json.loads(marker.read_text())
    info["params"]["code"] = "older"
    stale = tmp_path / "tiny-h64-s2-0000000000000000"
    first.hf_dir.parent.rename(stale)
    (stale / "tiny.json").write_text(json.dumps(info))
    again = build_tiny(tmp_path, hidden=64, seed=2)
    assert again.gguf_path.exists()
    assert not stale.exists()


def test_bad_width_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="multiple of 32"):
        build_tiny(tmp_path, hidden=48)


def test_hf_model_loads_and_runs(tiny_model: TinyModel) -> None:
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(tiny_model.hf_dir)
    text = model.config.text_config
    assert (text.hidden_size, text.num_hidden_layers, text.vocab_size) == (64, 2, 512)
    assert text.max_position_embeddings == CONTEXT >= 4096
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([[1, 2, 3, 4]])).logits
    assert logits.shape == (1, 4, 512)
    assert torch.isfinite(logits).all()


def test_tokenizer_is_small_byte_level_and_chatml(tiny_model: TinyModel) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model.hf_dir)
    assert 400 <= len(tok) <= 1000
    text = "Ünïcödé ✓ 日本語 🙂 {\"type\": \"click\", \"x\": 12}\n\ttabs"
    ids = tok.encode(text, add_special_tokens=False)
    assert tok.decode(ids) == text
    for special in SPECIAL_TOKENS:
        assert len(tok.encode(special, add_special_tokens=False)) == 1
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Hi"}]}]
    rendered = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert rendered == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Hi<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_gguf_text_model_opens_in_llama_cpp(tiny_model: TinyModel) -> None:
    import llama_cpp

    llm = llama_cpp.Llama(str(tiny_model.gguf_path), n_ctx=64, verbose=False)
    assert llm.n_vocab() == 512
    assert llama_cpp.llama_model_n_ctx_train(llm.model) == CONTEXT
    assert llm.metadata["general.architecture"] == "qwen2vl"
    out = llm.create_completion("Click the", max_tokens=3, temperature=0.0)
    assert out["usage"]["completion_tokens"] >= 1


def test_mmproj_opens_in_mtmd_with_vision(tiny_model: TinyModel) -> None:
    import llama_cpp
    from llama_cpp import mtmd_cpp

    llm = llama_cpp.Llama(str(tiny_model.gguf_path), n_ctx=64, verbose=False)
    params = mtmd_cpp.mtmd_context_params_default()
    params.use_gpu = False
    params.print_timings = False
    params.n_threads = 1
    params.warmup = False
    ctx = mtmd_cpp.mtmd_init_from_file(str(tiny_model.mmproj_path).encode(), llm.model, params)
    assert ctx, "mtmd refused the mmproj"
    try:
        assert mtmd_cpp.mtmd_support_vision(ctx)
        assert mtmd_cpp.mtmd_decode_use_mrope(ctx)
    finally:
        mtmd_cpp.mtmd_free(ctx)
