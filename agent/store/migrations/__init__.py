"""Alembic migrations of the store, driven from code by ``agent.store.engine`` (no alembic.ini)."""
