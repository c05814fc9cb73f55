"""``deskhand models ...``: list, add, download and choose the models the agent runs."""

from __future__ import annotations

import typer

from app.commands.pending import not_yet

group = typer.Typer(help="List, add, download and choose models.", no_args_is_help=True)


@group.command("list")
def list_() -> None:
    """List installed and recommended models."""
    not_yet("models list", "the models issue")
