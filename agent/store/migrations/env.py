"""Alembic's environment for the store: runs migrations on the connection handed in by
``agent.store.engine.migrate`` (``config.attributes["connection"]``), in batch mode for SQLite.

Safe to import outside Alembic (pytest imports every module for doctests): the work happens
only when Alembic has installed its ``context``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from agent.store.schema import Base


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # `alembic` run by hand against a URL: make our own connection
        from sqlalchemy import create_engine

        engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # only when Alembic runs this file
    run_migrations()
