"""The bare llama-cpp-python call the benchmark compares the runtime with.

"Bare" means the shortest correct use of the same bindings on the same loaded model, prompt,
image and thread count, with none of Deskhand's bookkeeping: clear the KV cache,
``mtmd_bitmap_init`` from the raw pixels, ``mtmd_tokenize``, ``mtmd_helper_eval_chunks``, then
a greedy loop of ``llama_decode`` on single tokens, exactly ``max_new_tokens`` of them
(end-of-generation ignored, as the benchmark asks of the runtime too). It has its own llama
context and its own mtmd context (same threads, flash attention and image token bounds, no
cancellation hook), sharing the model's weights.
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.runtime.config import RuntimeConfig
from models.runtime.mtmd import context_params


@dataclass(frozen=True)
class BareResult:
    n_tokens: int
    ttft_s: float
    total_s: float


class BareLlama:
    """A second context on an already loaded model, driven with plain mtmd helper calls."""

    def __init__(self, model: int, mmproj: Path, config: RuntimeConfig) -> None:
        from llama_cpp import llama_cpp as ll
        from llama_cpp import mtmd_cpp

        self.ll, self.mtmd = ll, mtmd_cpp
        cparams = ll.llama_context_default_params()
        cparams.n_ctx = config.n_ctx
        cparams.n_batch = cparams.n_ubatch = config.n_batch
        cparams.n_threads = cparams.n_threads_batch = config.resolved_threads
        cparams.flash_attn_type = config.flash_attn_type
        self.n_batch = config.n_batch
        self.ctx = ll.llama_init_from_model(model, cparams)
        self.vocab = ll.llama_model_get_vocab(model)
        mparams = context_params(config)
        self.mctx = mtmd_cpp.mtmd_init_from_file(str(mmproj).encode(), model,
                                                 mparams)
        if not self.ctx or not self.mctx:
            self.close()
            raise RuntimeError("could not create the baseline contexts")

    def run(self, text: str, image: np.ndarray, max_new_tokens: int) -> BareResult:
        ll, mtmd = self.ll, self.mtmd
        start = time.perf_counter()
        ll.llama_memory_clear(ll.llama_get_memory(self.ctx), True)
        pixels = np.ascontiguousarray(image)
        bitmap = mtmd.mtmd_bitmap_init(pixels.shape[1], pixels.shape[0],
                                       pixels.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)))
        chunks = mtmd.mtmd_input_chunks_init()
        raw = text.encode()
        inp = mtmd.mtmd_input_text(raw, len(raw), True, True)
        bitmaps = (mtmd.mtmd_bitmap_p_ctypes * 1)(bitmap)
        if mtmd.mtmd_tokenize(self.mctx, chunks, ctypes.byref(inp), bitmaps, 1) != 0:
            raise RuntimeError("mtmd_tokenize failed")
        n_past = ll.llama_pos(0)
        rc = mtmd.mtmd_helper_eval_chunks(self.mctx, self.ctx, chunks, 0, 0,
                                          self.n_batch, True, ctypes.byref(n_past))
        mtmd.mtmd_input_chunks_free(chunks)
        mtmd.mtmd_bitmap_free(bitmap)
        if rc != 0:
            raise RuntimeError(f"mtmd_helper_eval_chunks failed with code {rc}")
        sampler = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
        ll.llama_sampler_chain_add(sampler, ll.llama_sampler_init_greedy())
        token_buf = (ll.llama_token * 1)()
        n, first = 0, 0.0
        while n < max_new_tokens:
            token = ll.llama_sampler_sample(sampler, self.ctx, -1)
            if n == 0:
                first = time.perf_counter()
            n += 1
            piece = ctypes.create_string_buffer(64)
            ll.llama_token_to_piece(self.vocab, token, piece, 64, 0, False)
            if n == max_new_tokens:
                break
            token_buf[0] = token
            ll.llama_decode(self.ctx, ll.llama_batch_get_one(token_buf, 1))
        ll.llama_sampler_free(sampler)
        end = time.perf_counter()
        return BareResult(n_tokens=n, ttft_s=first - start, total_s=end - start)

    def close(self) -> None:
        if getattr(self, "mctx", None):
            self.mtmd.mtmd_free(self.mctx)
            self.mctx = None
        if getattr(self, "ctx", None):
            self.ll.llama_free(self.ctx)
            self.ctx = None
