"""Qwen3-VL text parity: torch (HF, eager, f32) against llama.cpp running our ``qwen3vl`` GGUF.

The tiny Qwen3-VL (``models.tiny_qwen3``) has Q/K norms, a 16-wide head with interleaved
M-RoPE sections [3, 3, 2] and random (not unit) norm weights, so a wrong eps, a missing norm or
a mis-ordered rotary pair each move the logits far more than the tolerance. Tolerances: f32 GGUF
max |Δlogit| over every position and the whole vocabulary < 1e-4 with identical greedy tokens.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from models.tiny import TinyModel
from tests.models.test_parity_text import PROMPT, TEXTS, _llama, llama_logits, torch_logits


def qwen3_model(tiny: TinyModel) -> Any:
    from transformers import Qwen3VLForConditionalGeneration

    return Qwen3VLForConditionalGeneration.from_pretrained(
        tiny.hf_dir, attn_implementation="eager").eval()


def qwen3_ids(tiny: TinyModel, text: str = PROMPT) -> list[int]:
    from transformers import AutoTokenizer

    ids: list[int] = AutoTokenizer.from_pretrained(tiny.hf_dir).encode(text)
    return ids


def test_the_text_model_is_a_qwen3vl_gguf(tiny_qwen3: TinyModel) -> None:
    from gguf import GGUFReader

    reader = GGUFReader(str(tiny_qwen3.gguf_path))
    fields = {name: field.contents() for name, field in reader.fields.items()
              if not name.startswith("tokenizer.")}
    assert fields["general.architecture"] == "qwen3vl"
    assert fields["qwen3vl.n_deepstack_layers"] == 2
    assert fields["qwen3vl.rope.dimension_sections"] == [3, 3, 2, 0]
    assert fields["qwen3vl.attention.key_length"] == 16
    names = {t.name for t in reader.tensors}
    assert {"blk.0.attn_q_norm.weight", "blk.1.attn_k_norm.weight"} <= names
    assert not any(n.startswith("v.") for n in names)


@pytest.mark.parametrize("text", TEXTS[:3])
def test_tokenizer_matches_llama_cpp(tiny_qwen3: TinyModel, text: str) -> None:
    from llama_cpp import Llama

    llm = Llama(str(tiny_qwen3.gguf_path), vocab_only=True, verbose=False)
    theirs = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
    assert theirs == qwen3_ids(tiny_qwen3, text)


def test_f32_logits_and_greedy_tokens_match(tiny_qwen3: TinyModel) -> None:
    model, ids = qwen3_model(tiny_qwen3), qwen3_ids(tiny_qwen3)
    ours, theirs = torch_logits(model, ids), llama_logits(tiny_qwen3.gguf_path, ids)
    assert ours.std() > 0.05  # the logits are not flat: the comparison means something
    assert np.abs(ours - theirs).max() < 1e-4
    llm, torch_ids, llama_ids = _llama(tiny_qwen3.gguf_path), list(ids), list(ids)
    llm.eval(ids)
    for _ in range(8):
        torch_ids.append(int(torch_logits(model, torch_ids)[-1].argmax()))
        llama_ids.append(int(np.argmax(llm.scores[llm.n_tokens - 1])))
        llm.eval(llama_ids[-1:])
    assert llama_ids == torch_ids
