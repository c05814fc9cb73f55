"""The trainer loads the architecture a model folder's config names, and refuses the others
before reading any weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from learner.base_model import load_base
from learner.policy import load_lora_model
from models.architectures import UnsupportedArchitecture
from models.tiny import TinyModel


def test_a_qwen25vl_folder_loads_as_qwen25vl(tiny_model: TinyModel) -> None:
    model = load_lora_model(tiny_model.hf_dir, rank=2, alpha=4)
    assert type(model.base_model.model).__name__ == "Qwen2_5_VLForConditionalGeneration"
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n and "visual" not in n for n in trainable)


def test_an_unsupported_architecture_is_refused_up_front(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llava"}))
    with pytest.raises(UnsupportedArchitecture, match="'llava'.*qwen3_vl"):
        load_base(tmp_path)  # no weights there: refused before from_pretrained looks


def test_a_folder_without_a_config_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedArchitecture, match="not a Hugging Face model folder"):
        load_base(tmp_path)
