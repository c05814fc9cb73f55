"""Children for the migration crash test: open the store (which migrates it) and SIGKILL
themselves at a chosen point *inside* the migration.

A point is ``(where, n)``: ``where`` is ``before``/``after`` (the n-th SQL statement of the
migration transaction, counted from its ``BEGIN IMMEDIATE``) or ``commit`` (just before the
transaction's commit). Runs in a forkserver child (``multiprocessing``) so that a hundred kills
cost a hundred forks, not a hundred Python start-ups.
"""

from __future__ import annotations

import os
import signal
from typing import Any


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def migrate_and_die(home: str, where: str, n: int) -> None:
    """Open the store under ``home``; die at ``(where, n)`` if the migration gets that far."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from agent.paths import Paths
    from agent.store.repo import open_store

    seen = {"statements": 0, "migrating": False}

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper() == "BEGIN IMMEDIATE":
            seen["migrating"] = True
        if seen["migrating"]:
            seen["statements"] += 1
            if where == "before" and seen["statements"] == n:
                _die()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if seen["migrating"] and where == "after" and seen["statements"] == n:
            _die()

    def commit(conn: Any) -> None:
        if seen["migrating"] and where == "commit":
            _die()

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    event.listen(Engine, "commit", commit)
    open_store(Paths.resolve(home)).close()
    # not killed: the migration had fewer statements than n; tell the parent how many
    os.write(1, f"{seen['statements']}\n".encode())


def count_statements(home: str, out: str) -> None:
    """Migrate without dying and write the number of statements of the migration to ``out``."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from agent.paths import Paths
    from agent.store.repo import open_store

    seen = {"statements": 0, "migrating": False}

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper() == "BEGIN IMMEDIATE":
            seen["migrating"] = True
        seen["statements"] += seen["migrating"]

    event.listen(Engine, "before_cursor_execute", before)
    open_store(Paths.resolve(home)).close()
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(str(seen["statements"]))
