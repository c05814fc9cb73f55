"""Acknowledged writes survive SIGKILL: writers killed at random moments, then checked."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.paths import Paths
from agent.store.engine import raw_connection
from agent.store.repo import open_store

ROOT = Path(__file__).resolve().parents[3]
WRITERS = 3  # concurrent writers on the same database: each round kills all three
ROUNDS = 17  # 51 kills


def _start(home: Paths, seed: int, errors: Path) -> subprocess.Popen[str]:
    with open(errors, "w") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.agent.store.crash_writer", str(home.data_dir.parent),
             str(seed)], cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)})


def _wait_first_line(proc: subprocess.Popen[str], errors: Path) -> str:
    """Block until the writer has acknowledged its first commit (it is past start-up)."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"writer died at start: {errors.read_text()}"
    return line


@pytest.mark.slow
def test_acknowledged_commits_survive_sigkill(home: Paths, tmp_path: Path) -> None:
    open_store(home).close()  # migrate once, so the writers only write
    rng = random.Random(1234)
    acknowledged: dict[str, set[int]] = {"E": set(), "S": set(), "J": set()}
    kills = 0
    for round_ in range(ROUNDS):
        errors = [tmp_path / f"writer-{round_}-{i}.err" for i in range(WRITERS)]
        procs = [_start(home, round_ * WRITERS + i, errors[i]) for i in range(WRITERS)]
        firsts = [_wait_first_line(p, e) for p, e in zip(procs, errors, strict=True)]
        for proc, first in zip(procs, firsts, strict=True):
            time.sleep(rng.uniform(0.0, 0.15))  # die somewhere in the middle of a write
            proc.send_signal(signal.SIGKILL)
            assert proc.stdout is not None
            out = proc.stdout.read()  # everything it printed (= acknowledged) before dying
            proc.stdout.close()
            assert proc.wait() == -signal.SIGKILL
            kills += 1
            for line in (first + out).splitlines():
                kind, ident = line.split()
                acknowledged[kind].add(int(ident))
    assert kills >= 50 and len(acknowledged["J"]) > kills

    with raw_connection(home.db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for kind, table in (("E", "episodes"), ("S", "steps"), ("J", "judgments")):
            present = {row[0] for row in conn.execute(f"SELECT id FROM {table}")}
            assert acknowledged[kind] <= present, f"lost acknowledged {table}"
        named = conn.execute("SELECT screenshot_sha256, screenshot_format FROM steps").fetchall()
        episodes = conn.execute("SELECT id FROM episodes").fetchall()

    store = open_store(home)
    try:
        for sha, fmt in named:
            assert store.screens.path(sha, fmt).is_file(), f"a row names missing {sha}"
        # every episode was left running; some were committed but killed before the print
        assert store.mark_interrupted() == len(episodes) >= len(acknowledged["E"])
        store.sweep_screens(min_age_s=0)  # orphans of killed writes go, named files stay
        assert {sha for sha, _, _ in store.screens.files()} == {sha for sha, _ in named}
    finally:
        store.close()
