"""``deskhand doctor``: print what the machine offers (display, monitors, XTEST/RECORD, GPU,
disk, database...); ``deskhand doctor --repair`` restores the newest good database backup.

In a terminal the checks are a table; piped or captured, one unwrapped line per check, so a
script (or a test) reads whole paths and commands.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agent.doctor import Check, run_checks
from app.state import state

ERROR_EXIT = 2


def _print(checks: list[Check], console: Console) -> None:
    if console.is_terminal:
        table = Table("check", "", "detail", "what to do", box=None)
        for c in checks:
            table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]no[/]", escape(c.detail),
                          escape(c.hint))
        console.print(table)
        return
    for c in checks:
        hint = f" — {c.hint}" if c.hint else ""
        console.print(f"{c.name}: {'ok' if c.ok else 'no'} — {c.detail}{hint}", markup=False,
                      highlight=False, soft_wrap=True)


def _repair(ctx: typer.Context) -> None:
    from agent.locks import LockBusy, episode_lock
    from agent.store.health import repair

    paths = state(ctx).paths.ensure()
    err = Console(stderr=True)
    try:
        with episode_lock(paths.locks_dir):
            result = repair(paths)
    except LockBusy:
        err.print("error: an episode is running on this desktop (the app, or deskhand run): "
                  "stop it and close Deskhand first", markup=False, highlight=False,
                  soft_wrap=True)
        raise typer.Exit(ERROR_EXIT) from None
    except OSError as exc:
        err.print(f"error: repair failed: {exc}", markup=False, highlight=False,
                  soft_wrap=True)
        raise typer.Exit(ERROR_EXIT) from None
    out = Console()
    for line in result.lines():
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    if result.diagnosis.state == "newer":
        raise typer.Exit(ERROR_EXIT)


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(ctx: typer.Context, repair: bool = typer.Option(
            False, "--repair", help="Move a damaged database aside and restore the newest "
            "good backup (nothing is deleted).")) -> None:
        """Report what this machine offers the agent, and what to fix."""
        if repair:
            _repair(ctx)
        from agent.suites.miniwob_setup import miniwob_check

        _print([*run_checks(state(ctx).paths), miniwob_check()], Console())
