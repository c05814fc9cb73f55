"""Sampler chains and token-to-text streaming for the runtime.

Greedy (temperature 0) is a pure argmax chain: deterministic whatever the seed, used for
grounding. Otherwise top-k → top-p → temperature → a seeded ``dist`` sampler, so that candidate
``i`` of a request uses seed ``seed + i`` and is reproducible. Token pieces are bytes; a UTF-8
character may span two tokens, so text is streamed through an incremental decoder and
``on_token`` only ever sees whole characters.
"""

from __future__ import annotations

import codecs
import ctypes
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SamplingParams:
    temperature: float
    top_p: float
    top_k: int
    seed: int

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


class Sampler:
    """A llama.cpp sampler chain; call :meth:`close` to free it."""

    def __init__(self, params: SamplingParams) -> None:
        from llama_cpp import llama_cpp as ll

        self._ll = ll
        chain = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
        if params.greedy:
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_greedy())
        else:
            if params.top_k > 0:
                ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_top_k(params.top_k))
            if params.top_p < 1.0:
                ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_top_p(params.top_p, 1))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_temp(params.temperature))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_dist(params.seed & 0xFFFFFFFF))
        self.ptr = chain

    def sample(self, lctx: int, index: int = -1) -> int:
        """Sample from the logits of output ``index`` of the last decode (-1: its last output),
        and accept the token."""
        return int(self._ll.llama_sampler_sample(self.ptr, lctx, index))

    def close(self) -> None:
        if self.ptr:
            self._ll.llama_sampler_free(self.ptr)
            self.ptr = None


class TextStream:
    """Token ids → text pieces with whole UTF-8 characters.

    >>> stream = TextStream(lambda token: {1: b"caf", 2: b"\\xc3", 3: b"\\xa9!"}[token])
    >>> [stream.push(t) for t in (1, 2, 3)], stream.flush(), stream.text
    (['caf', '', 'é!'], '', 'café!')
    """

    def __init__(self, piece: Callable[[int], bytes]) -> None:
        self._piece = piece
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._parts: list[str] = []

    def push(self, token: int) -> str:
        text: str = self._decoder.decode(self._piece(token))
        self._parts.append(text)
        return text

    def flush(self) -> str:
        text: str = self._decoder.decode(b"", final=True)
        self._parts.append(text)
        return text

    @property
    def text(self) -> str:
        return "".join(self._parts)


def token_piece(vocab: int, token: int) -> bytes:
    """The bytes of one token (special tokens rendered as nothing)."""
    from llama_cpp import llama_cpp as ll

    buf = ctypes.create_string_buffer(64)
    n = ll.llama_token_to_piece(vocab, token, buf, len(buf), 0, False)
    if n < 0:
        buf = ctypes.create_string_buffer(-n)
        n = ll.llama_token_to_piece(vocab, token, buf, len(buf), 0, False)
    return buf.raw[:n]
