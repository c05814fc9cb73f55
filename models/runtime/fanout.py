"""Several answers decoded side by side after one shared prompt prefix (``generate_many``).

The reward model judges a group of sampled actions on one screenshot: the prompts are equal up
to the proposed action, and each judgment is a whole greedy generation. Decoding them one after
another reads the model's weights once per token per judgment; decoding them together reads them
once per token for all of them, and the screenshot's ~1,300 KV cells are computed and stored
once.

The design choice a reader must know: this is a second llama.cpp context on the runtime's loaded
weights, with a *unified* KV cache. Sequence 0 holds the shared prefix (and keeps it for the
next call, like the main context's ledger); ``llama_memory_seq_cp`` gives each answer's sequence
the prefix's cells without copying them (in a unified cache a cell can belong to several
sequences), and every decode carries one token of each answer still going. The main context's
KV sequences are per adapter and per role and stay untouched; this one exists only once
``generate_many`` is called with more than one prompt.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.runtime.cancel import abort_callback
from models.runtime.config import RuntimeConfig
from models.runtime.kvcache import KvLedger
from models.runtime.native import DecodeAborted, context_params


@dataclass
class Lane:
    """One answer in flight: its sequence, next position, sampled token and budget."""

    seq: int
    n_past: int
    limit: int  # tokens it may still generate
    tokens: list[int]
    finish: str = ""  # "" while it goes on, else "stop" / "length" / "cancelled"


class Fanout:
    """A unified-KV context of ``width + 1`` sequences on a loaded model (see the module)."""

    def __init__(self, model: int, config: RuntimeConfig, width: int) -> None:
        from llama_cpp import llama_cpp as ll

        self.ll = ll
        self.width = width
        size = max(config.n_batch, width)
        params = context_params(ll, config, n_ctx=config.n_ctx, n_seq=width + 1, unified=True,
                                n_batch=size)
        self.ctx: int = ll.llama_init_from_model(model, params)
        if not self.ctx:
            raise RuntimeError("llama.cpp could not create the side-by-side context "
                               "(lower runtime.batch_width or runtime.n_ctx)")
        self.n_ctx = int(ll.llama_n_ctx(self.ctx))  # cells for all sequences together
        self.n_batch = config.n_batch
        self._batch = ll.llama_batch_init(size, 0, 1)
        self._size = size
        self._tokens = np.ctypeslib.as_array(self._batch.token, shape=(size,))
        self._pos = np.ctypeslib.as_array(self._batch.pos, shape=(size,))
        self._logits = np.ctypeslib.as_array(self._batch.logits, shape=(size,))
        np.ctypeslib.as_array(self._batch.n_seq_id, shape=(size,))[:] = 1
        self._seqs = [-1] * size  # the sequence each batch row is set to (ctypes writes are slow)
        self.memory = ll.llama_get_memory(self.ctx)
        self.seq = 0  # the prefix's sequence: what ``decode`` and mtmd's image decode write to
        self.ledger = KvLedger()  # what sequence 0 holds
        self.adapter: Path | None | object = None  # the adapter the ledger was computed under
        self._abort: Any = None

    # -- the shared prefix (sequence 0), driven by ``LlamaRuntime._eval_chunks`` ---------------

    def decode(self, tokens: list[int], n_past: int, logits_last: bool) -> None:
        """Decode ``tokens`` into sequence 0 at positions ``n_past...`` (no logits needed)."""
        for start in range(0, len(tokens), self.n_batch):
            part = tokens[start:start + self.n_batch]
            self._submit([(0, n_past + start + i, t, False) for i, t in enumerate(part)])

    def use(self, adapter_key: Path | None, attach: Any) -> None:
        """Put ``adapter_key`` on this context (``attach(ctx, key)``); a cache computed under
        another adapter is dropped."""
        attach(self.ctx, adapter_key)
        if adapter_key != self.adapter:
            self.ll.llama_memory_clear(self.memory, True)
            self.ledger.clear()
            self.adapter = adapter_key

    def detach(self) -> None:
        """Take the adapter off this context (before the runtime frees an adapter file); the
        cache, computed under it, is dropped too."""
        self.ll.llama_set_adapters_lora(self.ctx, None, 0, None)
        self.ll.llama_memory_clear(self.memory, True)
        self.ledger.clear()
        self.adapter = None

    def keep_prefix(self, keep_pos: int) -> None:
        """Cut sequence 0 at position ``keep_pos`` and empty every answer's sequence."""
        self.ll.llama_memory_seq_rm(self.memory, 0, keep_pos, -1)
        for seq in range(1, self.width + 1):
            self.ll.llama_memory_seq_rm(self.memory, seq, -1, -1)

    def set_abort(self, event: threading.Event) -> None:
        callback, data = abort_callback(event, self.ll.ggml_abort_callback)
        self._abort = callback
        self.ll.llama_set_abort_callback(self.ctx, callback, data)

    # -- the answers ---------------------------------------------------------------------------

    def start(self, tails: list[list[int]], limits: list[int]) -> list[Lane]:
        """Give answer ``i`` sequence ``i + 1``: the prefix's cells, then its own tokens
        ``tails[i]`` (at least one), ending with one output per answer (row ``i`` of the last
        decode)."""
        n_past = self.ledger.n_past
        lanes = []
        for i, (tail, limit) in enumerate(zip(tails, limits, strict=True)):
            seq = i + 1
            self.ll.llama_memory_seq_cp(self.memory, 0, seq, -1, -1)
            lanes.append(Lane(seq, n_past + len(tail), limit, []))
        rows = [(lane.seq, n_past + j, token, False)
                for lane, tail in zip(lanes, tails, strict=True)
                for j, token in enumerate(tail[:-1])]
        for start in range(0, len(rows), self._size):
            self._submit(rows[start:start + self._size])
        self._submit([(lane.seq, lane.n_past - 1, tail[-1], True)
                      for lane, tail in zip(lanes, tails, strict=True)])
        return lanes

    def step(self, lanes: list[Lane], tokens: list[int]) -> None:
        """Decode each lane's newest token (one row per lane, all with logits)."""
        self._submit([(lane.seq, lane.n_past, token, True)
                      for lane, token in zip(lanes, tokens, strict=True)])
        for lane in lanes:
            lane.n_past += 1

    def _submit(self, rows: list[tuple[int, int, int, bool]]) -> None:
        """One ``llama_decode`` of ``(seq, pos, token, wants logits)`` rows."""
        batch = self._batch
        n = len(rows)
        for i, (seq, pos, token, logits) in enumerate(rows):
            if self._seqs[i] != seq:
                batch.seq_id[i][0] = seq
                self._seqs[i] = seq
            self._tokens[i] = token
            self._pos[i] = pos
            self._logits[i] = int(logits)
        batch.n_tokens = n
        rc = self.ll.llama_decode(self.ctx, batch)
        if rc == 2:
            raise DecodeAborted()
        if rc != 0:
            raise RuntimeError(f"llama_decode failed with code {rc} (side by side)")

    def close(self) -> None:
        if self.ctx:
            self.ll.llama_batch_free(self._batch)
            self.ll.llama_free(self.ctx)
            self.ctx = 0
