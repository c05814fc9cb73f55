"""A private X display for benchmarks: a headless Xvfb, started and stopped by us.

The benches that press keys use one so they never type into the user's own windows, and
``deskhand bench capture`` uses one on a machine without a display. ``DISPLAY`` must be set
before pyautogui, pynput or mss are first imported, so work that needs the private display
and may already have imported them elsewhere runs in a child process (see ``bench``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


class NoDisplayError(RuntimeError):
    """No X display to use and none can be started."""


def xvfb_available() -> bool:
    return shutil.which("Xvfb") is not None


@contextmanager
def private_display(width: int = 1920, height: int = 1080) -> Iterator[str]:
    """Start Xvfb (XTEST and RECORD on) on a free display number; yield its name (``:N``)."""
    if not xvfb_available():
        raise NoDisplayError("Xvfb is not installed (apt install xvfb)")
    log = tempfile.TemporaryFile()
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp", "+extension", "RECORD", "+extension", "XTEST"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=log)
    os.close(write_fd)
    try:
        number = _read_display_number(read_fd)
        if not number:
            log.seek(0)
            err = log.read().decode(errors="replace").strip()[-500:]
            raise NoDisplayError(f"Xvfb did not start: {err}")
        log.close()
        yield f":{number}"
    finally:
        if not log.closed:
            log.close()
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _read_display_number(read_fd: int, timeout: float = 20) -> str:
    number = b""
    deadline = time.monotonic() + timeout
    with os.fdopen(read_fd, "rb") as pipe:
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            chunk = pipe.read(1)
            if not chunk:
                break
            number += chunk
    return number.decode().strip()


@contextmanager
def using_display(name: str) -> Iterator[str]:
    """Set ``DISPLAY`` for the duration (for code that opens its X connections lazily)."""
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = name
    try:
        yield name
    finally:
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous


@contextmanager
def chosen_display(explicit: str | None, allow_current: bool) -> Iterator[str]:
    """The display a bench runs on: ``explicit``, else ``$DISPLAY`` when ``allow_current``
    (benches that only look), else a private Xvfb 1920×1080. ``DISPLAY`` is set meanwhile."""
    current = os.environ.get("DISPLAY")
    if explicit:
        with using_display(explicit) as name:
            yield name
    elif allow_current and current:
        yield current
    else:
        with private_display() as name, using_display(name):
            yield name
