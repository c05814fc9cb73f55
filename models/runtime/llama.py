"""``LlamaRuntime``: one quantized VLM in llama.cpp serving the actor and the critic.

Built on llama-cpp-python's low-level C bindings, not on ``llama_cpp.Llama``: ``Llama`` keeps
its own token list and assumes one position per token, while a screenshot under M-RoPE takes
~1,300 KV cells but only a few dozen positions; its chat handlers clear the KV cache on every
call and read images from encoded URIs. Owning the context lets the runtime keep a ledger of
what the KV cache holds (:mod:`models.runtime.kvcache`), cut it by position at the longest
common prefix, encode only a new image, swap LoRA adapters on the loaded base, and abort a
decode from another thread. Each adapter (actor, critic, none) has its own KV sequence in the
context, since a cache computed under one adapter is wrong under another: alternating roles
keeps both prefixes instead of recomputing after every swap.

A runtime is used from one thread at a time (the agent's worker); only :meth:`cancel` (or
setting the ``cancel`` event passed in) may come from another thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from models.image_tokens import check_image_tokens
from models.runtime.cancel import CancelEvent, abort_callback
from models.runtime.config import RuntimeConfig
from models.runtime.fanout import Fanout
from models.runtime.kvcache import Entry, Image, ImageIds, KvLedger
from models.runtime.lora import Adapters
from models.runtime.mtmd import Chunk, Chunks, MtmdContext
from models.runtime.native import DecodeAborted, Native
from models.runtime.offload import resolve_offload
from models.runtime.result import FinishReason, Generation, PromptLike, Timings
from models.runtime.sampling import Sampler, SamplingParams, TextStream, token_piece

OnToken = Callable[[str], None]


_STALE = object()  # adapter of a slot whose KV was computed under another adapter


@dataclass
class _Slot:
    """One KV sequence, owned by the adapter its cache was computed under."""

    seq: int
    adapter: Path | None | object
    ledger: KvLedger


@dataclass
class _Prefill:
    cancelled: bool
    n_prompt: int
    n_evaluated: int
    preprocess_s: float
    encode_s: float
    prefill_s: float


class LlamaRuntime:
    """A base GGUF (+ mmproj) loaded once; adapters, prompts and samplers change per call."""

    def __init__(self, model: Path, mmproj: Path | None = None,
                 config: RuntimeConfig | None = None,
                 adapters: Mapping[str, Path] | None = None) -> None:
        self.config = resolve_offload(config or RuntimeConfig(), model, mmproj)
        self._native = Native(model, self.config)
        self._mtmd: MtmdContext | None = None
        try:
            if mmproj is not None:
                self._mtmd = MtmdContext(mmproj, self._native.model, self.config)
        except Exception:
            self._native.close_model()
            raise
        self._adapters = Adapters(self._native.model)
        self.roles: dict[str, Path] = dict(adapters or {})
        self._slots = [_Slot(0, None, KvLedger())]  # least recently used first
        self._image_ids = ImageIds()
        self._cancel = CancelEvent()
        self._active: threading.Event = self._cancel  # the event of the running call
        self._fan: Fanout | None = None  # generate_many's context, made on first use

    @property
    def model_pointer(self) -> int:
        """The loaded ``llama_model *`` (for a second context on the same weights)."""
        return self._native.model

    # -- adapters ---------------------------------------------------------------------------

    def set_adapter(self, target: str | Path | None, *, reset_cache: bool = True) -> None:
        """Activate a role's adapter (``"actor"``, ``"critic"``), an adapter file, or none.

        A KV cache computed under one adapter is wrong under another, so each adapter gets its
        own KV sequence (``kv_slots`` of them, least recently used one recycled): swapping back
        to the actor finds its prefix still cached. ``reset_cache=False`` keeps the current
        sequence instead; it exists only to show, in a test, what goes wrong without the reset.
        """
        path = self.roles[target] if isinstance(target, str) else target
        if not self._adapters.apply(self._native.ctx, path):
            return
        key = self._adapters.active
        if not reset_cache:
            self._slots[-1].adapter = _STALE
            return
        slot = next((s for s in self._slots if s.adapter == key), None)
        if slot is None:
            if len(self._slots) < self.config.kv_slots:
                slot = _Slot(len(self._slots), key, KvLedger())
            else:
                slot = self._slots.pop(0)
                self._native.forget_from(0, slot.seq)
                slot.ledger.clear()
                slot.adapter = key
        else:
            self._slots.remove(slot)
        self._slots.append(slot)
        self._native.use_seq(slot.seq)

    def unload_adapter(self, path: Path) -> bool:
        """Free an adapter file that is loaded but not active (e.g. a retired version) and its
        KV sequence; whether anything was freed."""
        key = path.resolve()
        if self._fan is not None and self._fan.adapter == key and key != self._adapters.active:
            self._fan.detach()  # before the adapter is freed under it
        if not self._adapters.unload(path):
            return False
        for slot in self._slots:
            if slot.adapter == key:
                self._native.forget_from(0, slot.seq)
                slot.ledger.clear()
                slot.adapter = _STALE
        return True

    @property
    def active_adapter(self) -> Path | None:
        return self._adapters.active

    @property
    def _ledger(self) -> KvLedger:
        """The ledger of the current adapter's KV sequence."""
        return self._slots[-1].ledger

    def reset_cache(self) -> None:
        """Forget every cached prompt (all sequences)."""
        self._native.clear_memory()
        for slot in self._slots:
            slot.ledger.clear()
        if self._fan is not None:
            self._fan.keep_prefix(0)
            self._fan.ledger.clear()

    # -- generation -------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the running call (from any thread): it returns with finish ``"cancelled"``.

        Sets the call's cancel event (the caller's own, or the runtime's). A cancel with no
        call running is forgotten when the next call starts.
        """
        self._active.set()

    def generate(self, prompt: PromptLike, *, on_token: OnToken | None = None,
                 cancel: threading.Event | None = None, greedy: bool = False,
                 seed: int | None = None, max_new_tokens: int | None = None,
                 temperature: float | None = None, ignore_eos: bool = False) -> Generation:
        """Generate one answer, streaming text pieces to ``on_token`` as they come.

        ``ignore_eos`` keeps going through end-of-generation tokens up to the token budget
        (benchmarks and tests that need an exact length).
        """
        start = time.perf_counter()
        event = self._arm(cancel)
        params = self._params(greedy, seed, temperature)
        limit = self._limit(max_new_tokens)
        pre = self._prefill(prompt, event)
        stream = TextStream(lambda token: token_piece(self._native.vocab, token))
        finish: FinishReason = "cancelled"
        n_tokens, first_at = 0, time.perf_counter()
        if not pre.cancelled:
            finish, n_tokens, first_at = self._decode_loop(params, limit, stream, on_token, event,
                                                           ignore_eos)
        tail = stream.flush()
        if tail and on_token is not None:
            on_token(tail)
        end = time.perf_counter()
        timings = Timings(image_preprocess_s=pre.preprocess_s, image_encode_s=pre.encode_s,
                          prefill_s=pre.prefill_s, ttft_s=first_at - start,
                          decode_s=end - first_at, total_s=end - start)
        active = self._adapters.active
        return Generation(text=stream.text, n_tokens=n_tokens, finish=finish, timings=timings,
                          n_prompt=pre.n_prompt, n_evaluated=pre.n_evaluated, seed=params.seed,
                          adapter=str(active) if active is not None else None)

    def _params(self, greedy: bool, seed: int | None,
                temperature: float | None) -> SamplingParams:
        cfg = self.config
        return SamplingParams(
            temperature=0.0 if greedy else (cfg.temperature if temperature is None
                                            else temperature),
            top_p=cfg.top_p, top_k=cfg.top_k, seed=cfg.seed if seed is None else seed)

    def _limit(self, max_new_tokens: int | None) -> int:
        limit = self.config.max_new_tokens if max_new_tokens is None else max_new_tokens
        if limit < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {limit}")
        return limit

    def candidates(self, prompt: PromptLike, n: int, *, seed: int | None = None,
                   cancel: threading.Event | None = None,
                   max_new_tokens: int | None = None) -> list[Generation]:
        """``n`` sampled answers with seeds ``seed, seed+1, ...`` (the prompt is evaluated once:
        later candidates reuse it from the KV cache)."""
        base = self.config.seed if seed is None else seed
        out: list[Generation] = []
        for i in range(n):
            gen = self.generate(prompt, cancel=cancel, seed=base + i,
                                max_new_tokens=max_new_tokens)
            out.append(gen)
            if gen.finish == "cancelled":
                break
        return out

    def generate_many(self, prompts: Sequence[PromptLike], *, greedy: bool = False,
                      seed: int | None = None, max_new_tokens: int | None = None,
                      cancel: threading.Event | None = None, temperature: float | None = None,
                      ignore_eos: bool = False) -> list[Generation]:
        """One answer to each prompt; answer ``i`` samples with seed ``seed + i``.

        Prompts that share everything up to some text (a reward model's prompts for several
        actions on one screenshot) are decoded side by side, ``runtime.batch_width`` at a time,
        after their shared prefix is evaluated once (:mod:`models.runtime.fanout`). An answer
        then differs from :meth:`generate`'s as much as :meth:`generate`'s own answer to one
        prompt differs between a cold and a warm cache: by how llama.cpp's kernels round a
        batch of another shape (measured on the tiny model over 2,300 cells, with the CPU's
        flash attention: up to 1.6e-2 in the logits, cold against warm and side by side
        alike; 1e-7 without it). Prompts whose differences include an image go one after
        another, and so do all with a width of 1 or with ``flash_attn`` off: llama.cpp's
        attention without flash attention adds the mask to the scores, so one answer whose
        keys overflowed (NaN) would spoil every answer beside it and later ones (the cells
        stay in the shared cache); flash attention skips masked cells.
        """
        if len(prompts) < 2 or self.config.batch_width < 2 or self.config.flash_attn == "off":
            return self._one_by_one(prompts, greedy, seed, max_new_tokens, cancel, temperature,
                                    ignore_eos)
        start = time.perf_counter()
        event = self._arm(cancel)
        params = self._params(greedy, seed, temperature)
        limit = self._limit(max_new_tokens)
        with ExitStack() as stack:
            chunked = [stack.enter_context(self._chunks(p)) for p in prompts]
            entries = [c.entries() for c in chunked]
            for prompt, chunks, listed in zip(prompts, chunked, entries, strict=True):
                self._check_prompt(prompt, chunks, listed)
            common = _common_prefix(entries)
            if any(isinstance(e, Image) for listed in entries for e in listed[common:]):
                stack.close()
                return self._one_by_one(prompts, greedy, seed, max_new_tokens, cancel,
                                        temperature, ignore_eos)
            fan = self._fanout()
            fan.use(self._adapters.active, self._adapters.attach)
            fan.set_abort(event)
            t1 = time.perf_counter()
            plan = fan.ledger.plan(entries[0][:common], whole=True)
            fan.keep_prefix(plan.keep_pos)
            fan.ledger.truncate(plan.keep)
            reused = fan.ledger.n_cells
            encode_s = [0.0]
            cancelled = False
            try:
                self._eval_chunks(chunked[0].chunks, plan.keep, event, encode_s, into=fan,
                                  stop=common)
            except DecodeAborted:
                cancelled = True
            finally:  # the ledger has whole chunks only: drop any half-evaluated rest
                fan.keep_prefix(fan.ledger.n_past)
            prefix = _Prefill(cancelled, fan.ledger.n_cells, fan.ledger.n_cells - reused,
                              t1 - start, encode_s[0], time.perf_counter() - t1 - encode_s[0])
            tails = [[e for e in listed[common:] if isinstance(e, int)] for listed in entries]
            return self._side_by_side(fan, prompts, chunked, tails, prefix, params, limit,
                                      event, ignore_eos, start)

    def _side_by_side(self, fan: Fanout, prompts: Sequence[PromptLike], chunked: list[Chunks],
                      tails: list[list[int]], prefix: _Prefill, params: SamplingParams,
                      limit: int, event: threading.Event, ignore_eos: bool,
                      start: float) -> list[Generation]:
        """The answers after the shared prefix, as many at a time as width and cells allow."""
        out: dict[int, Generation] = {}
        todo = list(range(len(prompts)))
        first = True  # the first answer is charged with evaluating the prefix
        while todo:
            free = fan.n_ctx - fan.ledger.n_cells
            group: list[int] = []
            for i in todo:  # an answer of n tokens takes n - 1 cells (the last is not decoded)
                if len(group) == fan.width or (
                        group and sum(len(tails[j]) + limit - 1 for j in (*group, i)) > free):
                    break
                group.append(i)
            todo = todo[len(group):]
            limits = [max(1, min(limit, free - len(tails[i]) + 1)) for i in group]
            texts, counts, finishes, first_at = self._answers(
                fan, [tails[i] for i in group], limits,
                [replace(params, seed=params.seed + i) for i in group],
                event, ignore_eos, prefix.cancelled)
            end = time.perf_counter()
            active = self._adapters.active
            for k, i in enumerate(group):
                timings = Timings(
                    image_preprocess_s=prefix.preprocess_s if first else 0.0,
                    image_encode_s=prefix.encode_s if first else 0.0,
                    prefill_s=prefix.prefill_s if first else 0.0,
                    ttft_s=first_at - start, decode_s=end - first_at, total_s=end - start)
                n_prompt = sum(c.n_tokens for c in chunked[i])
                out[i] = Generation(
                    text=texts[k], n_tokens=counts[k], finish=finishes[k], timings=timings,
                    n_prompt=n_prompt, n_evaluated=len(tails[i]) + (prefix.n_evaluated
                                                                     if first else 0),
                    seed=params.seed + i, adapter=str(active) if active is not None else None)
                first = False
        return [out[i] for i in range(len(prompts))]

    def _answers(self, fan: Fanout, tails: list[list[int]], limits: list[int],
                 params: list[SamplingParams], event: threading.Event, ignore_eos: bool,
                 cancelled: bool) -> tuple[list[str], list[int], list[FinishReason], float]:
        """Decode one group side by side: (texts, token counts, finishes, first token time)."""
        samplers = [Sampler(p) for p in params]
        streams = [TextStream(lambda token: token_piece(self._native.vocab, token))
                   for _ in tails]
        finish: list[FinishReason] = ["cancelled"] * len(tails)
        counts = [0] * len(tails)
        first_at = time.perf_counter()
        try:
            if cancelled or event.is_set():
                return [""] * len(tails), counts, finish, first_at
            lanes = fan.start(tails, limits)
            live = list(range(len(tails)))  # lane k's logits are row live.index(k)
            first_at = 0.0
            while live:
                going: list[int] = []
                tokens: list[int] = []
                for row, k in enumerate(live):
                    token = samplers[k].sample(fan.ctx, row)
                    first_at = first_at or time.perf_counter()
                    if not ignore_eos and self._native.is_eog(token):
                        finish[k] = "stop"
                        continue
                    streams[k].push(token)
                    counts[k] += 1
                    if counts[k] >= lanes[k].limit:
                        finish[k] = "length"
                        continue
                    going.append(k)
                    tokens.append(token)
                if not going or event.is_set():
                    break  # what is still going stays "cancelled"
                try:
                    fan.step([lanes[k] for k in going], tokens)
                except DecodeAborted:
                    break
                live = going
        except DecodeAborted:
            pass
        finally:
            for sampler in samplers:
                sampler.close()
            fan.keep_prefix(fan.ledger.n_past)
        for stream in streams:
            stream.flush()
        return [s.text for s in streams], counts, finish, first_at

    def _one_by_one(self, prompts: Sequence[PromptLike], greedy: bool, seed: int | None,
                    max_new_tokens: int | None, cancel: threading.Event | None,
                    temperature: float | None, ignore_eos: bool) -> list[Generation]:
        """:meth:`generate` for each prompt under one cancel event (armed once: a
        :meth:`cancel` stops the whole call); after a cancelled answer the rest are cancelled
        unanswered."""
        base = self.config.seed if seed is None else seed
        event = self._arm(cancel)
        out: list[Generation] = []
        for i, prompt in enumerate(prompts):
            if out and out[-1].finish == "cancelled":
                out.append(Generation(text="", n_tokens=0, finish="cancelled",
                                      timings=Timings(), n_prompt=0, n_evaluated=0,
                                      seed=base + i, adapter=out[-1].adapter))
                continue
            out.append(self.generate(prompt, greedy=greedy, seed=base + i,
                                     max_new_tokens=max_new_tokens, cancel=event,
                                     temperature=temperature, ignore_eos=ignore_eos))
        return out

    def _fanout(self) -> Fanout:
        if self._fan is None:
            self._fan = Fanout(self._native.model, self.config, self.config.batch_width)
        return self._fan

    def logits(self, prompt: PromptLike) -> np.ndarray:
        """Logits ``[n_vocab]`` of the first token the model would generate after ``prompt``."""
        pre = self._prefill(prompt, self._arm(None))
        if pre.cancelled:
            raise RuntimeError("cancelled")
        return self._native.last_logits()

    def tokenize(self, prompt: PromptLike) -> list[Chunk]:
        """The chunks ``prompt`` becomes (text tokens and image sizes), for inspection."""
        with self._chunks(prompt) as chunks:
            return [Chunk(0, c.is_image, c.tokens, c.image_id, c.n_tokens, c.n_pos)
                    for c in chunks]

    def _arm(self, cancel: threading.Event | None) -> threading.Event:
        event = cancel if cancel is not None else self._cancel
        if cancel is None:
            self._cancel.clear()
        self._active = event
        self._native.set_abort(*abort_callback(event, self._native.ll.ggml_abort_callback))
        return event

    def _chunks(self, prompt: PromptLike) -> Chunks:
        text = prompt.prefix + prompt.suffix
        images = [prompt.image] if prompt.image is not None else []
        if self._mtmd is not None:
            return self._mtmd.tokenize(text, images, [self._image_ids.key(i) for i in images])
        if images:
            raise ValueError("this runtime has no projector (mmproj): it cannot see images")
        tokens = tuple(self._native.tokenize(text))
        return Chunks(0, [Chunk(0, False, tokens, "", len(tokens), len(tokens))])

    def _prefill(self, prompt: PromptLike, cancel: threading.Event) -> _Prefill:
        """Evaluate what of ``prompt`` is not already in the KV cache; logits of its end."""
        t0 = time.perf_counter()
        with self._chunks(prompt) as chunks:
            t1 = time.perf_counter()
            entries = chunks.entries()
            n_prompt = self._check_prompt(prompt, chunks, entries)
            plan = self._ledger.plan(entries)
            if not self._native.forget_from(plan.keep_pos):
                self.reset_cache()
                plan = self._ledger.plan(entries)
            self._ledger.truncate(plan.keep)
            reused = self._ledger.n_cells
            encode_s = [0.0]
            cancelled = False
            try:
                self._eval_chunks(chunks.chunks, plan.keep, cancel, encode_s)
            except DecodeAborted:
                cancelled = True
            finally:  # the ledger has whole chunks only: drop any half-evaluated rest
                if self._native.ctx:
                    self._native.forget_from(self._ledger.n_past)
            t2 = time.perf_counter()
        return _Prefill(cancelled=cancelled, n_prompt=n_prompt, n_evaluated=n_prompt - reused,
                        preprocess_s=t1 - t0, encode_s=encode_s[0],
                        prefill_s=t2 - t1 - encode_s[0])

    def _check_prompt(self, prompt: PromptLike, chunks: Chunks, entries: list[Entry]) -> int:
        """Refuse a prompt that cannot be evaluated; its KV cells."""
        if not entries or isinstance(entries[-1], Image):
            raise ValueError("a prompt must end with text (the assistant turn's opening)")
        self._check_image_tokens(prompt, chunks)
        n_prompt = sum(c.n_tokens for c in chunks)
        if n_prompt > self._native.n_ctx - 1:
            raise ValueError(f"the prompt needs {n_prompt} KV cells, the context has "
                             f"{self._native.n_ctx} (raise runtime.n_ctx or shrink the image)")
        return n_prompt

    @staticmethod
    def _check_image_tokens(prompt: PromptLike, chunks: Chunks) -> None:
        """Refuse (``ImageTokenMismatch``) before anything is evaluated if mtmd made another
        number of image tokens than the family expects: it resized the image again."""
        expected = prompt.image_tokens
        if expected is None or prompt.image is None:
            return
        height, width = prompt.image.shape[:2]
        for chunk in chunks:
            if chunk.is_image:
                check_image_tokens(expected, chunk.n_tokens, width, height)

    def _eval_chunks(self, chunks: list[Chunk], keep: int, cancel: threading.Event,
                     encode_s: list[float], into: Native | Fanout | None = None,
                     stop: int | None = None) -> None:
        """Evaluate chunks' entries ``keep...stop`` (default: to the end) into ``into``'s
        current sequence (default: the main context's) and its ledger; adds the seconds spent
        encoding images to ``encode_s[0]`` (a cell, so that a cancelled call still reports
        them). The last chunk's last token gets logits when the evaluation goes to the end."""
        target: Native | Fanout = self._native if into is None else into
        ledger = self._ledger if isinstance(target, Native) else target.ledger
        end = sum(1 if c.is_image else len(c.tokens) for c in chunks) if stop is None else stop
        index = 0  # entry index of the chunk's first entry
        for chunk in chunks:
            first, index = index, index + (1 if chunk.is_image else len(chunk.tokens))
            if index <= keep:
                continue
            if first >= end:
                break
            if cancel.is_set():
                raise DecodeAborted()
            if chunk.is_image:
                assert self._mtmd is not None
                t = time.perf_counter()
                embd = self._mtmd.encode(chunk, cancel)
                encode_s[0] += time.perf_counter() - t
                if not embd:
                    raise DecodeAborted()
                self._mtmd.decode_image(target.ctx, chunk, embd, ledger.n_past, target.seq,
                                        target.n_batch)
                ledger.extend(chunk.entries())
            else:
                tokens = list(chunk.tokens[max(0, keep - first):end - first])
                target.decode(tokens, ledger.n_past, logits_last=index >= end)
                ledger.extend(tokens)

    def _decode_loop(self, params: SamplingParams, limit: int, stream: TextStream,
                     on_token: OnToken | None, cancel: threading.Event, ignore_eos: bool,
                     ) -> tuple[FinishReason, int, float]:
        """Sample until a stop token, ``limit`` tokens, or cancellation; (finish, n, t_first)."""
        sampler = Sampler(params)
        finish: FinishReason = "length"
        n_tokens = 0
        try:
            token = sampler.sample(self._native.ctx)
            first_at = time.perf_counter()
            while True:
                if not ignore_eos and self._native.is_eog(token):
                    finish = "stop"
                    break
                piece = stream.push(token)
                n_tokens += 1
                if piece and on_token is not None:
                    on_token(piece)
                if n_tokens >= limit:
                    break
                if cancel.is_set() or self._native.n_ctx - self._ledger.n_cells < 1:
                    finish = "cancelled" if cancel.is_set() else "length"
                    break
                try:
                    self._native.decode([token], self._ledger.n_past, logits_last=True)
                except BaseException as exc:  # a failed or aborted decode: drop what it left
                    self._native.forget_from(self._ledger.n_past)
                    if not isinstance(exc, DecodeAborted):
                        raise
                    finish = "cancelled"
                    break
                self._ledger.extend([token])
                token = sampler.sample(self._native.ctx)
        finally:
            sampler.close()
        return finish, n_tokens, first_at

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._mtmd is not None:
            self._mtmd.close()
            self._mtmd = None
        if self._fan is not None:
            self._fan.close()
            self._fan = None
        self._native.close_context()
        self._adapters.close()
        self._native.close_model()

    def __enter__(self) -> LlamaRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _common_prefix(entries: list[list[Entry]]) -> int:
    """Entries all lists share at their start, leaving each at least its last one.

    >>> _common_prefix([[1, 2, 3, 4], [1, 2, 5], [1, 2, 3]])
    2
    >>> _common_prefix([[1, 2], [1, 2]])
    1
    """
    limit = min(len(e) for e in entries) - 1
    n = 0
    while n < limit and all(e[n] == entries[0][n] for e in entries):
        n += 1
    return n
