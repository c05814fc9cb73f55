"""A write that meets a locked database is retried (bounded), not lost: a judgment given while
another process holds the write lock longer than SQLite's busy timeout is stored once the lock
goes, and the episode it belongs to is not marked failed."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass

import pytest

from agent.paths import Paths
from agent.store.config import StoreConfig
from agent.store.engine import StoreError
from agent.store.repo import Store, open_store
from agent.user_gate import APPROVE, StepView, UserDecision
from models.actions import Click, Done
from tests.fakes.gate import ScriptedGate


class _Retries(logging.Handler):
    """Sets ``seen`` when the store logs that it is retrying a locked write."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "locked" in record.getMessage():
            self.seen.set()


@pytest.fixture
def retries() -> Iterator[_Retries]:
    handler = _Retries()
    logger = logging.getLogger("agent.store.repo")
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


@contextmanager
def _write_lock(home: Paths) -> Iterator[sqlite3.Connection]:
    """Another process's writer: holds the database's write lock until the block ends."""
    with closing(sqlite3.connect(home.db_path, isolation_level=None,
                                 check_same_thread=False)) as other:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO episodes (task, status, source, created_at) "
                      "VALUES ('the other writer', 'done', 'user', '2026-01-01')")
        try:
            yield other
        finally:
            if other.in_transaction:
                other.execute("COMMIT")


def _store(home: Paths, retry_s: float = 60.0) -> Store:
    return open_store(home, StoreConfig(busy_timeout_ms=20, write_retry_s=retry_s))


def test_a_judgment_on_a_locked_database_waits_and_is_stored(
        home: Paths, retries: _Retries) -> None:
    store = _store(home)
    try:
        episode = store.create_episode("t")
        step = store.add_step(episode, action=Click(1, 2))
        result: list[int | BaseException] = []

        def judge() -> None:
            try:
                result.append(store.add_judgment(kind="approve", step_id=step, value=1.0))
            except BaseException as exc:
                result.append(exc)

        with _write_lock(home):
            thread = threading.Thread(target=judge)
            thread.start()
            # the first attempt waited its 20 ms busy timeout and failed: without the retry
            # the judgment would be lost right here
            assert retries.seen.wait(30), "the store never met the lock"
            assert thread.is_alive() and result == []
        thread.join(30)
        [judgment_id] = result
        assert isinstance(judgment_id, int)
        [row] = store.steps(episode)[0].judgments
        assert (row.id, row.kind, row.value) == (judgment_id, "approve", 1.0)
    finally:
        store.close()


@pytest.mark.parametrize("write", ["episode", "step", "update", "finish", "judgment"])
def test_every_write_is_retried(home: Paths, retries: _Retries, write: str) -> None:
    store = _store(home)
    try:
        episode = store.create_episode("t")
        step = store.add_step(episode, action=Click(1, 2))
        calls = {
            "episode": lambda: store.create_episode("another"),
            "step": lambda: store.add_step(episode, action=Click(3, 4)),
            "update": lambda: store.update_step(step, outcome="executed"),
            "finish": lambda: store.finish_episode(episode, "done"),
            "judgment": lambda: store.add_judgment(kind="reject", step_id=step, value=0.0),
        }
        errors: list[BaseException] = []

        def run() -> None:
            try:
                calls[write]()
            except BaseException as exc:
                errors.append(exc)

        with _write_lock(home):
            thread = threading.Thread(target=run)
            thread.start()
            assert retries.seen.wait(30)
        thread.join(30)
        assert errors == []
    finally:
        store.close()


def test_the_retry_is_bounded_and_says_why(home: Paths) -> None:
    store = _store(home, retry_s=0.2)
    try:
        episode = store.create_episode("t")
        with _write_lock(home), pytest.raises(StoreError, match="locked"):
            store.add_judgment(kind="rate", episode_id=episode, value=3.0)
        assert store.get_episode(episode).judgments == []  # nothing half-written
    finally:
        store.close()


@dataclass
class _LockingGate(ScriptedGate):
    """Approves every step, but another process locks the database as the person decides
    and keeps it locked until the store has retried the approval at least once."""

    home: Paths | None = None
    retries: _Retries | None = None
    threads: list[threading.Thread] | None = None

    def review(self, step: StepView) -> UserDecision:
        assert self.home is not None and self.retries is not None and self.threads is not None
        locked = threading.Event()
        home, retries = self.home, self.retries

        def hold() -> None:
            with _write_lock(home):
                locked.set()
                retries.seen.wait(30)
            retries.seen.clear()

        thread = threading.Thread(target=hold)
        thread.start()
        self.threads.append(thread)
        locked.wait(30)
        super().review(step)
        return APPROVE


def test_an_episode_whose_approvals_meet_a_locked_database_ends_done(
        home: Paths, retries: _Retries) -> None:
    from tests.agent.test_episode import rig

    store = _store(home)
    threads: list[threading.Thread] = []
    try:
        gate = _LockingGate(home=home, retries=retries, threads=threads)
        result = rig(store, [Click(5, 5), Click(6, 6), Done("ok")], gate=gate,
                     approval="each").run()
        for thread in threads:
            thread.join(30)
        assert result.status == "done", result.summary
        steps = store.steps(result.episode_id)
        assert [[j.kind for j in s.judgments] for s in steps[:2]] == [["approve"], ["approve"]]
    finally:
        store.close()
