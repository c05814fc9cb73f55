"""Quantize a GGUF text model with llama.cpp's own quantizer (``llama_model_quantize``).

The type names are llama.cpp's (``Q8_0``, ``Q4_K_M``, ...). k-quant types work on blocks of
256 values along each row, so every quantized tensor's row length (its input width) must be a
multiple of 256; this is checked before calling llama.cpp, which would otherwise fall back to
other types or fail deep inside C++.
"""

from __future__ import annotations

import ctypes
import logging
import os
from pathlib import Path

import gguf

FTYPES: dict[str, int] = {
    "F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9, "Q2_K": 10,
    "Q3_K_S": 11, "Q3_K_M": 12, "Q3_K_L": 13, "Q4_K_S": 14, "Q4_K_M": 15, "Q5_K_S": 16,
    "Q5_K_M": 17, "Q6_K": 18, "BF16": 32,
}
_K_QUANTS = frozenset(name for name in FTYPES if "_K" in name)


class QuantizeError(RuntimeError):
    """llama.cpp refused or failed to quantize."""


def block_width(qtype: str) -> int:
    """Row lengths a type needs to divide (1 = any).

    >>> block_width("Q4_K_M"), block_width("Q8_0"), block_width("F16")
    (256, 32, 1)
    """
    if qtype not in FTYPES:
        raise ValueError(f"unknown quantization type {qtype!r}; known: {', '.join(FTYPES)}")
    if qtype in _K_QUANTS:
        return 256
    return 32 if qtype.startswith("Q") else 1


def check_rows(path: Path, qtype: str) -> None:
    """Raise ``ValueError`` naming the first 2-D tensor whose rows ``qtype`` cannot split."""
    width = block_width(qtype)
    reader = gguf.GGUFReader(str(path))
    for tensor in reader.tensors:
        row = int(tensor.shape[0])  # GGUF shapes are ne[0] first: the row length
        if len(tensor.shape) >= 2 and row % width:
            raise ValueError(
                f"{qtype} needs row lengths divisible by {width}; {tensor.name} has {row} "
                "(for tiny models use hidden=256)"
            )


def quantize_gguf(src: Path, dst: Path, qtype: str, *, threads: int | None = None) -> Path:
    """Quantize the GGUF text model ``src`` to ``dst`` as ``qtype``; returns ``dst``."""
    import llama_cpp

    check_rows(Path(src), qtype)
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[qtype]
    params.nthread = threads if threads is not None else max(1, min(4, os.cpu_count() or 1))
    chatter = logging.getLogger("llama-cpp-python")  # llama.cpp's log callback obeys it
    level = chatter.level
    chatter.setLevel(max(level, logging.ERROR))
    try:
        code = llama_cpp.llama_model_quantize(str(src).encode(), str(tmp).encode(),
                                              ctypes.byref(params))
    finally:
        chatter.setLevel(level)
    if code != 0 or not tmp.exists():
        tmp.unlink(missing_ok=True)
        raise QuantizeError(f"llama_model_quantize({src} -> {qtype}) returned {code}")
    tmp.replace(dst)
    return dst
