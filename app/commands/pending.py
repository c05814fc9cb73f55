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
    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def run() -> None:
        """Run a task headless with a terminal gate (approve / edit / skip / quit)."""
        not_yet("run", "the agent issue")

    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def learn() -> None:
        """Train the actor and reward-model adapters from your judgments."""
        not_yet("learn", "the learner issue")

    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def schedule() -> None:
        """Install, remove or show the nightly training timer."""
        not_yet("schedule", "the learner issue")

    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def adapters() -> None:
        """List, promote or roll back LoRA adapter versions."""
        not_yet("adapters", "the learner issue")

    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def practice() -> None:
        """Open the practice desktop: exercises with programmatic checks."""
        not_yet("practice", "the agent issue")
