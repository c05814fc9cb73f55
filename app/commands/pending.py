"""Commands whose work arrives with a later issue: they say so plainly and exit with 3."""

from __future__ import annotations

import typer
from rich.console import Console

NOT_YET_EXIT = 3


def not_yet(command: str, issue: str) -> None:
    Console(stderr=True).print(
        f"[yellow]deskhand {command}[/] is not implemented yet (it arrives with {issue}).")
    raise typer.Exit(NOT_YET_EXIT)


def register(app: typer.Typer) -> None:
    """Nothing is pending at the moment; ``not_yet`` stays for the next stub."""
