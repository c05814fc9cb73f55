"""``deskhand practice``: open the practice desktop, an exercise with a programmatic check.

``--state-file`` is the channel for tests and the agent loop: the window writes its state,
widget geometry (screen pixels) and verdict there as JSON whenever anything changes;
``--solution`` writes a correct action sequence for the window where it opened, as a replay file.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def practice(
        exercise: Annotated[str | None, typer.Option(
            "--exercise", "-e", metavar="KIND", help="Exercise kind (see --list); "
            "default: a random one.")] = None,
        seed: Annotated[int | None, typer.Option(
            "--seed", help="Seed of the exercise's labels, layout and look; default: random."
        )] = None,
        list_kinds: Annotated[bool, typer.Option(
            "--list", help="List the exercise kinds, with an example task of each.")] = False,
        state_file: Annotated[Path | None, typer.Option(
            "--state-file", dir_okay=False,
            help="Write the state, widget geometry and verdict here as JSON on every change."
        )] = None,
        solution: Annotated[Path | None, typer.Option(
            "--solution", dir_okay=False, help="Once the window is placed, write a correct "
            "action sequence here (JSONL, for deskhand run --policy replay:FILE).")] = None,
    ) -> None:
        """Open the practice desktop: exercises with programmatic checks."""
        from agent.practice.generators import make_exercise
        from agent.practice.spec import KINDS

        if list_kinds:
            for kind in KINDS:
                typer.echo(f"{kind:<12} e.g. {make_exercise(kind, 0).task}")
            return
        if exercise is not None and exercise not in KINDS:
            raise typer.BadParameter(f"unknown exercise {exercise!r}; known: "
                                     f"{', '.join(KINDS)}", param_hint="--exercise")
        chooser = random.SystemRandom()
        kind = exercise if exercise is not None else chooser.choice(KINDS)
        spec = make_exercise(kind, seed if seed is not None else chooser.randrange(1_000_000))
        typer.echo(f"{spec.title}: {spec.task}")
        from app.practice.main import run_practice

        raise typer.Exit(run_practice(spec, state_file, solution))
