"""A SIGKILL at any point of a schema migration never leaves a database the app cannot open.

Each kill lands *inside* the migration transaction (the child kills itself before or after its
n-th SQL statement, or just before the commit: see ``crash_migrator``), on a first start and on
upgrades of databases holding data. After each kill the store must open, be at head, pass
``integrity_check`` and hold every row it held before. The suite runs a sample of the points;
``DESKHAND_CRASH_FULL=1`` runs every point of every scenario (the figures in the closing note).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.schema import CreateTable

from agent.paths import Paths
from agent.store.config import StoreConfig
from agent.store.engine import current_revision, head_revision, make_engine, upgrade
from agent.store.health import check_file
from agent.store.repo import open_store
from agent.store.schema import Base
from tests.agent.store import crash_migrator

FULL = os.environ.get("DESKHAND_CRASH_FULL") == "1"
Prepare = Callable[[Path], None]


@pytest.fixture(scope="module")
def forkserver() -> Iterator[multiprocessing.context.BaseContext]:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["agent.store.repo", "tests.agent.store.crash_migrator"])
    yield ctx


def _rows(db: Path, like: Path | None = None) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the three tables, in the columns ``like`` has (default: ``db``'s)."""
    with closing(sqlite3.connect(like or db)) as conn:
        columns = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")]
                   for t in ("episodes", "steps", "judgments")}
    with closing(sqlite3.connect(db)) as conn:
        return {t: conn.execute(f"SELECT {', '.join(f'[{c}]' for c in cols)} FROM {t} "
                                "ORDER BY id").fetchall() for t, cols in columns.items()}


def _intact(db: Path) -> bool:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def _database_at(revision: str, folder: Path) -> Path:
    """A database at an older ``revision`` holding an episode, a step and a judgment."""
    db = folder / f"at-{revision}.sqlite3"
    engine = make_engine(db, StoreConfig())
    upgrade(engine, revision)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO episodes (task, status, source, created_at) "
                             "VALUES ('kept through every kill', 'done', 'user', '2026-01-01')")
        conn.exec_driver_sql("INSERT INTO steps (episode_id, \"index\", image_missing, outcome, "
                             "created_at, action) VALUES (1, 0, 0, 'executed', '2026-01-01', "
                             "'{\"type\": \"click\", \"x\": 1, \"y\": 2}')")
        conn.exec_driver_sql("INSERT INTO judgments (episode_id, step_id, kind, value, source, "
                             "created_at) VALUES (1, 1, 'approve', 1.0, 'user', '2026-01-01')")
    engine.dispose()
    return db


def _half_made(folder: Path) -> Path:
    """What an older Deskhand killed during its first start left: empty tables, no version."""
    db = folder / "half.sqlite3"
    with closing(sqlite3.connect(db)) as conn, conn:
        for name in ("episodes", "steps"):
            conn.execute(str(CreateTable(Base.metadata.tables[name]).compile(
                dialect=sqlite_dialect())))
    return db


def _scenarios(tmp: Path) -> dict[str, Path | None]:
    tmp.mkdir(parents=True, exist_ok=True)
    revisions = ["0001", "0002"]
    assert head_revision() not in revisions
    out: dict[str, Path | None] = {"first start": None, "half-made first start": _half_made(tmp)}
    for revision in revisions:
        out[f"upgrade from {revision}"] = _database_at(revision, tmp)
    return out


def _home(root: Path, template: Path | None) -> Paths:
    home = Paths.resolve(root).ensure()
    if template is not None:
        shutil.copyfile(template, home.db_path)
    return home


def _count(ctx: multiprocessing.context.BaseContext, root: Path,
           template: Path | None) -> int:
    home = _home(root, template)
    out = root / "count.txt"
    child = ctx.Process(target=crash_migrator.count_statements,  # type: ignore[attr-defined]
                        args=(str(home.data_dir.parent), str(out)))
    child.start()
    child.join()
    assert child.exitcode == 0
    return int(out.read_text())


def _points(count: int) -> list[tuple[str, int]]:
    numbers = range(1, count + 1) if FULL else sorted({1, 2, count // 2, count - 1, count})
    return [(where, n) for n in numbers for where in ("before", "after")] + [("commit", 0)]


def test_a_kill_anywhere_in_a_migration_leaves_a_database_that_opens(
        tmp_path: Path, forkserver: multiprocessing.context.BaseContext) -> None:
    kills = unopenable = lost = 0
    for name, template in _scenarios(tmp_path / "templates").items():
        before = _rows(template) if template is not None and "upgrade" in name else None
        count = _count(forkserver, tmp_path / "count" / name, template)
        assert count >= 5, f"{name}: only {count} statements: is the migration instrumented?"
        for where, n in _points(count):
            root = tmp_path / "homes" / f"{name}-{where}-{n}"
            home = _home(root, template)
            child = forkserver.Process(  # type: ignore[attr-defined]
                target=crash_migrator.migrate_and_die,
                args=(str(home.data_dir.parent), where, n))
            child.start()
            child.join()
            assert child.exitcode == -signal.SIGKILL, f"{name} {where} {n}: {child.exitcode}"
            kills += 1
            try:
                store = open_store(home)
            except Exception as exc:  # the failure this test exists for
                unopenable += 1
                print(f"{name} {where} {n}: {exc}")
                continue
            try:
                assert current_revision(store.engine) == head_revision()
            finally:
                store.close()
            assert check_file(home.db_path) is None
            if before is not None and _rows(home.db_path, template) != before:
                lost += 1
            for backup in home.backups_dir.iterdir():  # a kill never leaves a half backup
                assert _intact(backup), f"a partial backup {backup.name} was left"
            shutil.rmtree(root)
    print(f"migration kills: {kills}, unopenable databases: {unopenable}, "
          f"databases that lost rows: {lost}")
    assert unopenable == 0 and lost == 0
    assert kills >= (100 if FULL else 30)


def test_a_database_half_made_by_an_older_version_is_rebuilt(home: Paths) -> None:
    """The state the old, non-transactional migrations left ("table episodes already
    exists" at every start) opens: its tables are empty, so nothing can be lost."""
    shutil.copyfile(_half_made(home.data_dir), home.db_path)
    store = open_store(home)
    try:
        assert current_revision(store.engine) == head_revision()
        assert store.create_episode("works") == 1
    finally:
        store.close()


def test_a_database_with_data_but_no_version_is_refused_with_the_repair_command(
        home: Paths) -> None:
    db = _half_made(home.data_dir)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("INSERT INTO episodes (task, status, source, created_at) "
                     "VALUES ('precious', 'done', 'user', '2026-01-01')")
    shutil.copyfile(db, home.db_path)
    from agent.store.engine import StoreError

    with pytest.raises(StoreError, match="doctor --repair") as caught:
        open_store(home)
    assert "data" in str(caught.value)
    with closing(sqlite3.connect(home.db_path)) as conn:  # untouched
        assert conn.execute("SELECT task FROM episodes").fetchall() == [("precious",)]
