"""All database work of the app runs on one worker thread; results come back as signals.

The anki habit: the UI thread never touches SQLite. ``DbWorker.submit(fn, on_done,
on_error)`` runs ``fn(store)`` on the worker's thread (where the store was opened) and
delivers the result to ``on_done`` on the UI thread. Jobs run one at a time, in order, so a
judgment submitted before a read is committed before that read sees the database.
"""

from __future__ import annotations

import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from agent.paths import Paths
from agent.store.config import StoreConfig


@dataclass
class _Job:
    fn: Callable[[Any], Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[str], None] | None


class DbWorker(QObject):
    """One thread that owns the store. ``done``/``failed`` are delivered on the UI thread."""

    _finished = Signal(object, object)  # (job, result)
    _failed = Signal(object, str)  # (job, message)

    def __init__(self, paths: Paths, config: StoreConfig, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._paths, self._config = paths, config
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._ready = threading.Event()
        self._open_error: Exception | None = None
        self._finished.connect(self._deliver)
        self._failed.connect(self._deliver_error)
        self._thread = threading.Thread(target=self._run, name="deskhand-db", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._open_error is not None:
            raise self._open_error  # a StoreError says what is wrong and what to run

    def submit(self, fn: Callable[[Any], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[str], None] | None = None) -> None:
        """Run ``fn(store)`` on the worker thread; callbacks run on the UI thread."""
        self._jobs.put(_Job(fn, on_done, on_error))

    def call(self, fn: Callable[[Any], Any], timeout: float = 30.0) -> Any:
        """Run ``fn(store)`` and wait for it — for code already off the UI thread (the
        episode worker) and for tests; never call it from the UI thread in the app."""
        box: queue.Queue[tuple[bool, Any]] = queue.Queue()

        def job(store: Any) -> None:
            try:
                box.put((True, fn(store)))
            except Exception as exc:
                box.put((False, exc))

        self._jobs.put(_Job(job, None, None))
        ok, value = box.get(timeout=timeout)
        if not ok:
            raise value
        return value

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        from agent.store.repo import open_store

        try:
            store = open_store(self._paths, self._config)
        except Exception as exc:  # reported to the constructor's caller
            self._open_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    result = job.fn(store)
                except Exception as exc:
                    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                    self._failed.emit(job, detail)
                else:
                    self._finished.emit(job, result)
        finally:
            store.close()

    def _deliver(self, job: _Job, result: Any) -> None:
        if job.on_done is not None:
            job.on_done(result)

    def _deliver_error(self, job: _Job, message: str) -> None:
        if job.on_error is not None:
            job.on_error(message)
