"""Text parity between torch (HF, eager, f32) and llama.cpp running our GGUF conversions.

Tolerances, max |Δlogit| over every position and the whole vocabulary (f32 KV cache; the tiny
models' logits have a std of about 0.3): f32 GGUF 1e-4 (measured ~1e-6) and identical greedy
tokens; f16 GGUF 2e-3 (measured 3e-4), bf16 1e-2 (3e-3), both with the same top-1 everywhere;
f32 GGUF + LoRA (plain, rsLoRA with a per-module alpha) 1e-4. Over 200 positions of the
256-wide model: Q8_0 max |Δ| < 0.1 (measured 0.026), top-1 agreement >= 95% (98.5%),
correlation >= 0.999; Q4_K_M correlation >= 0.97 (0.988), llama.cpp's top-1 within torch's top-5
at >= 95% of positions (100%), top-1 agreement >= 60% (73.5%: random tiny models have nearly
flat logits, so exact top-1 is a weak measure for a 4-bit model).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.gguf.lora import export_lora
from models.gguf.qwen_text import convert_text
from models.tiny import TinyModel, corpus
from tests.models.test_gguf_lora import peft_model

GGML_TYPE_F32 = 0
TEXTS = [
    "Click the Save button, then type \"hello world\" and press ctrl+s.",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
    "Open   the settings\n\n\tmenu?<|im_end|>\n<|im_start|>assistant\n",
    "<|vision_start|><|image_pad|><|image_pad|><|vision_end|><tool_call>x</tool_call>",
    "Numbers 1920x1080, 3.14159 and 2026-11-21; it's they're we'll I'd.",
    "Ünïcödé — 日本語のテキスト 🙂👍🏽 ΑΒΓ ß ﬁ",
    "   leading spaces and trailing   ",
    "",
]
PROMPT = ("<|im_start|>user\nOpen the file menu and click save.<|im_end|>\n"
          "<|im_start|>assistant\n")


@contextmanager
def _without_extra_buffers() -> Iterator[None]:
    """Load with ``use_extra_bufts = False``: this VM advertises AMX but faults on AMX
    instructions (SIGILL in ggml's AMX buffer for Q8_0/Q4_K), and ``Llama`` has no argument."""
    from llama_cpp import llama_cpp as lib

    original = lib.llama_model_default_params

    def params() -> Any:
        value = original()
        value.use_extra_bufts = False
        return value

    lib.llama_model_default_params = params
    try:
        yield
    finally:
        lib.llama_model_default_params = original


def _llama(path: Path, lora: Path | None = None) -> Any:
    from llama_cpp import Llama

    with _without_extra_buffers():
        return Llama(str(path), n_ctx=256, logits_all=True, type_k=GGML_TYPE_F32,
                     type_v=GGML_TYPE_F32, seed=0, n_threads=2, verbose=False,
                     lora_path=str(lora) if lora else None)


def llama_logits(path: Path, ids: list[int], lora: Path | None = None) -> np.ndarray:
    llm = _llama(path, lora)
    llm.eval(ids)
    return np.array(llm.scores[: len(ids)], dtype=np.float32)  # [n, vocab]


def torch_logits(model: Any, ids: list[int]) -> np.ndarray:
    import torch

    with torch.no_grad():
        return np.asarray(model(input_ids=torch.tensor([ids])).logits[0].float().numpy())


def hf_model_at(folder: Path) -> Any:
    from transformers import Qwen2_5_VLForConditionalGeneration

    return Qwen2_5_VLForConditionalGeneration.from_pretrained(
        folder, attn_implementation="eager").eval()


def hf_model(tiny: TinyModel) -> Any:
    return hf_model_at(tiny.hf_dir)


def prompt_ids(tiny: TinyModel) -> list[int]:
    from transformers import AutoTokenizer

    ids: list[int] = AutoTokenizer.from_pretrained(tiny.hf_dir).encode(PROMPT)
    return ids


@pytest.mark.parametrize("text", TEXTS)
def test_tokenizer_matches_llama_cpp(tiny_model: TinyModel, text: str) -> None:
    from llama_cpp import Llama
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model.hf_dir)
    llm = Llama(str(tiny_model.gguf_path), vocab_only=True, verbose=False)
    ours = tok.encode(text, add_special_tokens=False)
    theirs = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
    assert theirs == ours
    assert llm.detokenize(theirs, special=True).decode("utf-8") == text


def greedy_tokens(model: Any, gguf: Path, ids: list[int], n: int = 8) -> tuple[list[int], ...]:
    """``n`` greedy tokens after ``ids``: (torch's, llama.cpp's), each fed its own choices."""
    llm, torch_ids, llama_ids = _llama(gguf), list(ids), list(ids)
    llm.eval(ids)
    for _ in range(n):
        torch_ids.append(int(torch_logits(model, torch_ids)[-1].argmax()))
        llama_ids.append(int(np.argmax(llm.scores[llm.n_tokens - 1])))
        llm.eval(llama_ids[-1:])
    return torch_ids, llama_ids


def test_f32_logits_and_greedy_tokens_match(tiny_model: TinyModel) -> None:
    model, ids = hf_model(tiny_model), prompt_ids(tiny_model)
    ours, theirs = torch_logits(model, ids), llama_logits(tiny_model.gguf_path, ids)
    assert np.abs(ours - theirs).max() < 1e-4
    torch_ids, llama_ids = greedy_tokens(model, tiny_model.gguf_path, ids)
    assert llama_ids == torch_ids


@pytest.mark.parametrize(("dtype", "tolerance"), [("f16", 2e-3), ("bf16", 1e-2)])
def test_half_precision_gguf_stays_close(tiny_model: TinyModel, tmp_path: Path, dtype: Any,
                                         tolerance: float) -> None:
    ids = prompt_ids(tiny_model)
    path = convert_text(tiny_model.hf_dir, tmp_path / "t.gguf", dtype=dtype)
    ours, theirs = torch_logits(hf_model(tiny_model), ids), llama_logits(path, ids)
    assert np.abs(ours - theirs).max() < tolerance
    assert (ours.argmax(-1) == theirs.argmax(-1)).all()


def test_lora_adapter_matches_peft(tiny_model: TinyModel, tmp_path: Path) -> None:
    ids = prompt_ids(tiny_model)
    model = peft_model(tiny_model, seed=1).eval()
    with model.disable_adapter():
        base = torch_logits(model, ids)
    tuned = torch_logits(model, ids)
    assert np.abs(tuned - base).max() > 0.1  # the adapter really changes the model
    adapter = export_lora(model, tmp_path / "lora.gguf")
    theirs = llama_logits(tiny_model.gguf_path, ids, lora=adapter)
    assert np.abs(tuned - theirs).max() < 1e-4


def test_rslora_adapter_matches_peft(tiny_model: TinyModel, tmp_path: Path) -> None:
    ids = prompt_ids(tiny_model)
    model = peft_model(tiny_model, seed=2, r=8, lora_alpha=4, use_rslora=True,
                       alpha_pattern={"down_proj": 12}).eval()
    adapter = export_lora(model, tmp_path / "lora.gguf")
    theirs = llama_logits(tiny_model.gguf_path, ids, lora=adapter)
    assert np.abs(torch_logits(model, ids) - theirs).max() < 1e-4


def long_ids(tiny: TinyModel, count: int = 200) -> list[int]:
    from transformers import AutoTokenizer

    ids: list[int] = AutoTokenizer.from_pretrained(tiny.hf_dir).encode(" ".join(corpus(40)))
    assert len(ids) >= count
    return ids[:count]


def test_q8_0_stays_close(tiny_model_256: TinyModel) -> None:
    model, ids = hf_model(tiny_model_256), long_ids(tiny_model_256)
    ours = torch_logits(model, ids)
    assert np.abs(ours - llama_logits(tiny_model_256.gguf_path, ids)).max() < 1e-4
    theirs = llama_logits(tiny_model_256.quantized["Q8_0"], ids)
    assert np.abs(ours - theirs).max() < 0.1
    assert np.mean(ours.argmax(-1) == theirs.argmax(-1)) >= 0.95
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] >= 0.999


def test_q4_k_m_keeps_the_ranking(tiny_model_256: TinyModel) -> None:
    model, ids = hf_model(tiny_model_256), long_ids(tiny_model_256)
    ours = torch_logits(model, ids)
    theirs = llama_logits(tiny_model_256.quantized["Q4_K_M"], ids)
    top5 = np.argsort(-ours, axis=-1)[:, :5]
    within_top5 = np.mean([theirs[i].argmax() in top5[i] for i in range(len(ids))])
    assert np.corrcoef(ours.ravel(), theirs.ravel())[0, 1] >= 0.97
    assert within_top5 >= 0.95
    assert np.mean(ours.argmax(-1) == theirs.argmax(-1)) >= 0.6


def test_qwen2_vl_text_matches(tiny_model: TinyModel, tmp_path: Path) -> None:
    from transformers import Qwen2VLForConditionalGeneration

    from tests.models.test_gguf_convert import build_qwen2_vl

    folder = build_qwen2_vl(tiny_model, tmp_path / "qwen2vl")
    gguf_path = convert_text(folder, tmp_path / "text.gguf", dtype="f32")
    model = Qwen2VLForConditionalGeneration.from_pretrained(folder, attn_implementation="eager")
    ids = prompt_ids(tiny_model)
    assert np.abs(torch_logits(model.eval(), ids) - llama_logits(gguf_path, ids)).max() < 1e-4


@pytest.mark.xfail(strict=True, reason="llama.cpp 0.3.36 never loads the qwen2vl RMS eps (uses 0);"
                   " when this passes, drop models.tiny.RMS_EPS's workaround")
def test_llama_cpp_honours_the_rms_eps(tiny_model: TinyModel, tmp_path: Path) -> None:
    folder = tmp_path / "hf"
    shutil.copytree(tiny_model.hf_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config["text_config"]["rms_norm_eps"] = 1e-4
    (folder / "config.json").write_text(json.dumps(config))
    gguf_path = convert_text(folder, tmp_path / "text.gguf", dtype="f32")
    ids = prompt_ids(tiny_model)
    ours = torch_logits(hf_model_at(folder), ids)
    assert np.abs(ours - llama_logits(gguf_path, ids)).max() < 1e-4


def test_tied_embeddings_use_the_embedding_as_output(tiny_model: TinyModel,
                                                     tmp_path: Path) -> None:
    """Qwen2.5-VL-3B ties lm_head to the embedding and ships no lm_head.weight."""
    import gguf
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "tied"
    shutil.copytree(tiny_model.hf_dir, folder)
    weights = load_file(str(folder / "model.safetensors"))
    del weights["lm_head.weight"]
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((folder / "config.json").read_text())
    config["tie_word_embeddings"] = config["text_config"]["tie_word_embeddings"] = True
    (folder / "config.json").write_text(json.dumps(config))
    path = convert_text(folder, tmp_path / "t.gguf", dtype="f32")
    assert "output.weight" not in {t.name for t in gguf.GGUFReader(str(path)).tensors}
    ids = prompt_ids(tiny_model)
    assert np.abs(torch_logits(hf_model_at(folder), ids) - llama_logits(path, ids)).max() < 1e-4
