"""The trajectory store: SQLite through SQLAlchemy + Alembic, screenshot files, export/import."""
