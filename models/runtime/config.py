"""Settings of the llama.cpp runtime (the ``[runtime]`` table of config.toml).

One frozen dataclass, validated on construction so that a bad value fails when the config is
loaded, not in the middle of an episode. ``0`` for ``image_min_tokens`` / ``image_max_tokens``
means "the projector's own default" (mtmd reads it from the GGUF metadata).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal


def default_threads() -> int:
    """Physical-ish core count: half the logical CPUs, at least one.

    >>> default_threads() >= 1
    True
    """
    return max(1, (os.cpu_count() or 2) // 2)


FLASH_ATTN = {"auto": -1, "off": 0, "on": 1}  # llama_flash_attn_type


@dataclass(frozen=True)
class RuntimeConfig:
    threads: int = 0  # CPU threads for decoding and image encoding; 0 = half the logical CPUs
    # layers offloaded to the GPU: "auto" = all that fit when llama.cpp was built with GPU
    # offload, none otherwise (models.runtime.offload resolves it at load); -1 = all; 0 = none.
    # The projector follows (on the GPU unless 0).
    gpu_layers: int | Literal["auto"] = "auto"
    n_ctx: int = 8192  # KV cells per sequence (a 1280-token screenshot + prompt + output)
    n_batch: int = 512  # tokens per llama_decode call during prefill
    image_min_tokens: int = 0  # 0 = projector default; Qwen-VL grounds poorly under 1024
    image_max_tokens: int = 0  # 0 = projector default; also bound the image by resizing it
    temperature: float = 0.7  # used when sampling candidates; 0 = greedy
    top_p: float = 0.95
    top_k: int = 0  # 0 = off
    max_new_tokens: int = 512
    seed: int = 0
    flash_attn: str = "auto"  # "auto" (llama.cpp decides per device), "on" or "off"
    abort_check_nodes: int = 16  # image encoding checks for cancellation every N graph nodes
    kv_slots: int = 2  # KV sequences of n_ctx each, one per recent adapter (actor, critic)
    # answers decoded side by side by generate_many (the reward model judging a group of
    # actions on one screenshot, in a second context of n_ctx cells); 1 = one after another,
    # as with flash_attn "off"
    batch_width: int = 8
    # llama.cpp's CPU weight repacking ("extra buffer types": AMX / AVX-512 tile kernels for
    # quantized weights). Faster where the CPU really has them, but some virtual machines
    # advertise AMX and then fault on it (SIGILL, seen on this project's build machines), so
    # it is off unless turned on.
    cpu_repack: bool = False

    def __post_init__(self) -> None:
        checks = [
            (self.threads >= 0, "threads must be >= 0"),
            (self.gpu_layers == "auto" or (isinstance(self.gpu_layers, int)
                                            and self.gpu_layers >= -1),
             "gpu_layers must be 'auto' or >= -1"),
            (self.n_ctx >= 64, "n_ctx must be >= 64"),
            (1 <= self.n_batch <= self.n_ctx, "n_batch must be in [1, n_ctx]"),
            (self.image_min_tokens >= 0, "image_min_tokens must be >= 0"),
            (self.image_max_tokens >= 0, "image_max_tokens must be >= 0"),
            (not (self.image_max_tokens and self.image_min_tokens > self.image_max_tokens),
             "image_min_tokens must be <= image_max_tokens"),
            (self.temperature >= 0.0, "temperature must be >= 0"),
            (0.0 < self.top_p <= 1.0, "top_p must be in (0, 1]"),
            (self.top_k >= 0, "top_k must be >= 0"),
            (self.max_new_tokens >= 1, "max_new_tokens must be >= 1"),
            (self.seed >= 0, "seed must be >= 0"),
            (self.abort_check_nodes >= 0, "abort_check_nodes must be >= 0"),
            (1 <= self.kv_slots <= 8, "kv_slots must be in [1, 8]"),
            (1 <= self.batch_width <= 64, "batch_width must be in [1, 64]"),
            (self.flash_attn in FLASH_ATTN, "flash_attn must be 'auto', 'on' or 'off'"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def flash_attn_type(self) -> int:
        """``flash_attn`` as llama.cpp's enum (for both the text model and the projector).

        >>> RuntimeConfig().flash_attn_type, RuntimeConfig(flash_attn="on").flash_attn_type
        (-1, 1)
        """
        return FLASH_ATTN[self.flash_attn]

    @property
    def n_gpu_layers(self) -> int:
        """``gpu_layers`` as llama.cpp's ``n_gpu_layers``; an unresolved "auto" is 0 (the CPU):
        :func:`models.runtime.offload.resolve_offload` turns it into a number at load.

        >>> RuntimeConfig().n_gpu_layers, RuntimeConfig(gpu_layers=-1).n_gpu_layers
        (0, -1)
        """
        return 0 if self.gpu_layers == "auto" else int(self.gpu_layers)

    @property
    def resolved_threads(self) -> int:
        """``threads``, with 0 replaced by :func:`default_threads`.

        >>> RuntimeConfig(threads=3).resolved_threads
        3
        """
        return self.threads or default_threads()
