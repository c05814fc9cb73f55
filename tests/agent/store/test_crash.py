"""Acknowledged writes survive SIGKILL: writers killed at random moments, then checked.

Three writers share the database (and meet each other's locks: their busy timeout is tiny,
so locked writes are retried by the store all along); each round kills all three at random
moments. Children are forked from a forkserver, so that over a hundred kills stay cheap.
"""

from __future__ import annotations

import multiprocessing
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.paths import Paths
from agent.store.engine import raw_connection
from agent.store.repo import open_store
from tests.agent.store import crash_writer

WRITERS = 3  # concurrent writers on the same database: each round kills all three
ROUNDS = 34  # 102 kills
KINDS = ("E", "S", "J")


@pytest.fixture(scope="module")
def forkserver() -> Iterator[multiprocessing.context.BaseContext]:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["agent.store.repo", "tests.agent.store.crash_writer"])
    yield ctx


def _acks(path: Path) -> list[tuple[str, int]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        kind, ident = line.split()
        out.append((kind, int(ident)))
    return out


def _wait_first_ack(proc: multiprocessing.process.BaseProcess, acks: Path) -> None:
    """Block until the writer has acknowledged its first commit (it is past start-up)."""
    while not _acks(acks):
        assert proc.is_alive(), f"writer died at start (exit code {proc.exitcode})"
        time.sleep(0.01)


@pytest.mark.slow
def test_acknowledged_commits_survive_sigkill(
        home: Paths, tmp_path: Path, forkserver: multiprocessing.context.BaseContext) -> None:
    open_store(home).close()  # migrate once, so the writers only write
    rng = random.Random(1234)
    acknowledged: dict[str, set[int]] = {kind: set() for kind in KINDS}
    kills = 0
    for round_ in range(ROUNDS):
        acks = [tmp_path / f"acks-{round_}-{i}" for i in range(WRITERS)]
        procs = [forkserver.Process(  # type: ignore[attr-defined]
            target=crash_writer.write_forever,
            args=(str(home.data_dir.parent), round_ * WRITERS + i, str(acks[i])))
            for i in range(WRITERS)]
        for proc in procs:
            proc.start()
        for proc, ack in zip(procs, acks, strict=True):
            _wait_first_ack(proc, ack)
        for proc, ack in zip(procs, acks, strict=True):
            time.sleep(rng.uniform(0.0, 0.15))  # die somewhere in the middle of a write
            proc.kill()
            proc.join()
            assert proc.exitcode == -signal.SIGKILL, f"a writer died by itself: {proc.exitcode}"
            kills += 1
            for kind, ident in _acks(ack):
                acknowledged[kind].add(ident)
    assert kills >= 100 and len(acknowledged["J"]) > kills

    with raw_connection(home.db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        lost = {}
        for kind, table in zip(KINDS, ("episodes", "steps", "judgments"), strict=True):
            present = {row[0] for row in conn.execute(f"SELECT id FROM {table}")}
            lost[table] = len(acknowledged[kind] - present)
        named = conn.execute("SELECT screenshot_sha256, screenshot_format FROM steps").fetchall()
        episodes = conn.execute("SELECT id FROM episodes").fetchall()
    print(f"write kills: {kills}, acknowledged judgments: {len(acknowledged['J'])}, "
          f"lost: {lost}")
    assert lost == {"episodes": 0, "steps": 0, "judgments": 0}

    store = open_store(home)
    try:
        for sha, fmt in named:
            assert store.screens.path(sha, fmt).is_file(), f"a row names missing {sha}"
        # every episode was left running; some were committed but killed before the ack
        assert store.mark_interrupted() == len(episodes) >= len(acknowledged["E"])
        store.sweep_screens(min_age_s=0)  # orphans of killed writes go, named files stay
        assert {sha for sha, _, _ in store.screens.files()} == {sha for sha, _ in named}
    finally:
        store.close()
