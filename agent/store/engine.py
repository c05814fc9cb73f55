"""The SQLite engine of the store and its migrations (Alembic driven from code, no alembic.ini).

Two design choices a reader must know:

* ``synchronous=FULL`` with WAL. Under WAL, ``NORMAL`` already keeps every acknowledged commit
  through a *process* kill (the WAL is in the OS page cache), but may lose the last commits on
  power loss or an OS crash. Deskhand promises that a judgment the UI calls "saved" survives,
  and a fsync per commit costs a few milliseconds at human pace, so we pay for FULL.
* Migrations are *one* SQLite transaction. Python's sqlite3 driver commits DDL on its own
  (it only opens a transaction before INSERT/UPDATE/DELETE), so a kill in the middle of a
  migration used to leave half the tables behind ("table episodes already exists" at every
  start after). Migrations therefore run on a connection of their own whose driver-level
  transaction handling is off and which says ``BEGIN IMMEDIATE`` itself: every ``CREATE``,
  ``ALTER``, batch-mode table copy and the ``alembic_version`` stamp commit together or not at
  all. Foreign keys are off during a migration (a batch-mode ``DROP TABLE`` would otherwise
  cascade-delete child rows) and checked before the commit. The database is backed up (SQLite
  backup API, written to a temporary name and renamed) before any migration of a database
  that holds tables.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from agent.store.config import StoreConfig

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BACKUP_TEMP_PREFIX = ".tmp-"
_STALE_TEMP_S = 3600.0


class StoreError(RuntimeError):
    """The store cannot be opened or used (bad database, failed migration, ...)."""


class MigrationFailed(StoreError):
    """A migration failed and was rolled back: the database is as it was before."""


def _pragmas(dbapi_conn: Any, busy_timeout_ms: int, foreign_keys: bool) -> None:
    cursor = dbapi_conn.cursor()
    try:
        # the wait first: switching a new file to WAL takes a lock another opener may hold
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA synchronous=FULL")  # see the module docstring
    finally:
        cursor.close()


def make_engine(db_path: Path, config: StoreConfig) -> Engine:
    """An engine on ``db_path`` whose every connection has the store's pragmas."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{db_path}")

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        _pragmas(dbapi_conn, config.busy_timeout_ms, foreign_keys=True)

    return engine


def migration_engine(url: Any, busy_timeout_ms: int = 5000) -> Engine:
    """An engine whose transactions hold DDL too (see the module docstring)."""
    engine = create_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver opens no transaction of its own...
        _pragmas(dbapi_conn, busy_timeout_ms, foreign_keys=False)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # ...we do: one writer migrates, DDL included

    return engine


def alembic_config() -> Any:
    """An ``alembic.config.Config`` pointing at this package's migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the store has no migrations"
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for a new, empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        rev: str | None = MigrationContext.configure(conn).get_current_revision()
        return rev


def upgrade(engine: Engine, revision: str = "head", busy_timeout_ms: int = 5000) -> None:
    """Run the migrations up to ``revision`` in one transaction on ``engine``'s database.

    A database left *unversioned* with some of our tables by an older Deskhand killed during
    its first start is rebuilt when those tables are empty (nothing can be lost), and refused
    otherwise.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    cfg = alembic_config()
    migrator = migration_engine(engine.url, busy_timeout_ms)
    try:
        with migrator.begin() as conn:
            if MigrationContext.configure(conn).get_current_revision() is None:
                _clear_half_made_start(conn)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if bad:
                raise StoreError(f"the migration would break {len(bad)} foreign key(s), "
                                 f"e.g. {bad[0]}; nothing was changed")
    finally:
        migrator.dispose()


def _clear_half_made_start(conn: Connection) -> None:
    from agent.store.schema import Base

    ours = set(Base.metadata.tables) | {"alembic_version"}
    present = [t for t in inspect(conn).get_table_names() if t in ours]
    full = [t for t in present if conn.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first()]
    if full:
        raise StoreError(f"the database has Deskhand tables with data ({', '.join(full)}) but "
                         "no schema version, so it cannot be upgraded safely")
    for table in present:  # children first does not matter: foreign keys are off here
        conn.exec_driver_sql(f'DROP TABLE "{table}"')


def migrate(engine: Engine, db_path: Path, backups_dir: Path, keep: int,
            busy_timeout_ms: int = 5000) -> Path | None:
    """Bring the database to head; back it up first if it holds tables. Returns the backup.

    The migration is atomic, so when it fails the database is as it was: the backup made for
    the attempt is removed again (it would only push older, different backups out of the
    ``keep`` newest) and older backups are pruned only after a migration that succeeded.
    """
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return None
    if current is not None and current not in known_revisions():
        raise StoreError(f"the database {db_path} is at revision {current}, which this "
                         f"version of Deskhand does not know (it expects {head}): it was "
                         "written by a newer Deskhand; update Deskhand to open it")
    with engine.connect() as conn:
        has_tables = bool(inspect(conn).get_table_names())
    backup = None
    if has_tables:
        backup = backup_database(db_path, backups_dir, current or "unversioned", keep=0)
    try:
        upgrade(engine, busy_timeout_ms=busy_timeout_ms)
    except Exception as exc:
        if backup is not None:
            backup.unlink(missing_ok=True)
        raise MigrationFailed(f"it cannot be upgraded from revision {current} to {head} "
                              f"({exc}); nothing was changed") from exc
    if backup is not None:
        prune_backups(db_path, backups_dir, keep)
    return backup


def backup_database(db_path: Path, backups_dir: Path, label: str, keep: int) -> Path:
    """Copy ``db_path`` with SQLite's online backup API into ``backups_dir``.

    The copy is written under a temporary name and renamed, so a kill leaves no half backup
    among the real ones. Only the newest ``keep`` copies are kept (0: prune nothing).
    """
    from agent.store.schema import utcnow

    backups_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(backups_dir)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    target = backups_dir / f"{db_path.stem}-{stamp}-{label}.sqlite3"
    temp = backups_dir / f"{BACKUP_TEMP_PREFIX}{target.name}"
    try:
        with closing(sqlite3.connect(db_path)) as src, closing(sqlite3.connect(temp)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        _fsync(temp)
        os.replace(temp, target)
        _fsync(backups_dir)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if keep > 0:
        prune_backups(db_path, backups_dir, keep)
    return target


def backups_of(db_path: Path, backups_dir: Path) -> list[Path]:
    """The backups of ``db_path``, oldest first (their names sort by time)."""
    if not backups_dir.is_dir():
        return []
    return sorted(backups_dir.glob(f"{db_path.stem}-*.sqlite3"))


def prune_backups(db_path: Path, backups_dir: Path, keep: int) -> None:
    old = backups_of(db_path, backups_dir)
    for stale in old[:-keep] if keep > 0 else old:
        stale.unlink(missing_ok=True)


def _remove_stale_temps(backups_dir: Path) -> None:
    now = time.time()
    for temp in backups_dir.glob(f"{BACKUP_TEMP_PREFIX}*"):
        try:
            if now - temp.stat().st_mtime > _STALE_TEMP_S:
                temp.unlink()
        except FileNotFoundError:
            continue


def _fsync(path: Path) -> None:
    if path.is_dir() and os.name != "posix":
        return  # Windows cannot open a directory; NTFS journals the rename
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def raw_connection(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection (for checks such as ``PRAGMA integrity_check``)."""
    with closing(sqlite3.connect(db_path)) as conn:
        yield conn
