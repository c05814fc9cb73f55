"""The vision-language architectures Deskhand can train, convert and serve, in one table.

A Hugging Face folder says what it holds in ``config.json`` (``model_type``); llama.cpp names
the same model by its GGUF architecture (``general.architecture``) and the kind of vision
projector mtmd runs. Every layer that must know "which model is this" asks here, so adding an
architecture is one row plus its converter — never a class name hard-coded in the trainer.

The design choice a reader must know: the table is keyed by ``model_type`` and nothing else;
a folder whose type is not in it is refused up front with :class:`UnsupportedArchitecture`
(before any weights are read), instead of failing half-way through a load or an export.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


class UnsupportedArchitecture(ValueError):
    """The model folder (or GGUF) is of an architecture Deskhand does not support."""


@dataclass(frozen=True)
class Architecture:
    """One supported architecture: its HF ``model_type``, GGUF arch and mtmd projector."""

    model_type: str
    gguf_arch: str  # general.architecture of the text model and of its LoRA adapters
    projector: str  # clip.projector_type of the mmproj


ARCHITECTURES: dict[str, Architecture] = {a.model_type: a for a in (
    Architecture("qwen2_vl", "qwen2vl", "qwen2vl_merger"),
    Architecture("qwen2_5_vl", "qwen2vl", "qwen2.5vl_merger"),
    Architecture("qwen3_vl", "qwen3vl", "qwen3vl_merger"),
)}


def architecture(model_type: str) -> Architecture:
    """The row for ``model_type``, or :class:`UnsupportedArchitecture` naming what is known.

    >>> architecture("qwen3_vl").gguf_arch, architecture("qwen3_vl").projector
    ('qwen3vl', 'qwen3vl_merger')
    >>> try:
    ...     architecture("llava")
    ... except UnsupportedArchitecture as exc:
    ...     print(exc)
    unsupported model_type 'llava'; supported: qwen2_vl, qwen2_5_vl, qwen3_vl
    """
    if model_type not in ARCHITECTURES:
        raise UnsupportedArchitecture(
            f"unsupported model_type {model_type!r}; supported: {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[model_type]


def of_folder(hf_dir: Path) -> Architecture:
    """The architecture of a Hugging Face model folder (read from its ``config.json``)."""
    path = Path(hf_dir) / "config.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UnsupportedArchitecture(f"{path} not found: not a Hugging Face model folder") \
            from None
    return architecture(str(raw.get("model_type")))


def gguf_archs() -> tuple[str, ...]:
    """The GGUF architectures of the table, each once.

    >>> gguf_archs()
    ('qwen2vl', 'qwen3vl')
    """
    return tuple(dict.fromkeys(a.gguf_arch for a in ARCHITECTURES.values()))
