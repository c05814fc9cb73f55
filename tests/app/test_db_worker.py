"""The database worker: jobs run off the UI thread, in order; results come back as signals."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy.exc import NoResultFound

from agent.paths import Paths
from agent.store.config import StoreConfig
from app.gui.worker import DbWorker


def test_jobs_run_off_the_ui_thread_in_order(qtbot: QtBot, home: Paths) -> None:
    worker = DbWorker(home, StoreConfig())
    try:
        ui = threading.get_ident()
        seen: list[object] = []
        worker.submit(lambda store: store.create_episode("first"))
        worker.submit(lambda store: (threading.get_ident(), [e.task for e in
                                                            store.list_episodes()]),
                      on_done=seen.append)
        qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
        thread, tasks = seen[0]  # type: ignore[misc]
        assert thread != ui
        assert tasks == ["first"], "the write submitted first is visible to the later read"
    finally:
        worker.close()


def test_errors_reach_the_error_callback_and_call_raises(qtbot: QtBot, home: Paths) -> None:
    worker = DbWorker(home, StoreConfig())
    try:
        errors: list[str] = []
        worker.submit(lambda store: store.get_episode(12345), on_error=errors.append)
        qtbot.waitUntil(lambda: bool(errors), timeout=10_000)
        assert "12345" in errors[0] or "No row" in errors[0] or "not found" in errors[0].lower()
        with pytest.raises(NoResultFound):
            worker.call(lambda store: store.get_episode(12345))
        assert worker.call(lambda store: 41 + 1) == 42
    finally:
        worker.close()
