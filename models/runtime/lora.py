"""LoRA adapters loaded onto a running base model, swapped without reloading it.

Each GGUF adapter file is loaded once (``llama_adapter_lora_init``) and kept until the runtime
closes; activating one is ``llama_set_adapters_lora`` on the context. Swapping changes the
weights only: the KV cache still holds keys and values computed under the previous adapter, so
the runtime gives each adapter its own KV sequence and clears a sequence before another adapter
takes it over (see ``LlamaRuntime.set_adapter``). Adapters apply to the text model only; the
vision projector has no adapter API.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any


class AdapterError(RuntimeError):
    """An adapter file could not be loaded or applied."""


class Adapters:
    """Loaded adapters of one model, by resolved path; at most one active at a time.

    A path is read once: a new adapter version must be a new file (adapters are immutable and
    versioned), and the old one can then be unloaded.
    """

    def __init__(self, model: int) -> None:
        self._model = model
        self._loaded: dict[Path, Any] = {}  # llama_adapter_lora * (ctypes pointers)
        self.active: Path | None = None

    def load(self, path: Path) -> Any:
        from llama_cpp import llama_cpp as ll

        key = path.resolve()
        if key not in self._loaded:
            if not key.is_file():
                raise AdapterError(f"no adapter file at {path}")
            ptr = ll.llama_adapter_lora_init(self._model, str(key).encode())
            if not ptr:
                raise AdapterError(f"llama.cpp could not load the LoRA adapter {path}")
            self._loaded[key] = ptr
        return self._loaded[key]

    def apply(self, lctx: int, path: Path | None, scale: float = 1.0) -> bool:
        """Make ``path`` (or no adapter) the active one; whether anything changed."""
        key = path.resolve() if path is not None else None
        if key == self.active:
            return False
        self.attach(lctx, key, scale)
        self.active = key
        return True

    def attach(self, lctx: int, path: Path | None, scale: float = 1.0) -> None:
        """Set ``path`` (or no adapter) on a context of this model, loading it once; unlike
        :meth:`apply` this leaves :attr:`active` alone (a second context on the same weights)."""
        from llama_cpp import llama_cpp as ll

        if path is None:
            rc = ll.llama_set_adapters_lora(lctx, None, 0, None)
        else:
            array = (ll.llama_adapter_lora_p_ctypes * 1)(self.load(path))
            scales = (ctypes.c_float * 1)(scale)
            rc = ll.llama_set_adapters_lora(lctx, array, 1, scales)
        if rc != 0:
            raise AdapterError(f"llama_set_adapters_lora failed with code {rc}")

    def unload(self, path: Path) -> bool:
        """Free a loaded adapter that is not active (an old version); whether one was freed."""
        from llama_cpp import llama_cpp as ll

        key = path.resolve()
        if key == self.active or key not in self._loaded:
            return False
        ll.llama_adapter_lora_free(self._loaded.pop(key))
        return True

    def close(self) -> None:
        from llama_cpp import llama_cpp as ll

        for ptr in self._loaded.values():
            ll.llama_adapter_lora_free(ptr)
        self._loaded.clear()
        self.active = None
