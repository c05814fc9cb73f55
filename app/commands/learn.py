"""``deskhand learn``: train the reward model and the actor from the user's judgments.

This process *is* the trainer's own process (the app and the nightly timer spawn ``deskhand
learn``): it logs the resolved config, shows a progress bar, and runs one night of
:class:`learner.nightly.Night` — readiness first (so a run that could never be judged says
what is missing within seconds instead of training for nothing), then each role's run, the
served evaluation and the gate, whose decision is printed with its n and p. A role that
trains on the CPU gets the CPU budget (``learner.budget``), and the command says so. SIGTERM
stops the run within one sampled completion (or one warm-up step) and checkpoints it (the
next run resumes).
``--processes K`` runs the same command under ``accelerate launch``
(:mod:`app.commands.learn_launch`).

Exit status: 0 when every asked role trained or was skipped for a reason it states, 1 when a
run failed, 2 for a problem to fix first (no model, bad options).
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from app.commands.errors import fail
from app.state import state

log = logging.getLogger("deskhand.learn")


class Role(StrEnum):
    actor = "actor"
    reward = "reward"
    both = "both"


def _configs(config: Any) -> tuple[Any, Any, Any]:
    """(learner, agent, runtime) settings of the loaded config (defaults where absent)."""
    from agent.settings import AgentConfig
    from learner.config import LearnerConfig
    from models.runtime import RuntimeConfig

    learner = getattr(config, "learner", None)
    agent = getattr(config, "agent", None)
    runtime = getattr(config, "runtime", None)
    return (learner if isinstance(learner, LearnerConfig) else LearnerConfig(),
            agent if isinstance(agent, AgentConfig) else AgentConfig(),
            runtime if isinstance(runtime, RuntimeConfig) else RuntimeConfig())


def _skip_reason(paths: Any, store: Any, learner: Any, role: str) -> str | None:
    from learner.schedule.conditions import should_run

    decision = should_run(paths, store, learner, role=role)
    return None if decision.run else "; ".join(decision.reasons)


def _progress(console: Console) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.fields[role]}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[info]}"), TimeElapsedColumn())
    return Progress(*columns, console=console, disable=not console.is_terminal)


def register(app: typer.Typer) -> None:
    @app.command()
    def learn(
        ctx: typer.Context,
        role: Annotated[Role, typer.Option("--role", help="Which adapter to train")] = Role.both,
        max_minutes: Annotated[float | None, typer.Option(
            "--max-minutes", min=0.01, help="Wall-time budget per role")] = None,
        max_steps: Annotated[int | None, typer.Option(
            "--max-steps", min=1, help="GRPO steps per role")] = None,
        now: Annotated[bool, typer.Option("--now", help="Train now (the default)")] = False,
        nightly: Annotated[bool, typer.Option(
            "--nightly", help="Train only if the nightly conditions hold")] = False,
        base: Annotated[Path | None, typer.Option(
            "--base", help="HF folder of the base model", exists=True, file_okay=False)] = None,
        processes: Annotated[int, typer.Option(
            "--processes", min=1,
            help="Data-parallel processes (one per GPU) through accelerate launch")] = 1,
        fsdp: Annotated[bool, typer.Option(
            "--fsdp", help="Shard the model over the --processes (FSDP2), for a model too big "
            "for one GPU")] = False,
    ) -> None:
        """Train the reward-model and actor adapters from your judgments."""
        from app.commands import learn_launch
        from learner import sharding

        if fsdp and not learn_launch.launched() and processes < 2:
            raise typer.BadParameter("--fsdp shards the model over several processes: give "
                                     "--processes K (K >= 2)")
        try:
            wanted = sharding.requested()  # accelerate's FSDP settings, checked before loading
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        if fsdp and learn_launch.launched() and wanted is None:
            raise typer.BadParameter("--fsdp under accelerate launch: launch with accelerate's "
                                     "FSDP config (packaging/accelerate/fsdp.yaml)")
        if processes > 1 and not learn_launch.launched():
            raise typer.Exit(learn_launch.relaunch(processes, sys.argv[1:], fsdp))
        from agent.store.repo import open_store
        from learner.nightly import Night
        from learner.runs import StopRequest

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
        console, cli = Console(stderr=True, soft_wrap=True, highlight=False), state(ctx)
        if now and nightly:
            raise typer.BadParameter("give --now or --nightly, not both")
        learner, agent, runtime = _configs(cli.config)
        roles = ["reward", "actor"] if role is Role.both else [role.value]
        learner = _device_budget(learner, roles, console, cli)
        resolved = json.dumps(_config_json(learner, agent), default=str)
        log.info("resolved config: %s", resolved)
        console.print(f"resolved config: {escape(resolved)}")
        stop = StopRequest().install()
        store = open_store(cli.paths.ensure(), cli.config.store)
        try:
            if nightly:
                for name in list(roles):
                    if why := _skip_reason(cli.paths, store, learner, name):
                        console.print(f"{name}: skipped ({escape(why)})")
                        roles.remove(name)
            night = Night(cli.paths, store, learner, agent, runtime, base,
                          say=lambda line: console.print(escape(line)))
            with _progress(console) as bar:
                def on_step(name: str) -> Any:
                    task = bar.add_task(name, total=None, role=name, info="")

                    def step(done: int, total: int, m: dict[str, float]) -> None:
                        info = (f"reward {m['reward']:.3f} kl {m['kl']:.4f} "
                                f"entropy {m['entropy']:.3f}")
                        bar.update(task, completed=done, total=total, info=info)
                        log.info("%s step %d/%d: %s", name, done, total,
                                 json.dumps({k: round(v, 5) for k, v in m.items()}))
                    return step

                results = night.run(roles, max_steps=max_steps, max_minutes=max_minutes,
                                    stop=stop, on_step=on_step)
        except Exception as exc:  # a run failed: its row says so; one clear line here
            log.exception("learn failed")
            raise fail(f"training failed: {type(exc).__name__}: {exc}", code=1) from None
        finally:
            store.close()
        if results and all(r.status == "setup" for r in results):
            raise typer.Exit(2)  # nothing could even start: the messages say what to install


def _device_budget(learner: Any, roles: list[str], console: Console, cli: Any) -> Any:
    """``learner`` with each role's budget scaled to the device it trains on (the CPU gets a
    night it can finish, but for what the person set), each decision said and logged."""
    from agent.config import read
    from learner.budget import ROLE_FIELDS, for_device
    from learner.policy import pick_device

    tables = read(cli.paths.config_file, cli.overrides).get("learner", {})
    for name in roles:
        written = set(tables.get(ROLE_FIELDS[name], {}))
        device = pick_device(getattr(learner, ROLE_FIELDS[name]).device)
        label = ""
        if device.startswith("cuda"):
            import torch

            label = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "not found"
        budget = for_device(learner, name, device, label, written)
        learner = budget.learner
        log.info("%s", budget.note)
        console.print(escape(budget.note))
    return learner


def _config_json(learner: Any, agent: Any) -> dict[str, Any]:
    from learner.train_config import train_config

    return {**asdict(learner), "trainers": asdict(train_config(learner)),
            "agent": {"history_length": agent.history_length,
                      "critic_reasoning": agent.critic_reasoning}}
