"""Load a base model folder as the architecture its ``config.json`` names.

The trainer never names a model class: ``transformers.AutoModelForImageTextToText`` maps the
folder's ``model_type`` to Qwen2-VL, Qwen2.5-VL or Qwen3-VL, and :mod:`models.architectures`
decides beforehand whether Deskhand supports that type at all (it must also be convertible to
GGUF and its LoRA exportable, or a trained adapter could never be served).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.architectures import Architecture, of_folder


def load_base(hf_dir: Path, **kwargs: Any) -> Any:
    """``from_pretrained`` of ``hf_dir`` through the auto class (``kwargs``: dtype, device_map,
    quantization_config, ...); :class:`models.architectures.UnsupportedArchitecture` for a
    folder of an unsupported architecture, before any weights are read."""
    from transformers import AutoModelForImageTextToText

    base_architecture(hf_dir)
    return AutoModelForImageTextToText.from_pretrained(str(hf_dir), **kwargs)


def base_architecture(hf_dir: Path) -> Architecture:
    """The supported architecture of ``hf_dir`` (raises for any other)."""
    return of_folder(Path(hf_dir))
