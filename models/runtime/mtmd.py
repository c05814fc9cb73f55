"""Thin helpers over llama-cpp-python's mtmd ctypes bindings: context, bitmaps, chunks.

The screenshot reaches mtmd as raw RGB bytes (``mtmd_bitmap_init``), never as an encoded file:
PNG-encoding a 1920×1080 screen costs more than capturing it. The image must already have the
model's size (multiples of 28 for Qwen2.5-VL): mtmd's own resizer is then a no-op, and torch
and llama.cpp see the same pixels. Each bitmap carries an id that is equal exactly when the
pixels are (``kvcache.ImageIds``): the KV ledger recognises a cached image by it.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.runtime.config import RuntimeConfig
from models.runtime.kvcache import Entry, Image
from models.runtime.native import DecodeAborted

MEDIA_MARKER = "<__media__>"  # mtmd_default_marker()


class MtmdError(RuntimeError):
    """An mtmd call failed (projector load, tokenization, image encoding)."""


@dataclass(frozen=True)
class Chunk:
    """One chunk of a tokenized prompt: text tokens, or one image."""

    ptr: int  # const mtmd_input_chunk *, valid while its Chunks lives
    is_image: bool
    tokens: tuple[int, ...]  # text chunks only
    image_id: str  # image chunks only
    n_tokens: int  # tokens, or image embeddings
    n_pos: int  # positions it advances n_past by (M-RoPE: fewer than n_tokens for images)

    def entries(self) -> list[Entry]:
        if self.is_image:
            return [Image(self.image_id, n_pos=self.n_pos, n_embd=self.n_tokens)]
        return list(self.tokens)


class Chunks:
    """An owned ``mtmd_input_chunks``; free it with :meth:`close` (or use ``with``)."""

    def __init__(self, ptr: int, chunks: list[Chunk]) -> None:
        self.ptr = ptr
        self.chunks = chunks

    def __iter__(self) -> Iterator[Chunk]:
        return iter(self.chunks)

    def entries(self) -> list[Entry]:
        return [entry for chunk in self.chunks for entry in chunk.entries()]

    def close(self) -> None:
        if self.ptr:
            from llama_cpp import mtmd_cpp

            mtmd_cpp.mtmd_input_chunks_free(self.ptr)
            self.ptr = 0

    def __enter__(self) -> Chunks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()



def context_params(config: RuntimeConfig) -> Any:
    """mtmd's context parameters for a runtime config (the runtime and the bare baseline of
    ``deskhand bench runtime`` build theirs here, so they always compare like with like)."""
    from llama_cpp import mtmd_cpp

    params = mtmd_cpp.mtmd_context_params_default()
    params.use_gpu = config.n_gpu_layers != 0
    params.print_timings = False
    params.warmup = False
    params.n_threads = config.resolved_threads
    params.flash_attn_type = config.flash_attn_type
    if config.image_min_tokens:
        params.image_min_tokens = config.image_min_tokens
    if config.image_max_tokens:
        params.image_max_tokens = config.image_max_tokens
    return params

class MtmdContext:
    """An mtmd context bound to a loaded llama model; image encoding can be cancelled."""

    def __init__(self, mmproj: Path, model: int, config: RuntimeConfig) -> None:
        from llama_cpp import llama_cpp as ll
        from llama_cpp import mtmd_cpp

        self._cancel: threading.Event | None = None
        self._nodes_seen = 0
        self._stride = config.abort_check_nodes
        params = context_params(config)
        # kept alive on self: mtmd calls it during image encoding
        self._cb_eval = ll.ggml_backend_sched_eval_callback(self._eval_callback)
        if self._stride:
            params.cb_eval = self._cb_eval
        ptr = mtmd_cpp.mtmd_init_from_file(str(mmproj).encode(), model,
                                           params)
        if not ptr:
            raise MtmdError(f"could not load the projector {mmproj}")
        self.ptr: int = ptr
        if not mtmd_cpp.mtmd_support_vision(self.ptr):
            self.close()
            raise MtmdError(f"{mmproj} is not a vision projector")
        self.uses_mrope = bool(mtmd_cpp.mtmd_decode_use_mrope(self.ptr))

    def _eval_callback(self, _tensor: Any, ask: bool, _data: Any) -> bool:
        """Ask to observe every ``stride``-th node; stop the graph there if cancelled."""
        if ask:
            self._nodes_seen += 1
            return self._nodes_seen % self._stride == 0
        cancel = self._cancel
        return not (cancel is not None and cancel.is_set())

    def close(self) -> None:
        if getattr(self, "ptr", 0):
            from llama_cpp import mtmd_cpp

            mtmd_cpp.mtmd_free(self.ptr)
            self.ptr = 0

    def tokenize(self, text: str, images: list[np.ndarray], ids: list[str]) -> Chunks:
        """Tokenize ``text`` whose ``<__media__>`` markers stand for ``images`` (raw RGB);
        each image chunk carries the matching id of ``ids``."""
        from llama_cpp import mtmd_cpp

        if text.count(MEDIA_MARKER) != len(images):
            raise ValueError(f"the prompt has {text.count(MEDIA_MARKER)} media markers "
                             f"for {len(images)} images")
        bitmaps = [self._bitmap(image, id_) for image, id_ in zip(images, ids, strict=True)]
        out = mtmd_cpp.mtmd_input_chunks_init()
        try:
            raw = text.encode("utf-8")
            inp = mtmd_cpp.mtmd_input_text(raw, len(raw), True, True)
            array = (mtmd_cpp.mtmd_bitmap_p_ctypes * max(1, len(bitmaps)))(*bitmaps)
            rc = mtmd_cpp.mtmd_tokenize(self.ptr, out, ctypes.byref(inp),
                                        array, len(bitmaps))
            if rc != 0:
                mtmd_cpp.mtmd_input_chunks_free(out)
                raise MtmdError(f"mtmd_tokenize failed with code {rc}")
        finally:
            for bitmap in bitmaps:
                mtmd_cpp.mtmd_bitmap_free(bitmap)
        return Chunks(out, _read_chunks(out))

    def _bitmap(self, image: np.ndarray, id_: str) -> int:
        from llama_cpp import mtmd_cpp

        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an [H, W, 3] uint8 image, got {image.shape} {image.dtype}")
        pixels = np.ascontiguousarray(image)
        data = pixels.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))
        bitmap = mtmd_cpp.mtmd_bitmap_init(pixels.shape[1], pixels.shape[0], data)  # copies
        if not bitmap:
            raise MtmdError("mtmd_bitmap_init failed")
        mtmd_cpp.mtmd_bitmap_set_id(bitmap, id_.encode())
        return int(bitmap)

    def encode(self, chunk: Chunk, cancel: threading.Event | None) -> int:
        """Run the vision encoder on an image chunk; a pointer to its embeddings (or 0 if
        cancelled: the graph stops at the next checked node and the output is discarded)."""
        from llama_cpp import mtmd_cpp

        self._cancel, self._nodes_seen = cancel, 0
        try:
            rc = mtmd_cpp.mtmd_encode_chunk(self.ptr, chunk.ptr)
        finally:
            self._cancel = None
        if cancel is not None and cancel.is_set():
            return 0
        if rc != 0:
            raise MtmdError(f"mtmd_encode_chunk failed with code {rc}")
        embd = mtmd_cpp.mtmd_get_output_embd(self.ptr)
        return ctypes.cast(embd, ctypes.c_void_p).value or 0

    def decode_image(self, lctx: int, chunk: Chunk, embd: int, n_past: int, seq: int,
                     n_batch: int) -> int:
        """Decode encoded image embeddings into sequence ``seq`` at ``n_past``; the new n_past."""
        from llama_cpp import llama_cpp as ll
        from llama_cpp import mtmd_cpp

        new_n_past = ll.llama_pos(0)
        rc = mtmd_cpp.mtmd_helper_decode_image_chunk(
            self.ptr, lctx, chunk.ptr,
            ctypes.cast(embd, ctypes.POINTER(ctypes.c_float)),
            n_past, seq, n_batch, ctypes.byref(new_n_past),
            mtmd_cpp.mtmd_helper_post_decode_callback(), None)  # NULL: no post-decode hook
        if rc == 2:  # llama_decode's code for "the abort callback said stop": a cancel
            raise DecodeAborted()
        if rc != 0:
            raise MtmdError(f"decoding the image embeddings failed with code {rc}")
        return int(new_n_past.value)


def _read_chunks(ptr: int) -> list[Chunk]:
    from llama_cpp import mtmd_cpp

    chunks: list[Chunk] = []
    for i in range(mtmd_cpp.mtmd_input_chunks_size(ptr)):
        chunk = mtmd_cpp.mtmd_input_chunks_get(ptr, i)
        if not chunk:
            raise MtmdError(f"chunk {i} is missing")
        kind = mtmd_cpp.mtmd_input_chunk_get_type(chunk)
        n_pos = int(mtmd_cpp.mtmd_input_chunk_get_n_pos(chunk))
        if kind == mtmd_cpp.MTMD_INPUT_CHUNK_TYPE_TEXT:
            count = ctypes.c_size_t()
            tokens_p = mtmd_cpp.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(count))
            tokens = tuple(int(tokens_p[j]) for j in range(count.value))
            chunks.append(Chunk(chunk, False, tokens, "", len(tokens), n_pos))
        elif kind == mtmd_cpp.MTMD_INPUT_CHUNK_TYPE_IMAGE:
            raw_id = mtmd_cpp.mtmd_input_chunk_get_id(chunk) or b""
            n_tokens = int(mtmd_cpp.mtmd_input_chunk_get_n_tokens(chunk))
            chunks.append(Chunk(chunk, True, (), raw_id.decode(), n_tokens, n_pos))
        else:
            raise MtmdError(f"unsupported chunk type {kind} (audio?)")
    return chunks
