"""Cancellation: between tokens, inside llama_decode (abort callback) and in image encoding.

Latencies are printed (``pytest -s``) as measurements, not asserted: the shared CI machine's
timing says little; what must hold is that the call stops, says so, and the runtime still works.
"""

from __future__ import annotations

import threading
import time

import pytest

from models.runtime import LlamaRuntime
from models.runtime.cancel import CancelEvent
from models.runtime.native import DecodeAborted
from tests.models.runtime.helpers import prompt


def _cancel_later(runtime: LlamaRuntime, started: threading.Event, delay: float,
                  stamp: list[float]) -> threading.Thread:
    def run() -> None:
        started.wait(5)
        time.sleep(delay)
        stamp.append(time.perf_counter())
        runtime.cancel()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_cancel_from_another_thread_stops_decoding(runtime: LlamaRuntime) -> None:
    expected = runtime.generate(prompt(5), greedy=True, max_new_tokens=8).text
    started, stamp = threading.Event(), []
    thread = _cancel_later(runtime, started, 0.02, stamp)
    gen = runtime.generate(prompt(6), greedy=True, max_new_tokens=1500, ignore_eos=True,
                           on_token=lambda _piece: started.set())
    latency = time.perf_counter() - stamp[0]
    thread.join()
    print(f"\ncancel → return during decode: {latency * 1000:.2f} ms "
          f"after {gen.n_tokens} tokens")
    assert gen.finish == "cancelled"
    assert 0 < gen.n_tokens < 1500
    after = runtime.generate(prompt(5), greedy=True, max_new_tokens=8)
    assert after.finish != "cancelled" and after.text == expected


def test_a_cancelled_event_aborts_llama_decode_itself(runtime: LlamaRuntime) -> None:
    """The C-level abort callback (libc strlen over the event's flag) stops a decode."""
    native = runtime._native
    runtime.reset_cache()
    event = CancelEvent()
    runtime._arm(event)
    event.set()
    with pytest.raises(DecodeAborted):
        native.decode(list(range(10, 60)), 0, logits_last=True)
    plain = threading.Event()  # a caller's own Event: the Python callback path
    runtime._arm(plain)
    plain.set()
    with pytest.raises(DecodeAborted):
        native.decode(list(range(10, 60)), 0, logits_last=True)
    runtime.reset_cache()
    assert runtime.generate(prompt(5), greedy=True, max_new_tokens=3).finish == "length"


def test_cancel_during_image_encoding(runtime: LlamaRuntime) -> None:
    """A larger image keeps the tiny model's vision encoder busy; the cancel lands in there.

    mtmd checks for cancellation between graph nodes (every ``abort_check_nodes``); the tiny
    model's encoder has ~100 nodes, a few of them one big attention, so its latency is coarse.
    """
    big = prompt(7, height=672, width=1008)
    runtime.reset_cache()
    full = runtime.generate(big, greedy=True, max_new_tokens=1)
    runtime.reset_cache()
    event = CancelEvent()
    stamp: list[float] = []

    def cancel_soon() -> None:  # once the encoder runs (it holds the event), wait a third
        deadline = time.perf_counter() + 30
        while runtime._mtmd is not None and runtime._mtmd._cancel is not event:
            if time.perf_counter() > deadline:
                return
            time.sleep(0.0002)
        time.sleep(full.timings.image_encode_s / 3)
        stamp.append(time.perf_counter())
        event.set()

    thread = threading.Thread(target=cancel_soon)
    thread.start()
    gen = runtime.generate(big, greedy=True, max_new_tokens=1, cancel=event)
    latency = time.perf_counter() - stamp[0]
    thread.join()
    print(f"\nimage {big.image.shape[1]}x{big.image.shape[0]}: encode "
          f"{full.timings.image_encode_s * 1000:.1f} ms uncancelled, "
          f"{gen.timings.image_encode_s * 1000:.1f} ms cancelled; cancel → return "
          f"{latency * 1000:.2f} ms")
    assert gen.finish == "cancelled" and gen.n_tokens == 0
    again = runtime.generate(big, greedy=True, max_new_tokens=1)
    assert again.finish != "cancelled" and again.text == full.text
    assert again.timings.image_encode_s > 0  # the half-encoded image was not kept


class _CancelAfter(threading.Event):
    """Reads as set from its ``n``-th check on: llama.cpp's abort callback checks it before
    every graph node, so this cancels deterministically in the middle of a decode."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.checks, self._n = 0, n

    def is_set(self) -> bool:
        self.checks += 1
        return self.checks >= self._n or super().is_set()


def test_cancel_inside_a_long_prefill_keeps_the_cache_consistent(runtime: LlamaRuntime) -> None:
    long = prompt(10, task=" ".join(["open the settings menu and click save"] * 120))
    runtime.reset_cache()
    counter = _CancelAfter(10**9)  # never fires: counts the checks of a whole prefill
    expected = runtime.generate(long, greedy=True, max_new_tokens=1, cancel=counter)
    assert expected.n_prompt > 3 * runtime.config.n_batch  # several llama_decode calls
    runtime.reset_cache()
    event = _CancelAfter(counter.checks // 2)
    gen = runtime.generate(long, greedy=True, max_new_tokens=1, cancel=event)
    print(f"\nprefill of {expected.n_prompt} cells: {counter.checks} cancellation checks; "
          f"cancelled at check {event.checks}")
    assert gen.finish == "cancelled" and gen.n_tokens == 0
    again = runtime.generate(long, greedy=True, max_new_tokens=1)
    assert again.text == expected.text and again.n_evaluated > 1


@pytest.mark.parametrize("many", [False, True])
def test_a_cancel_while_the_image_is_decoded_is_a_cancel(runtime: LlamaRuntime,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         many: bool) -> None:
    """The screenshot encoded, then the cancel lands: llama.cpp aborts the decode of its
    embeddings (code 2), which is a cancelled call, not an mtmd failure; the cache stays
    right for the next call."""
    from dataclasses import replace as with_fields

    from models.runtime.mtmd import MtmdContext

    mtmd = runtime._mtmd  # noqa: SLF001 - the encoder whose end the cancel waits for
    assert mtmd is not None
    encode = MtmdContext.encode
    event = CancelEvent()

    def encode_then_cancel(self: MtmdContext, chunk: object, cancel: object) -> int:
        embd = encode(self, chunk, cancel)  # type: ignore[arg-type]
        event.set()
        return embd

    first = prompt(40)  # and one that differs after the screenshot: judged side by side
    prompts = [first, with_fields(first, suffix=first.suffix.replace("What next?", "Why?"))]
    runtime.reset_cache()
    fresh = [runtime.generate(p, greedy=True, max_new_tokens=6).text for p in prompts]
    runtime.reset_cache()
    monkeypatch.setattr(MtmdContext, "encode", encode_then_cancel)
    if many:
        gens = runtime.generate_many(prompts, greedy=True, max_new_tokens=6, cancel=event)
    else:
        gens = [runtime.generate(prompts[0], greedy=True, max_new_tokens=6, cancel=event)]
    monkeypatch.undo()
    assert event.is_set() and {g.finish for g in gens} == {"cancelled"}
    assert [runtime.generate(p, greedy=True, max_new_tokens=6).text for p in prompts] == fresh
