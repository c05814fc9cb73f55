"""A damaged database: one clear message naming the backups and the repair command, and the
repair that moves the damaged file aside and restores the newest good backup."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from agent.paths import Paths
from agent.store.config import StoreConfig
from agent.store.engine import backup_database, make_engine, upgrade
from agent.store.health import (
    REPAIR_COMMAND,
    StoreCorrupt,
    diagnose,
    list_backups,
    repair,
)
from agent.store.repo import open_store
from tests.fixtures.damage import DAMAGES, damage


def _filled(home: Paths, tasks: list[str]) -> None:
    store = open_store(home)
    try:
        for task in tasks:
            episode = store.create_episode(task)
            for i in range(40):  # enough rows for several pages
                store.add_step(episode, reasoning=f"{task} step {i} " + "x" * 300)
    finally:
        store.close()


def _with_backup_then_damaged(home: Paths, how: str) -> Path:
    """A database backed up after "first", then "second" added, then damaged."""
    _filled(home, ["first"])
    backup = backup_database(home.db_path, home.backups_dir, "0003", keep=5)
    _filled(home, ["second"])
    damage(home.db_path, how)
    return backup


def _tasks(home: Paths) -> list[str]:
    store = open_store(home)
    try:
        return sorted(e.task for e in store.list_episodes())
    finally:
        store.close()


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_database_is_one_message_naming_the_backups_and_the_repair(
        home: Paths, how: str) -> None:
    backup = _with_backup_then_damaged(home, how)
    with pytest.raises(StoreCorrupt) as caught:
        open_store(home)
    message = str(caught.value)
    assert str(home.db_path) in message and "damaged" in message
    assert str(home.backups_dir) in message and backup.name in message
    assert REPAIR_COMMAND in message
    assert "\n" not in message


@pytest.mark.parametrize("how", DAMAGES)
def test_repair_moves_the_damaged_file_aside_and_restores_the_newest_good_backup(
        home: Paths, how: str) -> None:
    older = _with_backup_then_damaged(home, how)
    damaged_bytes = home.db_path.read_bytes()
    # a newer backup that is itself damaged is skipped, never restored
    newer = home.backups_dir / older.name.replace("-0003", "-0003").replace(
        older.name[9:17], "29991231")
    shutil.copyfile(older, newer)
    damage(newer, "junk")
    assert diagnose(home).state == "damaged"

    result = repair(home)
    [aside] = [p for p in result.moved_aside if p.name.endswith(tuple("0123456789"))]
    assert aside.read_bytes() == damaged_bytes, "the damaged file is kept, byte for byte"
    assert result.restored is not None and result.restored.path == older
    assert [b.path for b in result.skipped] == [newer]
    assert any("restored" in line and older.name in line for line in result.lines())
    assert _tasks(home) == ["first"]
    assert diagnose(home).state == "ok"
    assert older.exists(), "the backup itself stays"


def test_repair_without_a_backup_leaves_a_fresh_start(home: Paths) -> None:
    _filled(home, ["only"])
    damage(home.db_path, "junk")
    result = repair(home)
    assert result.changed and result.restored is None
    assert any("no good backup" in line for line in result.lines())
    assert _tasks(home) == []


def test_repair_leaves_a_healthy_database_alone(home: Paths) -> None:
    _filled(home, ["fine"])
    before = home.db_path.read_bytes()
    result = repair(home)
    assert not result.changed and "nothing to repair" in result.lines()[0]
    assert home.db_path.read_bytes() == before


def test_a_database_from_a_newer_deskhand_is_never_replaced(home: Paths) -> None:
    _filled(home, ["from the future"])
    with closing(sqlite3.connect(home.db_path)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    backup_database(home.db_path, home.backups_dir, "0003", keep=5)
    result = repair(home)
    assert diagnose(home).state == "newer" and not result.changed
    assert "newer" in result.lines()[0]
    with pytest.raises(Exception, match="newer Deskhand"):
        open_store(home)


def test_a_database_that_cannot_be_upgraded_is_repairable(home: Paths) -> None:
    """Data but no schema version (what an older Deskhand could leave): the app refuses it
    with the repair command, the doctor calls it damaged, the repair restores the backup."""
    engine = make_engine(home.db_path, StoreConfig())
    upgrade(engine, "0002")
    engine.dispose()
    _filled(home, ["kept"])
    backup_database(home.db_path, home.backups_dir, "0003", keep=5)
    with closing(sqlite3.connect(home.db_path)) as conn, conn:
        conn.execute("DROP TABLE alembic_version")
    with pytest.raises(StoreCorrupt, match="cannot be upgraded.*doctor --repair"):
        open_store(home)
    assert diagnose(home).state == "damaged"
    assert repair(home).restored is not None
    assert _tasks(home) == ["kept"]


def test_damage_found_after_opening_is_the_same_message(home: Paths) -> None:
    _filled(home, ["first"])
    backup_database(home.db_path, home.backups_dir, "0003", keep=5)
    store = open_store(home)
    try:
        store.engine.dispose()  # the next query opens the file again
        damage(home.db_path, "pages")
        with pytest.raises(StoreCorrupt, match=REPAIR_COMMAND.replace("-", "\\-")):
            for episode in store.list_episodes():
                store.steps(episode.id)
    finally:
        store.close()


def test_backups_are_listed_newest_first_with_their_state(home: Paths) -> None:
    _filled(home, ["a"])
    first = backup_database(home.db_path, home.backups_dir, "0003", keep=5)
    second = backup_database(home.db_path, home.backups_dir, "0003", keep=5)
    damage(first, "junk")
    listed = list_backups(home)
    assert [b.path for b in listed] == [second, first]
    assert listed[0].good and not listed[1].good and "unusable" in listed[1].describe()


def test_a_backup_this_version_cannot_upgrade_is_skipped_for_an_older_one(home: Paths) -> None:
    _filled(home, ["old but usable"])
    older = backup_database(home.db_path, home.backups_dir, "0003", keep=5)
    _filled(home, ["newer"])
    newer = backup_database(home.db_path, home.backups_dir, "0002", keep=5)
    with closing(sqlite3.connect(newer)) as conn, conn:  # stamped 0002 but already has 0003's
        conn.execute("UPDATE alembic_version SET version_num = '0002'")  # column: cannot go up
    damage(home.db_path, "junk")
    result = repair(home)
    assert result.restored is not None and result.restored.path == older
    assert [b.path for b in result.skipped] == [newer]
    assert "cannot be upgraded" in (result.skipped[0].problem or "")
    assert _tasks(home) == ["old but usable"]
