"""Quantization through llama.cpp: the files hold the asked types; bad requests fail early."""

from __future__ import annotations

from pathlib import Path

import gguf
import pytest

from models.gguf.quantize import quantize_gguf
from models.tiny import TinyModel


def _types(path: Path) -> dict[str, gguf.GGMLQuantizationType]:
    return {t.name: t.tensor_type for t in gguf.GGUFReader(str(path)).tensors}


def test_q8_0_and_q4_k_m_files_hold_quantized_weights(tiny_model_256: TinyModel) -> None:
    q8 = _types(tiny_model_256.quantized["Q8_0"])
    assert q8["blk.0.attn_q.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert q8["blk.0.attn_norm.weight"] == gguf.GGMLQuantizationType.F32
    q4 = _types(tiny_model_256.quantized["Q4_K_M"])
    assert q4["blk.0.attn_q.weight"] == gguf.GGMLQuantizationType.Q4_K
    assert gguf.GGMLQuantizationType.Q6_K in q4.values()  # the _M mix keeps some tensors Q6_K
    sizes = {name: path.stat().st_size for name, path in tiny_model_256.quantized.items()}
    assert sizes["Q4_K_M"] < sizes["Q8_0"] < tiny_model_256.gguf_path.stat().st_size


def test_k_quants_refuse_rows_not_divisible_by_256(tiny_model: TinyModel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="divisible by 256"):
        quantize_gguf(tiny_model.gguf_path, tmp_path / "q.gguf", "Q4_K_M")
    assert not (tmp_path / "q.gguf").exists()


def test_unknown_type_is_refused(tiny_model: TinyModel, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown quantization type 'Q3_X'"):
        quantize_gguf(tiny_model.gguf_path, tmp_path / "q.gguf", "Q3_X")


def test_q8_0_works_on_the_64_wide_model(tiny_model: TinyModel, tmp_path: Path) -> None:
    out = quantize_gguf(tiny_model.gguf_path, tmp_path / "q.gguf", "Q8_0")
    assert _types(out)["blk.1.ffn_up.weight"] == gguf.GGMLQuantizationType.Q8_0
