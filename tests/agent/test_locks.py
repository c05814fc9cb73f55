"""The episode lock: seen across processes, and released when its holder dies."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.locks import FileLock, LockBusy, episode_lock

HOLDER = """
import sys, time
from pathlib import Path
from agent.locks import episode_lock
lock = episode_lock(Path(sys.argv[1])).acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_another_process_holding_the_lock_is_seen_and_its_death_releases_it(
        tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        lock = episode_lock(tmp_path)
        assert lock.is_held() and lock.holder().endswith("episode")
        with pytest.raises(LockBusy):
            lock.acquire()
        proc.kill()  # a crash: no cleanup code runs
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while lock.is_held() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not lock.is_held()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


def test_the_lock_is_released_on_exit_and_cannot_be_taken_twice(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "x.lock", "test")
    with lock:
        assert lock.held
        with pytest.raises(LockBusy):
            lock.acquire()
    assert not lock.held and not FileLock(tmp_path / "x.lock").is_held()


def test_acquire_within_waits_for_the_holder_then_gives_up(tmp_path: Path) -> None:
    import threading

    held = FileLock(tmp_path / "x.lock").acquire()
    with pytest.raises(LockBusy):
        FileLock(tmp_path / "x.lock").acquire_within(0.2)  # still held: gives up
    threading.Timer(0.3, held.release).start()
    started = time.monotonic()
    waiter = FileLock(tmp_path / "x.lock").acquire_within(10)  # released meanwhile: taken
    assert waiter.held and time.monotonic() - started < 10
    waiter.release()
