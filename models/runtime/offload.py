"""``runtime.gpu_layers = "auto"``: every layer that fits on the GPU, or none without one.

The design choice a reader must know: "auto" is resolved once, before the model is loaded, from
facts that are cheap to read (whether llama.cpp was built with GPU offload, the free VRAM that
``nvidia-smi`` reports, the GGUF files' sizes and layer count), by a pure estimate
(:func:`fit_layers`) that leaves room for the KV cache and compute buffers. llama-cpp-python
0.3.36 exposes no fitting API of llama.cpp's own. A number in the config is used as given.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from models.runtime.config import RuntimeConfig

log = logging.getLogger("deskhand.llama")

RESERVE_BYTES = 1024**3  # CUDA context, compute buffers and KV cache beyond the weights
RESERVE_SHARE = 0.10  # and a tenth of the weights' size on top


def fit_layers(n_layers: int, weights: int, free: int | None) -> int:
    """``n_gpu_layers`` for weights of ``weights`` bytes in ``n_layers`` blocks (the output
    layer counts as one more) and ``free`` bytes of VRAM; -1 (all) when everything fits or the
    free memory is unknown.

    >>> GiB = 1024**3
    >>> fit_layers(36, 2 * GiB, 80 * GiB), fit_layers(36, 2 * GiB, None)
    (-1, -1)
    >>> fit_layers(36, 8 * GiB, 5 * GiB), fit_layers(36, 8 * GiB, GiB // 2)
    (14, 0)
    """
    if free is None:
        return -1
    reserve = RESERVE_BYTES + RESERVE_SHARE * weights
    if weights + reserve <= free:
        return -1
    per_layer = weights / (n_layers + 1)
    return max(0, min(n_layers, int((free - reserve) / per_layer)))


def auto_layers(offload: bool, n_layers: int, weights: int, free: int | None) -> int:
    """What "auto" means on a machine: 0 where llama.cpp has no GPU offload, else
    :func:`fit_layers`.

    >>> auto_layers(False, 36, 2 * 1024**3, 80 * 1024**3)
    0
    """
    return fit_layers(n_layers, weights, free) if offload else 0


def block_count(model: Path) -> int:
    """The number of transformer blocks a GGUF declares (``{arch}.block_count``)."""
    from gguf import GGUFReader

    reader = GGUFReader(str(model))
    for name, field in reader.fields.items():
        if name.endswith(".block_count"):
            return int(field.parts[field.data[0]][0])
    raise ValueError(f"{model}: no block_count in the GGUF metadata")


def free_vram() -> int | None:
    """Free bytes over all NVIDIA GPUs (llama.cpp splits layers across them); None: unknown."""
    from models.device import detect_nvidia

    gpus = detect_nvidia().gpus
    if not gpus or any(g.free_mib is None for g in gpus):
        return None
    return sum(g.free_mib or 0 for g in gpus) * 1024**2


def resolve_offload(config: RuntimeConfig, model: Path,
                    mmproj: Path | None = None) -> RuntimeConfig:
    """``config`` with "auto" replaced by a layer count for ``model`` on this machine."""
    if config.gpu_layers != "auto":
        return config
    from llama_cpp import llama_cpp as ll

    if not ll.llama_supports_gpu_offload():
        return replace(config, gpu_layers=0)
    weights = Path(model).stat().st_size + (Path(mmproj).stat().st_size if mmproj else 0)
    free = free_vram()
    layers = fit_layers(1, weights, free)  # everything fits: no need to read the layer count
    if layers != -1:
        layers = auto_layers(True, block_count(Path(model)), weights, free)
    log.info("gpu_layers auto: %s (weights %.2f GiB, free VRAM %s)",
             "all" if layers == -1 else layers, weights / 1024**3,
             "unknown" if free is None else f"{free / 1024**3:.1f} GiB")
    return replace(config, gpu_layers=layers)
