"""Migrations: a new database goes to head, models match migrations, backups before upgrades."""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from agent.paths import Paths
from agent.store.config import StoreConfig
from agent.store.engine import (
    StoreError,
    alembic_config,
    backup_database,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from agent.store.repo import open_store
from agent.store.schema import Base


def test_a_new_database_is_created_at_head_without_backup(home: Paths) -> None:
    store = open_store(home)
    try:
        assert current_revision(store.engine) == head_revision() == "0003"
    finally:
        store.close()
    with sqlite3.connect(home.db_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"episodes", "steps", "judgments", "adapters", "training_runs"} <= tables
    assert list(home.backups_dir.iterdir()) == []


def test_models_match_the_migrations(home: Paths) -> None:
    store = open_store(home)
    try:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        store.close()


def test_an_older_database_is_backed_up_then_migrated(home: Paths) -> None:
    engine = make_engine(home.db_path, StoreConfig())
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO episodes (task, status, source, created_at) "
                             "VALUES ('kept through the upgrade', 'done', 'user', '2026-01-01')")
    engine.dispose()

    store = open_store(home, StoreConfig(keep_backups=3))
    try:
        assert current_revision(store.engine) == "0003"
        assert [e.task for e in store.list_episodes()] == ["kept through the upgrade"]
    finally:
        store.close()
    [backup] = list(home.backups_dir.iterdir())
    assert backup.name.endswith("-0001.sqlite3")
    with sqlite3.connect(backup) as old:  # the backup is the database as it was: restorable
        assert old.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        assert old.execute("SELECT task FROM episodes").fetchall() == [
            ("kept through the upgrade",)]
        assert old.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    store = open_store(home)  # at head now: no second backup
    store.close()
    assert len(list(home.backups_dir.iterdir())) == 1


def test_only_the_newest_backups_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "deskhand.sqlite3"
    sqlite3.connect(db).close()
    made = [backup_database(db, tmp_path / "backups", "0001", keep=2) for _ in range(4)]
    assert sorted((tmp_path / "backups").iterdir()) == made[-2:]


def test_downgrade_to_base_and_back(home: Paths) -> None:
    engine = make_engine(home.db_path, StoreConfig())
    upgrade(engine)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == "0003"
    engine.dispose()


def test_migration_environment_is_inert_on_import() -> None:
    module = importlib.import_module("agent.store.migrations.env")
    assert callable(module.run_migrations)


def test_a_file_that_is_not_a_database_is_a_clear_error(home: Paths) -> None:
    home.db_path.write_bytes(b"this is no SQLite file" * 100)
    with pytest.raises(StoreError, match="cannot open the database .*deskhand.sqlite3"):
        open_store(home)
