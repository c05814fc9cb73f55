"""Slow work that is not database work (downloads, building the tiny model, timer commands).

``BackgroundJob`` runs one function on a plain thread; its progress reports, result and error
come back as signals, delivered on the UI thread (dangerzone's habit: the core reports
through a plain callback, the GUI re-emits it). ``cancel()`` sets a flag the job's progress
callback checks: ``download_file`` is cancelled by raising from its progress callback, and the
``.part`` file stays for a resumed download.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class Cancelled(Exception):
    """Raised inside a job's progress callback once the person pressed Cancel."""


class BackgroundJob(QObject):
    """``job = BackgroundJob(lambda report: work(progress=report)); job.start()``.

    The function receives ``report(*args)``; each call emits ``progress(args)`` (and raises
    :class:`Cancelled` after :meth:`cancel`).
    """

    progress = Signal(tuple)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, fn: Callable[[Callable[..., None]], Any],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="deskhand-job", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._stop.set()

    def wait(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _report(self, *args: Any) -> None:
        if self._stop.is_set():
            raise Cancelled()
        self.progress.emit(args)

    def _run(self) -> None:
        try:
            result = self._fn(self._report)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:
            if self._stop.is_set():
                self.cancelled.emit()
                return
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.failed.emit(str(exc) or text)
        else:
            self.done.emit(result)
