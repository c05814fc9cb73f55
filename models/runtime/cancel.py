"""Cancellation that llama.cpp can see while it computes, without calling back into Python.

llama.cpp's CPU backend asks an abort callback ``bool (*)(void *data)`` before every graph node.
A Python callback there would take the GIL hundreds of times per token, and stall decoding
whenever the UI thread holds it. Instead :class:`CancelEvent` (a ``threading.Event``) mirrors
its state into a two-byte C buffer, and the callback is libc's ``strlen``: the buffer reads as
``""`` (0, go on) or ``"\\x01"`` (1, abort). Where libc cannot be found, or for a plain
``threading.Event`` the caller made, a Python callback that reads the event is used instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
from collections.abc import Callable
from functools import cache
from typing import Any


class CancelEvent(threading.Event):
    """A ``threading.Event`` whose state C code can read through :attr:`c_flag`.

    >>> event = CancelEvent()
    >>> event.c_flag.raw
    b'\\x00\\x00'
    >>> event.set(); event.c_flag.raw, event.is_set()
    (b'\\x01\\x00', True)
    >>> event.clear(); event.c_flag.raw
    b'\\x00\\x00'
    """

    def __init__(self) -> None:
        super().__init__()
        self.c_flag = ctypes.create_string_buffer(2)

    def set(self) -> None:
        self.c_flag[0] = b"\x01"
        super().set()

    def clear(self) -> None:
        self.c_flag[0] = b"\x00"
        super().clear()


@cache
def _strlen_address() -> int | None:
    name = "msvcrt" if sys.platform == "win32" else ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        address = ctypes.cast(libc.strlen, ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None
    return address


def strlen_reads_flag() -> bool:
    """Whether the ``strlen`` callback is available and reads a :class:`CancelEvent` right.

    >>> strlen_reads_flag()
    True
    """
    address = _strlen_address()
    if address is None:
        return False
    fn = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p)(address)
    event = CancelEvent()
    before = fn(ctypes.addressof(event.c_flag))
    event.set()
    return before is False and fn(ctypes.addressof(event.c_flag)) is True


AbortFn = Callable[[Any], bool]


def abort_callback(event: threading.Event, callback_type: Any) -> tuple[Any, int | None]:
    """``(callback, data pointer)`` for ``llama_set_abort_callback`` that reports ``event``.

    ``callback_type`` is llama_cpp's ``ggml_abort_callback`` CFUNCTYPE. The caller must keep the
    returned callback (and the event) alive as long as llama.cpp may call it.
    """
    if isinstance(event, CancelEvent) and strlen_reads_flag():
        address = _strlen_address()
        return callback_type(address), ctypes.addressof(event.c_flag)

    def python_abort(_data: Any) -> bool:
        return event.is_set()

    return callback_type(python_abort), None
