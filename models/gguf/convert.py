"""One call for the whole model: HF Qwen2-VL / Qwen2.5-VL folder → GGUF text model + mmproj.

The two files are independent (llama.cpp loads the text model, mtmd the mmproj next to it), so
they may use different dtypes: the vision tower is small and sensitive, hence f32 by default.
"""

from __future__ import annotations

from pathlib import Path

from models.gguf.hf import DType
from models.gguf.qwen_mmproj import convert_mmproj
from models.gguf.qwen_text import convert_text


def convert_qwen_vl(hf_dir: Path, text_path: Path, mmproj_path: Path, *, dtype: DType = "f16",
                    mmproj_dtype: DType = "f32") -> tuple[Path, Path]:
    """Write ``text_path`` (weights in ``dtype``) and ``mmproj_path`` (``mmproj_dtype``)."""
    return (convert_text(hf_dir, text_path, dtype=dtype),
            convert_mmproj(hf_dir, mmproj_path, dtype=mmproj_dtype))
