"""``deskhand parse``: raw model output on stdin → the parsed action as JSON."""

from __future__ import annotations

import typer

from app.commands.pending import not_yet


def register(app: typer.Typer) -> None:
    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def parse() -> None:
        """Parse a raw model output (stdin) into an action in screen pixels."""
        not_yet("parse", "the models issue")
