"""peft LoRA → GGUF adapter: layout, alpha (plain, rsLoRA, per-module patterns), refusals."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest

from models.gguf.hf import UnsupportedModelError
from models.gguf.lora import TEXT_TARGET_MODULES, export_lora
from models.tiny import TinyModel

TARGETS = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]


def peft_model(tiny: TinyModel, seed: int = 0, **lora: Any) -> Any:
    """The tiny HF model with a LoRA whose B is random (a fresh LoRA has B = 0)."""
    import torch
    from peft import LoraConfig, get_peft_model

    from learner.base_model import load_base

    base = load_base(tiny.hf_dir)  # Qwen2.5-VL or Qwen3-VL, as the folder says
    options = {"r": 4, "lora_alpha": 8, "target_modules": TEXT_TARGET_MODULES, **lora}
    with warnings.catch_warnings():  # peft 0.21 calls a transformers-5 deprecated alias
        warnings.filterwarnings("ignore", "`is_gradient_checkpointing` is deprecated",
                                FutureWarning)
        model = get_peft_model(base, LoraConfig(**options))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.3)
    return model


def _read(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    reader = gguf.GGUFReader(str(path))
    fields = {k: f.contents() for k, f in reader.fields.items()}
    return fields, {t.name: np.array(t.data) for t in reader.tensors}


def _peft_weight(model: Any, layer: int, module: str, half: str) -> np.ndarray:
    for name, param in model.named_parameters():
        if f"layers.{layer}.{module}.lora_{half}." in name:
            return np.asarray(param.detach().numpy())
    raise KeyError(module)


def test_adapter_holds_a_and_b_as_peft_has_them(tiny_model: TinyModel, tmp_path: Path) -> None:
    model = peft_model(tiny_model)
    fields, tensors = _read(export_lora(model, tmp_path / "a.gguf"))
    assert fields["general.architecture"] == "qwen2vl"
    assert fields["general.type"] == "adapter"
    assert fields["adapter.type"] == "lora"
    assert fields["adapter.lora.alpha"] == 8.0
    assert set(tensors) == {f"blk.{i}.{t}.weight.lora_{h}" for i in range(2) for t in TARGETS
                            for h in "ab"}
    np.testing.assert_array_equal(tensors["blk.1.attn_k.weight.lora_a"],
                                  _peft_weight(model, 1, "self_attn.k_proj", "A"))  # [r, in]
    np.testing.assert_array_equal(tensors["blk.0.ffn_down.weight.lora_b"],
                                  _peft_weight(model, 0, "mlp.down_proj", "B"))  # [out, r]


def test_saved_folder_exports_like_the_live_model(tiny_model: TinyModel, tmp_path: Path) -> None:
    model = peft_model(tiny_model, seed=3)
    model.save_pretrained(str(tmp_path / "adapter"))
    live = _read(export_lora(model, tmp_path / "live.gguf"))
    saved = _read(export_lora(tmp_path / "adapter", tmp_path / "saved.gguf"))
    assert live[0]["adapter.lora.alpha"] == saved[0]["adapter.lora.alpha"]
    assert live[1].keys() == saved[1].keys()
    for name, data in live[1].items():
        np.testing.assert_array_equal(data, saved[1][name])


def test_rslora_alpha_gives_llama_cpp_the_peft_scale(tiny_model: TinyModel,
                                                     tmp_path: Path) -> None:
    model = peft_model(tiny_model, r=4, lora_alpha=8, use_rslora=True)
    fields, _ = _read(export_lora(model, tmp_path / "a.gguf"))
    # peft: alpha / sqrt(r) = 4; llama.cpp: gguf_alpha / r = 16 / 4 = 4
    assert fields["adapter.lora.alpha"] == pytest.approx(16.0)


def test_per_module_alphas_are_folded_into_b(tiny_model: TinyModel, tmp_path: Path) -> None:
    model = peft_model(tiny_model, alpha_pattern={"q_proj": 16})
    fields, tensors = _read(export_lora(model, tmp_path / "a.gguf"))
    assert fields["adapter.lora.alpha"] == 0.0  # llama.cpp then applies B·A unscaled
    np.testing.assert_allclose(tensors["blk.0.attn_q.weight.lora_b"],
                               _peft_weight(model, 0, "self_attn.q_proj", "B") * 16 / 4,
                               rtol=1e-6)
    np.testing.assert_allclose(tensors["blk.0.attn_v.weight.lora_b"],
                               _peft_weight(model, 0, "self_attn.v_proj", "B") * 8 / 4,
                               rtol=1e-6)


@pytest.mark.parametrize("targets", [["qkv"], ["embed_tokens"]])
def test_targets_llama_cpp_cannot_take_are_refused(tiny_model: TinyModel, tmp_path: Path,
                                                   targets: list[str]) -> None:
    model = peft_model(tiny_model, target_modules=targets)
    with pytest.raises(UnsupportedModelError, match="only the text model"):
        export_lora(model, tmp_path / "a.gguf")
    assert not (tmp_path / "a.gguf").exists()
