"""The ``deskhand`` command line. Bare ``deskhand`` starts the desktop app.

Global options come first (``deskhand --home DIR --set store.keep_backups=3 export ...``);
each group of commands lives in its own module under ``app/commands`` and registers itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from agent.paths import HOME_ENV, Paths
from app.commands import (
    bench,
    data,
    doctor,
    eval_cmd,
    learn,
    learner_cmds,
    models_cmd,
    parse,
    pending,
    practice,
    run,
)
from app.state import CliState

cli = typer.Typer(
    name="deskhand",
    help="Deskhand: a local desktop agent that learns from its own user.",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


HomeOption = Annotated[Path | None, typer.Option(
    "--home", help=f"Keep config and data under this folder (also ${HOME_ENV}).",
    file_okay=False)]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", metavar="KEY=VALUE", help="Override a config value, e.g. store.keep_backups=3")]
VerboseOption = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Show every library's log lines too (e.g. database migrations).")]


@cli.callback()
def root(ctx: typer.Context, home: HomeOption = None, settings: SetOption = None,
         verbose: VerboseOption = False) -> None:
    from app.logs import configure

    configure(verbose)
    if home is not None:
        os.environ[HOME_ENV] = str(home)  # child processes (trainer) see the same home
    ctx.obj = CliState(Paths.resolve(home), list(settings or []))
    ctx.obj.config  # noqa: B018 - load now: a bad config stops every command with a clear error
    if ctx.invoked_subcommand is None:
        from app.gui.main import start_app

        raise typer.Exit(start_app(ctx.obj))


for module in (data, parse, doctor, pending, practice, run, learner_cmds, learn):
    module.register(cli)
cli.add_typer(models_cmd.group, name="models")
cli.add_typer(bench.group, name="bench")
cli.add_typer(eval_cmd.group, name="eval")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
