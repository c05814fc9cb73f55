"""The llama.cpp objects the runtime owns: model, context, token batch, and their settings.

Kept apart from the runtime's logic so that ``llama.py`` reads as the algorithm (prefix reuse,
swap, sampling) and this file as the plumbing (parameter structs, decode calls, logging).
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path
from typing import Any

import numpy as np

from models.runtime.config import RuntimeConfig

log = logging.getLogger("deskhand.llama")
_LEVELS = {3: logging.WARNING, 4: logging.ERROR}  # ggml_log_level; 5 continues a line
_log_callback: Any = None  # the installed CFUNCTYPE, kept alive for the process


def quiet_llama_logs() -> None:
    """Send llama.cpp's and mtmd's warnings and errors to ``logging``; drop their chatter."""
    global _log_callback
    if _log_callback is not None:
        return
    from llama_cpp import llama_cpp as ll
    from llama_cpp import mtmd_cpp

    last = [0]

    def forward(level: int, text: bytes, _data: Any) -> None:
        level = last[0] if level == 5 else level
        last[0] = level
        if level in _LEVELS and text and text.strip():
            log.log(_LEVELS[level], "%s", text.decode("utf-8", "replace").rstrip())

    _log_callback = ll.llama_log_callback(forward)
    ll.llama_log_set(_log_callback, None)
    mtmd_cpp.mtmd_helper_log_set(_log_callback, None)


def context_params(ll: Any, config: RuntimeConfig, *, n_ctx: int, n_seq: int, unified: bool,
                   n_batch: int | None = None) -> Any:
    """``llama_context_params`` for a context of ``n_ctx`` cells and ``n_seq`` sequences."""
    cparams = ll.llama_context_default_params()
    cparams.n_ctx = n_ctx
    cparams.n_batch = cparams.n_ubatch = n_batch or config.n_batch
    cparams.n_seq_max = n_seq
    cparams.kv_unified = unified
    cparams.n_threads = cparams.n_threads_batch = config.resolved_threads
    cparams.flash_attn_type = config.flash_attn_type
    return cparams


class DecodeAborted(Exception):
    """llama_decode stopped because the abort callback said so."""


class Native:
    """A loaded model and one context (``kv_slots`` sequences) with a reusable token batch."""

    def __init__(self, model_path: Path, config: RuntimeConfig) -> None:
        from llama_cpp import llama_cpp as ll

        quiet_llama_logs()
        ll.llama_backend_init()
        self.ll = ll
        mparams = ll.llama_model_default_params()
        mparams.n_gpu_layers = config.n_gpu_layers
        mparams.use_extra_bufts = config.cpu_repack
        self.model: int = ll.llama_model_load_from_file(
            str(model_path).encode(), mparams)
        if not self.model:
            raise RuntimeError(f"llama.cpp could not load the model {model_path}")
        # one stream of n_ctx cells per sequence (kv_unified off): n_ctx per adapter's slot
        cparams = context_params(ll, config, n_ctx=config.n_ctx * config.kv_slots,
                                 n_seq=config.kv_slots, unified=False)
        self.ctx: int = ll.llama_init_from_model(self.model, cparams)
        if not self.ctx:
            ll.llama_model_free(self.model)
            raise RuntimeError("llama.cpp could not create a context (n_ctx too large?)")
        self.vocab: int = ll.llama_model_get_vocab(self.model)
        self.n_vocab = int(ll.llama_vocab_n_tokens(self.vocab))
        self.n_batch = config.n_batch
        self.n_ctx = int(ll.llama_n_ctx_seq(self.ctx))  # per sequence
        self.memory = ll.llama_get_memory(self.ctx)
        self._batch = ll.llama_batch_init(config.n_batch, 0, 1)
        # numpy views on the batch's arrays: filling 2,000 prompt tokens field by field through
        # ctypes costs milliseconds; every token is in sequence 0 only
        n = config.n_batch
        self._tokens = np.ctypeslib.as_array(self._batch.token, shape=(n,))
        self._pos = np.ctypeslib.as_array(self._batch.pos, shape=(n,))
        self._logits = np.ctypeslib.as_array(self._batch.logits, shape=(n,))
        np.ctypeslib.as_array(self._batch.n_seq_id, shape=(n,))[:] = 1
        self.seq = -1
        self.use_seq(0)
        self._abort: Any = None  # the installed abort callback, kept alive

    def use_seq(self, seq: int) -> None:
        """Make ``seq`` the sequence that :meth:`decode` and :meth:`forget_from` work on."""
        if seq != self.seq:
            for i in range(self.n_batch):
                self._batch.seq_id[i][0] = seq
            self.seq = seq

    def set_abort(self, callback: Any, data: int | None) -> None:
        self._abort = callback
        self.ll.llama_set_abort_callback(self.ctx, callback, data)

    def decode(self, tokens: list[int], n_past: int, logits_last: bool) -> None:
        """Decode ``tokens`` at positions ``n_past...`` in batches of ``n_batch``."""
        batch = self._batch
        for start in range(0, len(tokens), self.n_batch):
            n = min(self.n_batch, len(tokens) - start)
            self._tokens[:n] = tokens[start:start + n]
            self._pos[:n] = np.arange(n_past + start, n_past + start + n, dtype=np.int32)
            self._logits[:n] = 0
            self._logits[n - 1] = int(logits_last and start + n == len(tokens))
            batch.n_tokens = n
            rc = self.ll.llama_decode(self.ctx, batch)
            if rc == 2:
                raise DecodeAborted()
            if rc != 0:
                raise RuntimeError(f"llama_decode failed with code {rc}")

    def forget_from(self, pos: int, seq: int | None = None) -> bool:
        """Remove positions ``>= pos`` of a sequence (the current one) from the KV cache;
        False if it cannot."""
        target = self.seq if seq is None else seq
        return bool(self.ll.llama_memory_seq_rm(self.memory, target, pos, -1))

    def clear_memory(self) -> None:
        self.ll.llama_memory_clear(self.memory, True)

    def last_logits(self) -> np.ndarray:
        """A copy of the logits of the last output of the last decode, ``[n_vocab]``."""
        ptr = self.ll.llama_get_logits_ith(self.ctx, -1)
        array = ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float * self.n_vocab)).contents
        return np.array(array, dtype=np.float32)

    def is_eog(self, token: int) -> bool:
        return bool(self.ll.llama_vocab_is_eog(self.vocab, token))

    def tokenize(self, text: str) -> list[int]:
        raw = text.encode("utf-8")
        size = len(raw) + 8
        buf = (self.ll.llama_token * size)()
        n = self.ll.llama_tokenize(self.vocab, raw, len(raw), buf, size,
                                   True, True)
        if n < 0:
            raise RuntimeError(f"tokenization failed ({n})")
        return list(buf[:n])

    def close_context(self) -> None:
        if self.ctx:
            self.ll.llama_batch_free(self._batch)
            self.ll.llama_free(self.ctx)
            self.ctx = 0

    def close_model(self) -> None:
        """Free the model (after the context, and after any adapters freed by hand)."""
        self.close_context()
        if self.model:
            self.ll.llama_model_free(self.model)
            self.model = 0
