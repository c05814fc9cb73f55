"""``deskhand adapters list|promote|rollback`` and ``deskhand schedule install|remove|status``.

The work is done by ``learner.adapters`` and ``learner.schedule``; this module parses options,
prints rich tables and turns errors into one line on stderr with exit status 2.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.commands.errors import fail
from app.state import state

if TYPE_CHECKING:
    from agent.store.repo import Store
    from learner.adapters import AdapterRegistry, AdapterVersion
    from learner.config import LearnerConfig

ERROR_EXIT = 2
adapters_group = typer.Typer(help="List, promote or roll back LoRA adapter versions.",
                             no_args_is_help=True)
schedule_group = typer.Typer(help="Install, remove or show the nightly training timer.",
                             no_args_is_help=True)


class Role(StrEnum):
    actor = "actor"
    reward = "reward"


RoleOption = Annotated[Role, typer.Option("--role", help="Which adapter: actor or reward.")]


def _fail(message: str) -> typer.Exit:
    return fail(message, code=ERROR_EXIT)


def _learner_config(ctx: typer.Context) -> LearnerConfig:
    from learner.config import LearnerConfig

    found = getattr(state(ctx).config, "learner", None)  # until app.config has the table
    return found if isinstance(found, LearnerConfig) else LearnerConfig()


def _open(ctx: typer.Context) -> tuple[Store, AdapterRegistry]:
    from agent.store.engine import StoreError
    from agent.store.repo import open_store
    from learner.adapters import AdapterRegistry

    cli = state(ctx)
    try:
        store = open_store(cli.paths.ensure(), cli.config.store)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    keep = _learner_config(ctx).registry.keep_versions
    return store, AdapterRegistry(cli.paths.adapters_dir, store, keep=keep)


def _metrics_text(metrics: dict[str, Any]) -> str:
    parts = [f"{k} {v:.3f}" for k, v in sorted(metrics.items())
             if isinstance(v, float) and k not in ("n",)]
    return ", ".join(parts) or "-"


def _row(adapter: AdapterVersion, ok: bool) -> list[str]:
    status = adapter.status if ok else f"{adapter.status} [red](corrupt)[/]"
    return [str(adapter.version), status, "-" if adapter.parent is None else str(adapter.parent),
            adapter.created_at[:19].replace("T", " "), (adapter.dataset_hash or "-")[:12],
            adapter.sha256[:12], _metrics_text(adapter.metrics)]


@adapters_group.command("list")
def list_(ctx: typer.Context, role: Annotated[Role | None, typer.Option(
        "--role", help="Only this role (default: both).")] = None) -> None:
    """Show every adapter version with its status and metrics."""
    from learner.adapters import CorruptAdapter

    store, registry = _open(ctx)
    try:
        console = Console(width=140)
        for name in [role.value] if role else [r.value for r in Role]:
            table = Table(title=f"{name} adapters", title_justify="left")
            for column in ("version", "status", "parent", "created (UTC)", "dataset",
                           "sha256", "metrics"):
                table.add_column(column, no_wrap=column != "metrics")
            for adapter in registry.list(name):
                try:
                    registry.verify(name, adapter.version)
                    ok = True
                except CorruptAdapter:
                    ok = False
                table.add_row(*_row(adapter, ok))
            if not table.row_count:
                console.print(f"no {name} adapters yet (the base model is used)")
                continue
            console.print(table)
    finally:
        store.close()


@adapters_group.command("promote")
def promote(ctx: typer.Context, version: Annotated[str, typer.Argument(
                help="Version number, as `adapters list` prints it (v3 or 3).")],
            role: RoleOption = Role.actor) -> None:
    """Make VERSION the active adapter (checked against its hashes first)."""
    from learner.adapters import RegistryError

    number = version.strip().lower().removeprefix("v")
    if not number.isdigit():
        raise _fail(f"not a version: {version!r} (give it as `adapters list` shows, e.g. v3)")
    store, registry = _open(ctx)
    try:
        adapter = registry.promote(role.value, int(number))
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    Console().print(f"{role.value} adapter v{adapter.version} is active "
                    f"(sha256 {adapter.sha256[:12]}); the agent loads it at the next episode",
                    highlight=False)


@adapters_group.command("rollback")
def rollback(ctx: typer.Context, role: RoleOption = Role.actor) -> None:
    """Go back to the previously active adapter (or the base model)."""
    from learner.adapters import RegistryError

    store, registry = _open(ctx)
    try:
        adapter = registry.rollback(role.value)
    except RegistryError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    what = f"v{adapter.version} (sha256 {adapter.sha256[:12]})" if adapter else "the base model"
    Console().print(f"{role.value}: rolled back to {what}", highlight=False)


def _installer(ctx: typer.Context) -> Any:
    from learner.schedule.install import Installer

    return Installer(unit_dir=_learner_config(ctx).schedule.unit_dir)


@schedule_group.command("install")
def install(ctx: typer.Context, at: Annotated[str | None, typer.Option(
        "--at", metavar="HH:MM", help="When the nightly window opens (local time).")] = None,
            ) -> None:
    """Install (or replace) the OS timer that runs `deskhand learn --nightly`."""
    from learner.schedule.install import default_job

    cfg = _learner_config(ctx).schedule
    try:
        cfg = dataclasses.replace(cfg, at=at) if at is not None else cfg
    except ValueError as exc:
        raise _fail(f"--at: {exc}") from None
    paths = state(ctx).paths.ensure()
    try:
        files, messages = _installer(ctx).install(default_job(paths.logs_dir), cfg)
    except OSError as exc:
        raise _fail(str(exc)) from None
    console = Console()
    console.print(f"nightly training at {cfg.at} (retrying every {cfg.retry_minutes} min for "
                  f"{cfg.window_hours} h while the conditions are not met)", highlight=False)
    for path in files:
        console.print(f"  wrote {path}", highlight=False, soft_wrap=True)
    for line in messages:
        console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)


@schedule_group.command("remove")
def remove(ctx: typer.Context) -> None:
    """Remove the OS timer."""
    try:
        removed, messages = _installer(ctx).remove()
    except OSError as exc:
        raise _fail(str(exc)) from None
    console = Console()
    if not removed:
        console.print("no nightly timer was installed")
    for path in removed:
        console.print(f"removed {path}", highlight=False, soft_wrap=True)
    for line in messages:
        console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)


@schedule_group.command("status")
def status(ctx: typer.Context) -> None:
    """Show the timer and whether a nightly run would train right now."""
    from learner.schedule.conditions import should_run

    now = _installer(ctx).status()
    console = Console()
    console.print(now.describe(), highlight=False, markup=False, soft_wrap=True)
    for path in now.files:
        console.print(f"  {path}", highlight=False, soft_wrap=True)
    for line in now.manager:
        console.print(escape(line), highlight=False, soft_wrap=True)
    store, _registry = _open(ctx)
    try:
        for role in Role:
            decision = should_run(state(ctx).paths, store, _learner_config(ctx),
                                  role=role.value)
            verdict = "would train" if decision.run else "would skip"
            console.print(f"{role.value} now: {verdict}", highlight=False)
            for check in decision.checks:
                mark = "[green]ok[/]" if check.ok else "[red]no[/]"
                console.print(f"  {mark} {check.name}: {escape(check.detail)}",
                              highlight=False)
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    app.add_typer(adapters_group, name="adapters")
    app.add_typer(schedule_group, name="schedule")
