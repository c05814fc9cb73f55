"""Inter-process file locks: the episode lock shared with the agent, and the registry's lock.

The agent's loop holds :func:`episode_lock` while an episode runs; the nightly job asks
:meth:`FileLock.is_held` and skips when it is. The adapter registry serialises its writers
with a lock of its own.

The design choice a reader must know: these are OS advisory locks on an open file (``flock``
on POSIX, ``msvcrt.locking`` on Windows), not "a file exists" markers, so a process that dies
releases its lock with it — a crash can never leave a stale lock that blocks training forever.
The lock file itself stays; its content (pid, purpose) is only a hint for people.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType
from typing import IO

EPISODE_LOCK = "episode.lock"
TRAINING_LOCK = "training.lock"


class LockBusy(RuntimeError):
    """The lock is held by another holder (another process or another open of the file)."""


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class FileLock:
    """A non-blocking exclusive lock on ``path``; use as a context manager.

    Two opens of the same file conflict even inside one process (``flock`` locks belong to
    the open file), so tests can play both the agent and the nightly job.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with FileLock(Path(tmp) / "x.lock", "demo"):
    ...         print(FileLock(Path(tmp) / "x.lock").is_held())
    ...     print(FileLock(Path(tmp) / "x.lock").is_held())
    True
    False
    """

    def __init__(self, path: Path, purpose: str = "") -> None:
        self.path = path
        self.purpose = purpose
        self._handle: IO[str] | None = None

    def acquire(self) -> FileLock:
        """Take the lock now or raise ``LockBusy`` (never waits)."""
        if self._handle is not None:
            raise LockBusy(f"{self.path} is already held by this object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # kept open while the lock is held
        if not _try_lock(handle):
            handle.close()
            raise LockBusy(f"{self.path} is held by another process ({self.holder() or '?'})")
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {self.purpose}\n")
        handle.flush()
        self._handle = handle
        return self

    def acquire_within(self, timeout_s: float, poll_s: float = 0.05) -> FileLock:
        """Take the lock, waiting for another holder at most ``timeout_s``; else ``LockBusy``."""
        import time

        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return self.acquire()
            except LockBusy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(poll_s)

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None

    @property
    def held(self) -> bool:
        """Whether *this object* holds the lock."""
        return self._handle is not None

    def is_held(self) -> bool:
        """Whether anyone holds the lock right now (probes by trying to take it)."""
        if self._handle is not None:
            return True
        try:
            self.acquire()
        except LockBusy:
            return True
        self.release()
        return False

    def holder(self) -> str:
        """The hint the holder wrote ("pid purpose"), or "" when unknown."""
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def episode_lock(locks_dir: Path) -> FileLock:
    """The lock the agent holds while an episode runs (``paths.locks_dir``)."""
    return FileLock(locks_dir / EPISODE_LOCK, "episode")


def training_lock(locks_dir: Path) -> FileLock:
    """The lock a trainer holds while it runs, so two nightly runs never overlap."""
    return FileLock(locks_dir / TRAINING_LOCK, "training")
