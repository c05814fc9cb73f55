"""``deskhand doctor``: print what the machine offers (display, XTEST/RECORD, GPU, disk...)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from agent.doctor import run_checks
from app.state import state


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(ctx: typer.Context) -> None:
        """Report what this machine offers the agent, and what to fix."""
        checks = run_checks(state(ctx).paths)
        table = Table("check", "", "detail", "what to do", box=None)
        for c in checks:
            table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]no[/]", c.detail, c.hint)
        Console().print(table)
