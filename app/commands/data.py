"""``deskhand export`` and ``deskhand import``: the power user's way in and out of the store."""

from __future__ import annotations

import typer

from app.commands.pending import not_yet


def register(app: typer.Typer) -> None:
    @app.command("export", context_settings={"allow_extra_args": True,
                                             "ignore_unknown_options": True})
    def export_() -> None:
        """Export trajectories (jsonl, chat messages, parquet)."""
        not_yet("export", "the foundation issue")

    @app.command("import", context_settings={"allow_extra_args": True,
                                             "ignore_unknown_options": True})
    def import_() -> None:
        """Import trajectories (r1-computer-use JSONL, Deskhand jsonl)."""
        not_yet("import", "the foundation issue")
