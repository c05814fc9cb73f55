"""One training run end to end: its ``training_runs`` row, the recipe, and the candidate.

``run_job`` takes the training lock, opens (or resumes) the role's run row and folder
``runs/<id>-<role>/``, runs :class:`learner.train.Recipe`, and at the end exports the LoRA to a
GGUF adapter, evaluates the candidate and the baseline (the active adapter, else the base
model) on the holdout, registers the candidate and lets :mod:`learner.gate` promote it or not,
with its reasons kept in the row.

The design choice a reader must know: this module writes only its own rows (``training_runs``
here, ``adapters`` through the registry), and the active adapter changes only by the
registry's atomic promote after the gate, so a trainer killed at any point leaves the app with
the adapter it had; a killed run's row stays ``running`` (or ``interrupted`` after SIGTERM)
and the next run of that role resumes it from its checkpoint.

Several processes (``accelerate launch``, :mod:`learner.distributed`) train one run: rank 0
owns the lock, the row, the folder, the checkpoints, the export and the gate. A model sharded
over them (FSDP, :mod:`learner.sharding`) needs every rank for its forwards, so all of them
take part in the torch measurements before rank 0 goes on alone (:func:`measure`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.locks import training_lock
from agent.paths import Paths
from agent.store.repo import Store
from agent.store.schema import TrainingRun, utcnow
from learner import checkpoint, distributed, gate, sharding
from learner.adapters import AdapterRegistry
from learner.config import GateConfig
from learner.train import Job, Recipe, StepCallback

log = logging.getLogger(__name__)
Evaluator = Callable[[str, Path | None], gate.Evaluation]  # (role, GGUF adapter or base) -> ...


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended: ``status`` of its row, the registered version and the decision."""

    run_id: int
    status: str  # done | interrupted | failed
    steps: int
    resumed_from: int | None
    version: int | None = None
    decision: gate.GateDecision | None = None
    candidate: dict[str, float] | None = None
    baseline: dict[str, float] | None = None
    note: str | None = None  # why an interrupted run stopped, when not a stop request


def run_dir(paths: Paths, run_id: int, role: str) -> Path:
    return paths.runs_dir / f"{run_id:05d}-{role}"


def resumable_run(store: Store, paths: Paths, role: str) -> int | None:
    """The role's latest unfinished run (interrupted, or left ``running`` by a kill) that has
    a checkpoint. Call it holding the training lock: then no live trainer owns that row."""
    from sqlalchemy import select

    with store.session() as s:
        row = s.scalar(select(TrainingRun).where(TrainingRun.role == role)
                       .order_by(TrainingRun.id.desc()).limit(1))
        if row is None or row.status not in ("running", "interrupted"):
            return None
        run_id = row.id
    return run_id if checkpoint.latest(run_dir(paths, run_id, role)) else None


def _update(store: Store, run_id: int, **fields: Any) -> None:
    with store.session() as s:
        row = s.get_one(TrainingRun, run_id)
        for name, value in fields.items():
            setattr(row, name, value)


def _finite(metrics: dict[str, float]) -> dict[str, float | None]:
    return {k: (v if math.isfinite(v) else None) for k, v in metrics.items()}


def open_run(store: Store, paths: Paths, job: Job, resume: bool) -> tuple[int, bool]:
    """(run id, resumed?): the role's resumable run, else a new ``running`` row."""
    found = resumable_run(store, paths, job.role) if resume else None
    if found is not None:
        _update(store, found, status="running", reason="resumed")
        return found, True
    with store.session() as s:
        row = TrainingRun(role=job.role, status="running", config=job.config_json(),
                          started_at=utcnow(), reason="started")
        s.add(row)
        s.flush()
        run_id = row.id
    folder = run_dir(paths, run_id, job.role)
    folder.mkdir(parents=True, exist_ok=True)
    _update(store, run_id, log_path=str(folder / "train.log"))
    return run_id, False


def run_job(paths: Paths, store: Store, job: Job, *, gate_config: GateConfig | None = None,
            max_steps: int | None = None, max_minutes: float | None = None,
            stop: Callable[[], bool] = lambda: False, on_step: StepCallback | None = None,
            resume: bool = True, keep_versions: int = 5,
            evaluator: Evaluator | None = None) -> RunOutcome:
    """Train ``job`` as a run of the store (see module doc); holds the training lock.

    Under ``accelerate launch`` every rank calls this: rank 0 alone takes the lock, opens the
    run (row and folder), writes checkpoints and rows, exports, evaluates and gates; the
    others train their share of each step in the same folder and return when training ends.
    """
    ranks = distributed.current(job.config.device)
    same_job(job, ranks)
    paths.ensure()
    with ExitStack() as held:
        run_id = _open_shared(paths, store, job, resume, ranks, held)
        folder = run_dir(paths, run_id, job.role)
        steps: list[dict[str, float | None]] = []
        main = ranks.main

        def step_done(step: int, total: int, metrics: dict[str, float]) -> None:
            steps.append(_finite(metrics))
            _update(store, run_id, metrics={"steps": steps})
            if on_step is not None:
                on_step(step, total, metrics)

        recipe = Recipe(job, folder, step_done if main else None, ranks)
        try:
            recipe.setup()
            steps.extend(_finite(m) for m in recipe.state.metrics)
            minutes = max_minutes if max_minutes is not None else job.config.max_minutes
            why = recipe.train(max_steps, time.monotonic() + 60 * minutes, stop)
            recipe.save_checkpoint()
            # out of time inside the warm-up: a half-warmed adapter is not gated; the next run
            # resumes the warm-up where it stopped (a done run would start it again)
            note = (f"out of time in the warm-up after {recipe.state.warmup_step} of its steps"
                    if why == "time" and not recipe.state.warmed else None)
            if why == "stopped" or note:  # every rank agreed on it (Recipe.train)
                if main:
                    _update(store, run_id, status="interrupted", ended_at=utcnow(),
                            reason=note or f"stopped at step {recipe.state.step} (signal)",
                            metrics={"steps": steps})
                return RunOutcome(run_id, "interrupted", recipe.state.step, recipe.resumed_from,
                                  note=note)
            ranks = recipe.ranks  # marked sharded when FSDP split the model
            measured = None
            if ranks.sharded:  # the gate's torch measurements need every rank's shards
                plan = ranks.share(_plan(paths, store, job, evaluator) if main else (False, None))
                measured = measure(recipe, *plan)
            if not main:  # wait out rank 0's export and gate: the next role reads what it wrote
                failed = ranks.share(None)
                if failed is not None:
                    raise RuntimeError(f"rank 0 could not finish the {job.role} run: {failed}")
                return RunOutcome(run_id, "done", recipe.state.step, recipe.resumed_from)
            try:
                outcome = finish(paths, store, recipe, run_id, gate_config or GateConfig(),
                                 keep_versions, evaluator, measured)
            except BaseException as exc:
                ranks.share(f"{type(exc).__name__}: {exc}")
                raise
            ranks.share(None)
            _update(store, run_id, status="done", ended_at=utcnow(),
                    reason=f"{why}: {recipe.state.step} steps",
                    metrics={"steps": steps, "candidate": _finite(outcome.candidate or {}),
                             "baseline": _finite(outcome.baseline or {}),
                             "version": outcome.version,
                             "pulses": recipe.state.pulses,
                             "warmup_loss": recipe.state.warmup_loss,
                             "warmup_guard": recipe.state.guard,
                             "gate": outcome.decision.to_json() if outcome.decision else None})
            return outcome
        except BaseException as exc:
            if not main:  # rank 0 records the run: leave it this rank's own error to read
                (folder / f"rank-{ranks.rank}.error").write_text(
                    f"{type(exc).__name__}: {exc}"[:2000], encoding="utf-8")
            else:  # another rank died (killed, out of memory): interrupted, so the next run
                # resumes from the checkpoint; but a rank that failed on its own error fails it
                lost = ranks.world > 1 and distributed.lost_peer(exc)
                errors = sorted(folder.glob("rank-*.error")) if lost else []
                why = (f"{errors[0].stem} failed: {errors[0].read_text(encoding='utf-8')}"
                       if errors else f"{type(exc).__name__}: {exc}")
                _update(store, run_id, status="interrupted" if lost and not errors
                        else "failed", ended_at=utcnow(), metrics={"steps": steps},
                        reason=(("a training process was lost: " if lost and not errors else "")
                                + why)[:2000])
            raise
        finally:
            recipe.cleanup()


def same_job(job: Job, ranks: distributed.Ranks) -> None:
    """Every rank built the same job (each reads the store on its own), or all raise before
    any run is opened: ranks training different states would silently not train one run."""
    mine = (job.role, job.dataset_hash, len(job.train), len(job.sft_examples),
            str(job.parent_peft), len(job.reward_fns))
    seen = ranks.gather(mine)
    if any(other != seen[0] for other in seen):
        raise RuntimeError(f"the training processes built different {job.role} jobs "
                           f"(role, data hash, states, examples, parent, rewards): {seen}")


def _open_shared(paths: Paths, store: Store, job: Job, resume: bool,
                 ranks: distributed.Ranks, held: ExitStack) -> int:
    """Rank 0 takes the training lock (held until ``held`` closes) and opens the run; every
    rank gets its id, or rank 0's error (a busy lock) as a ``RuntimeError``."""
    opened: int | str | None = None
    if ranks.main:
        try:
            held.enter_context(training_lock(paths.locks_dir))
            opened = open_run(store, paths, job, resume)[0]
            for stale in run_dir(paths, opened, job.role).glob("rank-*.error"):
                stale.unlink()  # an earlier attempt's: this one starts clean
        except BaseException as exc:
            ranks.share(f"{type(exc).__name__}: {exc}")
            raise
    opened = ranks.share(opened)
    if isinstance(opened, str):
        raise RuntimeError(f"rank 0 could not open the {job.role} run: {opened}")
    assert opened is not None
    return opened


@dataclass(frozen=True)
class Measured:
    """What the gate needs from the torch model (:func:`measure`)."""

    weights: dict[str, Any] | None  # a sharded model's LoRA, gathered whole (None: unsharded)
    kl: float | None  # the actor's drift from the base
    candidate: gate.Evaluation | None  # torch evaluations, when no served evaluator runs
    baseline: gate.Evaluation | None


def _plan(paths: Paths, store: Store, job: Job,
          evaluator: Evaluator | None) -> tuple[bool, str | None]:
    """Rank 0's plan for :func:`measure`: whether the torch model is evaluated (no served
    evaluator), and the active adapter it is compared with."""
    active = AdapterRegistry(paths.adapters_dir, store).active(job.role)
    return evaluator is None, str(active.peft_dir) if active else None


def measure(recipe: Recipe, torch_eval: bool, active_peft: str | None) -> Measured:
    """The trained LoRA, the actor's drift and (``torch_eval``) the candidate's and the
    baseline's holdout results from the torch model. A sharded model's ranks all call this
    together: each of its forwards needs every rank."""
    job = recipe.job
    weights = sharding.full_weights(recipe.model) if recipe.ranks.sharded else None
    kl = recipe.drift() if job.role == "actor" and job.holdout else None
    candidate = baseline = None
    if torch_eval:
        candidate = recipe.evaluation("candidate")
        baseline = (recipe.evaluation_peft(Path(active_peft)) if active_peft
                    else recipe.evaluation("base"))
    return Measured(weights, kl, candidate, baseline)


def finish(paths: Paths, store: Store, recipe: Recipe, run_id: int, gate_config: GateConfig,
           keep_versions: int, evaluator: Evaluator | None = None,
           measured: Measured | None = None) -> RunOutcome:
    """Export, evaluate candidate and baseline, register, gate (promote or say why not).

    ``evaluator`` evaluates a GGUF adapter (or the base, ``None``) as it will run
    (:class:`learner.served_eval.ServedEvaluator`); without one (synthetic jobs, tests) the
    torch model is evaluated on the job's holdout instead, and the row says which it was.
    ``measured``: what :func:`measure` took already (a sharded model's ranks together).
    """
    from models.architectures import of_folder
    from models.gguf.lora import export_lora

    job = recipe.job
    folder = run_dir(paths, run_id, job.role)
    if measured is None:
        measured = measure(recipe, *_plan(paths, store, job, evaluator))
    peft_dir = recipe.save_adapter(folder / "adapter", measured.weights)
    gguf_path = export_lora(peft_dir, folder / "adapter.gguf",  # for the base's llama.cpp arch
                            arch=of_folder(job.base_dir).gguf_arch)
    registry = AdapterRegistry(paths.adapters_dir, store, keep=keep_versions)
    active = registry.active(job.role)
    if evaluator is None:
        evaluated = "torch model on the training holdout"
        assert measured.candidate is not None and measured.baseline is not None
        candidate, baseline = measured.candidate, measured.baseline
    else:
        evaluated = "GGUF adapter on the quantized base through llama.cpp"
        recipe.cleanup()  # the trainer's memory is not needed to run the served model
        candidate = evaluator(job.role, gguf_path)
        baseline = evaluator(job.role, active.gguf_path if active else None)
    candidate = dataclasses.replace(candidate, kl=measured.kl)
    log.info("%s candidate %s; baseline %s (%s)", job.role, _figures(candidate),
             _figures(baseline), evaluated)
    version = registry.register(job.role, peft_dir, gguf_path, {
        "dataset_hash": job.dataset_hash, "config": job.config_json(),
        "metrics": {"candidate": candidate.metrics(), "baseline": baseline.metrics(),
                    "evaluated": evaluated},
        "training_run_id": run_id})
    decision = gate.gate_candidate(
        registry, job.role, version, candidate, baseline, gate_config,
        baseline_name=f"active v{active.version}" if active else "the base model")
    log.info("%s v%d: %s (%s)", job.role, version, decision.headline,
             "; ".join(decision.reasons))
    return RunOutcome(run_id, "done", recipe.state.step, recipe.resumed_from, version,
                      decision, candidate.metrics(), baseline.metrics())


def _figures(evaluation: gate.Evaluation) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in evaluation.metrics().items())


class StopRequest:
    """A stop flag for ``run_job(stop=...)``, set by SIGTERM (or by hand)."""

    def __init__(self) -> None:
        self.requested = False
        self.signal: int | None = None

    def __call__(self) -> bool:
        return self.requested

    def install(self) -> StopRequest:
        """Route SIGTERM (and SIGINT) here; the run checkpoints and exits after its step."""
        import signal

        def handler(signum: int, _frame: Any) -> None:
            self.requested, self.signal = True, signum
            log.warning("signal %d: stopping after the current step (a checkpoint follows)",
                        signum)

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        return self
