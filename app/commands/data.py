"""``deskhand export`` and ``deskhand import``: the power user's way in and out of the store.

The work is done by ``agent.store.export`` / ``agent.store.importers``; this module only parses
options, shows a rich progress bar (fed by the core's plain ``(done, total)`` callback) and turns
errors into one clear line on stderr with exit status 2 (no traceback).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.state import state

if TYPE_CHECKING:
    from agent.store.repo import Store

ERROR_EXIT = 2


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    messages = "messages"
    parquet = "parquet"


class ImportFormat(StrEnum):
    r1 = "r1"
    jsonl = "jsonl"


@contextmanager
def _progress(label: str, console: Console) -> Iterator[Callable[[int, int], None]]:
    if not console.is_terminal:  # piped or captured: no bar, no stray blank lines
        yield lambda done, total: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(ERROR_EXIT)


def _open(ctx: typer.Context) -> Store:
    from agent.store.repo import open_store

    cli = state(ctx)
    return open_store(cli.paths.ensure(), cli.config.store)


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_(
        ctx: typer.Context,
        fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format.")],
        out: Annotated[Path, typer.Option("--out", help="Folder to write into (created).",
                                          file_okay=False)],
        episode: Annotated[list[int] | None, typer.Option(
            "--episode", help="Only this episode (repeatable).")] = None,
        redact: Annotated[bool | None, typer.Option(
            "--redact/--no-redact",
            help="Mask keys, tokens, passwords, e-mails, phone/card/IBAN numbers in every "
                 "text (default: export.redact).")
        ] = None,
    ) -> None:
        """Export trajectories (native jsonl, chat messages with images, parquet)."""
        import dataclasses

        from sqlalchemy.exc import DatabaseError

        from agent.store.engine import StoreError
        from agent.store.export import ExportError, export
        from agent.store.redact import redactor

        settings = state(ctx).config.export
        if redact is not None:
            settings = dataclasses.replace(settings, redact=redact)

        err = Console(stderr=True)
        try:
            store = _open(ctx)
            try:
                with _progress("exporting", err) as progress:
                    summary = export(store, out, fmt.value, episode_ids=episode or None,
                                     progress=progress, redact=redactor(settings))
            finally:
                store.close()
        except (ExportError, StoreError, OSError) as exc:
            raise _fail(err, str(exc)) from None
        except DatabaseError as exc:  # not damage (that is a StoreError): e.g. a full disk
            raise _fail(err, f"database error: {exc.orig}") from None
        missing = f", {summary.without_image} without image" if summary.without_image else ""
        Console().print(f"exported {summary.records} steps ({summary.images} images{missing}) "
                        f"to {summary.path}", highlight=False, soft_wrap=True)

    @app.command("import")
    def import_(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="The JSONL file to import.", dir_okay=False)],
        fmt: Annotated[ImportFormat, typer.Option("--format", help="Input format.")],
        skip_bad: Annotated[bool, typer.Option(
            "--skip-bad", help="Import the good lines, list the bad ones.")] = False,
        fetch_images: Annotated[bool, typer.Option(
            "--fetch-images", help="Download images given as URLs.")] = False,
        allow_outside: Annotated[list[Path] | None, typer.Option(
            "--allow-outside", metavar="DIR", file_okay=False,
            help="Also read images from this folder (repeatable); by default only images "
                 "inside the file's own folder are read.")] = None,
        allow_duplicates: Annotated[bool, typer.Option(
            "--allow-duplicates", help="Import episodes that were already imported again.")
        ] = False,
    ) -> None:
        """Import trajectories (r1-computer-use JSONL, Deskhand jsonl export)."""
        from sqlalchemy.exc import DatabaseError

        from agent.store.engine import StoreError
        from agent.store.importers import ImportInputError, import_file

        err = Console(stderr=True)
        if not file.is_file():
            raise _fail(err, f"no such file: {file}")
        try:
            store = _open(ctx)
            try:
                with _progress(f"importing {file.name}", err) as progress:
                    summary = import_file(store, file, fmt.value, skip_bad=skip_bad,
                                          fetch_images=fetch_images,
                                          allow_outside=allow_outside or (),
                                          allow_duplicates=allow_duplicates,
                                          progress=progress)
            finally:
                store.close()
        except (ImportInputError, StoreError, OSError) as exc:
            raise _fail(err, str(exc)) from None
        except DatabaseError as exc:  # not damage (that is a StoreError): e.g. a full disk
            raise _fail(err, f"database error: {exc.orig}") from None
        out = Console()
        duplicates = (f"; {len(summary.duplicates)} episodes skipped as already imported"
                      if summary.duplicates else "")
        out.print(f"imported {summary.episodes} episodes, {summary.steps} steps, "
                  f"{summary.judgments} judgments; {summary.missing_images} missing images; "
                  f"{len(summary.skipped)} skipped lines{duplicates}", highlight=False,
                  soft_wrap=True)
        for lineno, reason in summary.skipped:
            out.print(f"  skipped line {lineno}: {reason}", highlight=False, markup=False,
                      soft_wrap=True)
        for duplicate in summary.duplicates:
            out.print(f"  skipped {duplicate.describe()}", highlight=False, markup=False,
                      soft_wrap=True)
        if summary.duplicates:
            out.print("  (--allow-duplicates imports them again)", highlight=False,
                      markup=False)
