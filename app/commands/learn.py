"""``deskhand learn``: train the actor and/or the reward model from the user's judgments.

This process *is* the trainer's own process (the app spawns ``deskhand learn``): it logs the
resolved config, shows a progress bar, writes its ``training_runs`` rows and registers the
candidate adapters; SIGTERM makes it checkpoint after the current step and exit 0 (the run
resumes next time). The work is :func:`learner.runs.run_job`; this module only wires options,
datasets and base models together.

Several GPUs: ``accelerate launch -m app.cli learn --role actor`` starts the same trainer on
each; see :mod:`learner.train`.
"""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from app.state import state

if TYPE_CHECKING:
    from agent.paths import Paths
    from agent.settings import AgentConfig
    from agent.store.repo import Store
    from learner.config import LearnerConfig
    from learner.train import Job

ERROR_EXIT = 2
log = logging.getLogger("deskhand.learn")


class Role(StrEnum):
    actor = "actor"
    reward = "reward"
    both = "both"


def _learner_config(config: Any) -> LearnerConfig:
    from learner.config import LearnerConfig

    found = getattr(config, "learner", None)
    return found if isinstance(found, LearnerConfig) else LearnerConfig()


def _agent(config: Any) -> AgentConfig:
    from agent.settings import AgentConfig

    found = getattr(config, "agent", None)
    return found if isinstance(found, AgentConfig) else AgentConfig()


def _base_dir(paths: Paths, role: str, override: Path | None) -> tuple[Path, str]:
    """(HF folder to train on, family) for a role: ``--base`` or the installed model's."""
    from models.hub.catalogue import Catalogue

    catalogue = Catalogue.load(paths.models_dir)
    model = catalogue.model_for("actor" if role == "actor" else "critic")
    family = model.family if model is not None else "deskhand"
    if override is not None:
        return override, family
    if model is None or not model.hf or not Path(model.hf).is_dir():
        raise ValueError(f"no Hugging Face weights to train the {role} on: give --base HF_DIR, "
                         "or install the model with its HF folder (deskhand models ...)")
    return Path(model.hf), family


def _job(paths: Paths, store: Store, learner: LearnerConfig, role: str,
         base: Path | None, agent: AgentConfig) -> Job:
    from learner import grpo_actor, grpo_reward
    from learner.adapters import AdapterRegistry
    from learner.data import build_datasets
    from learner.train_config import train_config

    base_dir, family = _base_dir(paths, role, base)
    data = build_datasets(store, paths, learner, family=family,
                          history_length=agent.history_length)
    active = AdapterRegistry(paths.adapters_dir, store).active(role)
    parent = active.peft_dir if active is not None else None
    cfg = train_config(learner)
    if role == "actor":
        return grpo_actor.build_job(data.train, data.holdout, base_dir, cfg.actor,
                                    parent_peft=parent, dataset_hash=data.content_hash,
                                    sigma=learner.rewards.click_sigma)
    return grpo_reward.build_job(data.train, data.holdout, base_dir, cfg.reward_model,
                                 with_reasoning=agent.critic_reasoning, parent_peft=parent,
                                 dataset_hash=data.content_hash)


def _skip_reason(paths: Paths, store: Store, learner: LearnerConfig, role: str) -> str | None:
    from learner.schedule.conditions import should_run

    decision = should_run(paths, store, learner, role=role)
    return None if decision.run else "; ".join(decision.reasons)


def _train(console: Console, paths: Paths, store: Store, learner: LearnerConfig, job: Job,
           max_steps: int | None, max_minutes: float | None, stop: Any) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from learner.runs import run_job

    columns = (TextColumn(f"{job.role}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[info]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task(job.role, total=None, info="")

        def on_step(step: int, total: int, m: dict[str, float]) -> None:
            info = f"reward {m['reward']:.3f} kl {m['kl']:.4f} entropy {m['entropy']:.3f}"
            bar.update(task, completed=step, total=total, info=info)
            log.info("%s step %d/%d: %s", job.role, step, total,
                     json.dumps({k: round(v, 5) for k, v in m.items()}))

        return run_job(paths, store, job, gate_config=learner.gate, max_steps=max_steps,
                       max_minutes=max_minutes, stop=stop, on_step=on_step,
                       keep_versions=learner.registry.keep_versions)


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
    ) -> None:
        """Train the actor and reward-model adapters from your judgments."""
        from agent.store.repo import open_store
        from learner.runs import StopRequest

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
        console, cli = Console(stderr=True), state(ctx)
        if now and nightly:
            raise typer.BadParameter("give --now or --nightly, not both")
        learner = _learner_config(cli.config)
        resolved = json.dumps(_config_json(learner), default=str)
        log.info("resolved config: %s", resolved)
        console.print(f"resolved config: {escape(resolved)}", highlight=False, soft_wrap=True)
        stop = StopRequest().install()
        roles = ["actor", "reward"] if role is Role.both else [role.value]
        store = open_store(cli.paths.ensure(), cli.config.store)
        try:
            for name in roles:
                if stop():
                    break
                if nightly and (why := _skip_reason(cli.paths, store, learner, name)):
                    console.print(f"{name}: skipped ({escape(why)})")
                    continue
                try:
                    job = _job(cli.paths, store, learner, name, base, _agent(cli.config))
                except ValueError as exc:
                    console.print(f"[red]error:[/] {escape(str(exc))}")
                    raise typer.Exit(ERROR_EXIT) from None
                if not job.train:
                    console.print(f"{name}: nothing to train on yet (no judged steps)")
                    continue
                out = _train(console, cli.paths, store, learner, job, max_steps, max_minutes,
                             stop)
                console.print(_summary(name, out))
        finally:
            store.close()


def _config_json(learner: Any) -> dict[str, Any]:
    from dataclasses import asdict

    from learner.train_config import train_config

    return {**asdict(learner), "trainers": asdict(train_config(learner))}


def _summary(role: str, out: Any) -> str:
    if out.status == "interrupted":
        return f"{role}: stopped at step {out.steps}; `deskhand learn` resumes run {out.run_id}"
    verdict = "promoted" if out.decision and out.decision.promote else "not promoted"
    reasons = "; ".join(out.decision.reasons) if out.decision else ""
    return f"{role}: run {out.run_id}, {out.steps} steps, v{out.version} {verdict} ({reasons})"
