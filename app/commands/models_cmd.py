"""``deskhand models ...``: list, add, download and choose the models the agent runs.

A thin face over ``models.hub``: every command loads the catalogue from the models folder,
does one thing, and turns the core's errors (hub, catalogue, GGUF) into one red line and
exit status 2 — never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from app.commands.errors import fail
from app.state import state
from models.hub import (
    FAMILIES,
    RECOMMENDED,
    Catalogue,
    CatalogueError,
    HubError,
    NotGGUF,
    add_local,
    add_tiny,
    download_recommended,
    find_recommended,
    remove_model,
)
from models.hub.catalogue import InstalledModel
from models.hub.hf_folder import hf_source
from models.hub.install import TINY_NAME, FileProgress
from models.hub.registry import human_size
from models.hub.weights import (
    WeightsUnavailable,
    download_weights,
    plan_for,
    set_hf_source,
    training_state,
)

ERROR_EXIT = 2
group = typer.Typer(help="List, add, download and choose models.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    return fail(message, code=ERROR_EXIT)


@contextmanager
def _catalogue(ctx: typer.Context) -> Iterator[Catalogue]:
    """The catalogue of this home; core errors become one line and exit 2."""
    try:
        yield Catalogue.load(state(ctx).paths.models_dir)
    except (CatalogueError, HubError, NotGGUF) as exc:
        raise _fail(str(exc)) from None


def _say(message: str) -> None:
    Console().print(message, soft_wrap=True, highlight=False)


@group.command("list")
def list_(ctx: typer.Context) -> None:
    """List installed and recommended models, marking the ones in use."""
    with _catalogue(ctx) as cat:
        console = Console()
        if not console.is_terminal:  # piped or captured: whole rows, not squeezed into 80
            console = Console(width=220)
        if cat.models:
            table = Table("name", "family", "source", "size", "in use", "training weights",
                          "note", title="Installed models", title_justify="left")
            for name, m in sorted(cat.models.items()):
                table.add_row(name, m.family, m.source, human_size(m.size),
                              ", ".join(cat.roles_of(name)), training_state(m), m.note)
            console.print(table)
        else:
            console.print("No models installed yet: download one below, `deskhand models add` "
                          "your own GGUF files, or try `deskhand models add-tiny`.")
        rec = Table("name", "family", "download", "hub repo", "note",
                    title="Recommended (deskhand models download NAME)", title_justify="left")
        for r in RECOMMENDED:
            mark = " (installed)" if r.name in cat.models else ""
            rec.add_row(r.name + mark, r.family, f"~{human_size(r.approx_bytes)}", r.repo, r.note)
        console.print(rec)


@group.command("add")
def add(
    ctx: typer.Context,
    gguf: Annotated[Path, typer.Argument(help="The quantized text model (.gguf).")],
    mmproj: Annotated[Path, typer.Option("--mmproj", help="Its vision projector (.gguf).")],
    hf: Annotated[str | None, typer.Option(
        "--hf", help="The same model in Hugging Face format (folder or repo id), "
                     "for training.")] = None,
    family: Annotated[str | None, typer.Option(
        "--family", help=f"Output format: {', '.join(FAMILIES)} (guessed if omitted).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Name in the catalogue.")] = None,
) -> None:
    """Add GGUF files you already have (they stay where they are)."""
    with _catalogue(ctx) as cat:
        model = add_local(cat, gguf, mmproj, hf=hf, family=family, name=name)
        _say(f"Added {model.name} ({model.family}, {human_size(model.size)})"
             + (" — in use as the actor." if cat.roles_of(model.name) else "."))


@group.command("download")
def download(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(
        help="A recommended model (see `deskhand models list`), or an installed one whose "
             "training weights are missing.")],
    endpoint: Annotated[str | None, typer.Option(
        "--endpoint", help="Hub address (default: $HF_ENDPOINT or huggingface.co).")] = None,
    training: Annotated[bool | None, typer.Option(
        "--training/--no-training", help="Also download the Hugging Face weights nightly "
        "training needs (asked, with the size, when not given).")] = None,
    hf: Annotated[str | None, typer.Option(
        "--hf", help="Where an installed model's training weights are: a hub repo id to "
                     "download, or a folder you already have.")] = None,
) -> None:
    """Download a recommended model, and its weights for training if you want them.

    An interrupted download continues where it stopped when you run the same command again.
    """
    rec = find_recommended(name)
    with _catalogue(ctx) as cat:
        if rec is None and name not in cat.models:
            raise _fail(f"{name!r} is not a recommended model; choose one of "
                        f"{', '.join(r.name for r in RECOMMENDED)}")
        if hf is not None:  # a mistyped --hf is said before gigabytes move
            hf_source(hf, rec.family if rec and name not in cat.models else
                      cat.get(name).family)
        installed = cat.models.get(rec.name if rec else name)
        if installed is not None and installed.gguf.is_file() and installed.mmproj.is_file():
            _say(f"{installed.name} is installed (`deskhand models remove {installed.name}` "
                 "first to download it again).")
        elif rec is not None:
            _say(f"Downloading {rec.name} (~{human_size(rec.approx_bytes)}) from {rec.repo}")
            with _progress() as report:
                try:
                    model = download_recommended(cat, rec, endpoint=endpoint, progress=report)
                except KeyboardInterrupt:
                    raise _fail("download stopped; run the same command to continue") from None
            _say(f"Installed {model.name} in {cat.models_dir / model.name}"
                 + (" — in use as the actor." if cat.roles_of(model.name) else "."))
        model = cat.get(rec.name if rec else name)
        if hf is not None:
            model = set_hf_source(cat, model.name, hf)
        _training_weights(cat, model, endpoint, training)


def _training_weights(cat: Catalogue, model: InstalledModel, endpoint: str | None,
                      training: bool | None) -> None:
    """Fetch the model's HF weights when the user wants them; say what is missing when not.
    The question comes before any progress bar, which would draw over it."""
    later = f"`deskhand models download {model.name} --training`"
    if model.trainable:
        _say(f"Training weights: ready in {model.hf}.")
        return
    if model.hf_repo is None:
        _say(f"Training weights: none known for {model.name}; give them with `deskhand models "
             f"download {model.name} --hf FOLDER_OR_REPO` to train it overnight.")
        return
    if training is False:
        _say(f"Training weights: not downloaded; {later} fetches them when you want the "
             "nightly training.")
        return
    try:
        plan = plan_for(cat, model.name, endpoint=endpoint)
    except WeightsUnavailable as exc:
        if training:
            raise
        _say(f"Training weights: not offered now ({exc}).")
        return
    size = human_size(plan.total_bytes)
    if training:
        _say(f"Downloading the training weights ({size}, {len(plan.files)} files) from "
             f"{plan.repo}")
    elif not _ask(f"Nightly training needs this model's Hugging Face weights ({size} from "
                  f"{plan.repo}). Download them now?"):
        _say(f"Training weights: not downloaded; {later} fetches them ({size}).")
        return
    with _progress() as report:
        try:
            done = download_weights(cat, plan, endpoint=endpoint, progress=report)
        except KeyboardInterrupt:
            raise _fail(f"download stopped; {later} continues it") from None
    _say(f"Training weights: ready in {done.hf}; `deskhand learn` can train {model.name}.")


def _ask(question: str) -> bool:
    """A yes/no question; no answer (stdin closed) is no, Ctrl-C stops the command."""
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:
        if _interrupted():
            raise fail("stopped", code=130) from None
        return False


def _interrupted() -> bool:
    import sys

    exc = sys.exc_info()[1]
    return isinstance(getattr(exc, "__context__", None), KeyboardInterrupt)


@contextmanager
def _progress() -> Iterator[FileProgress]:
    """A rich progress bar per file, fed by the core's plain ``(file, done, total)`` callback."""
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        tasks: dict[str, TaskID] = {}

        def report(filename: str, done: int, total: int | None) -> None:
            if filename not in tasks:
                tasks[filename] = bar.add_task(filename, total=total)
            bar.update(tasks[filename], completed=done, total=total)

        yield report


@group.command("add-tiny")
def add_tiny_(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Name in the catalogue.")] = TINY_NAME,
) -> None:
    """Build and add the tiny demo model (for trying the app; it cannot really do tasks)."""
    with _catalogue(ctx) as cat:
        model = add_tiny(cat, name=name)
        _say(f"Added {model.name}: {model.note}.")


@group.command("add-demo")
def add_demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the build.")] = 0,
) -> None:
    """Build the demo model for the practice desktop here (a few minutes, once) and use it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from app.demo import build, install
    from learner.demo_model import DemoRecipe

    recipe = DemoRecipe(seed=seed)
    with _catalogue(ctx) as cat:
        columns = (TextColumn("teaching the demo model"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("loss {task.fields[loss]:.3f}"))
        with Progress(*columns, console=Console(stderr=True)) as bar:
            task = bar.add_task("demo", total=recipe.steps, loss=float("nan"))
            demo = build(state(ctx).paths.ensure().models_dir, recipe,
                         progress=lambda done, total, loss: bar.update(task, completed=done,
                                                                       loss=loss))
        model = install(cat, demo)
        _say(f"Added {model.name} and chose it for the actor and the critic: {model.note}. "
             f"Built in {demo.report['train_seconds']:.0f} s of training.")


@group.command("use")
def use(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="An installed model.")],
    role: Annotated[str, typer.Option("--role", help="actor or critic.")] = "actor",
) -> None:
    """Choose the model the actor (or the critic) runs."""
    with _catalogue(ctx) as cat:
        cat.use(name, role)
        _say(f"The {role} now uses {name}.")


@group.command("remove")
def remove(ctx: typer.Context,
           name: Annotated[str, typer.Argument(help="An installed model.")]) -> None:
    """Remove a model: downloaded files are deleted, your own files are only forgotten."""
    with _catalogue(ctx) as cat:
        roles = cat.roles_of(name)
        model, deleted = remove_model(cat, name)
        kept = (f" (your files in {model.gguf.parent} were left alone)"
                if model.source == "local" else "")
        _say(f"Removed {name}{kept}."
             + (f" No model is in use as {' or '.join(roles)} now." if roles else ""))
