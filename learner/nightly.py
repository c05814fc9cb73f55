"""One night's learning for both roles: datasets, readiness, trainers, served gate.

What ``deskhand learn`` runs (the nightly timer, the app's Train now and ``bench learning``
spawn that command): for each role asked for, build the datasets from a snapshot of the store,
check *before training* that the run can be judged (enough held-out examples, something to
learn from) and say exactly what is missing when it cannot, then train, export the GGUF
adapter, evaluate it as it will run (:mod:`learner.served_eval`) and let the gate decide.

The reward model is trained first, so the actor's run the same night can use a reward model
the person's own judgments just promoted: the actor's reward is the verifiable reward where a
person vouched for an action (approved, corrected, done by hand), and the *active* reward
model's score on every other judged state (a rejected, low-rated or skipped step), where
repeating the very action the person rejected scores 0 whatever the critic says.

The design choice a reader must know: a reward model is used to train the actor only once its
own gate has promoted it, i.e. once it has been shown on held-out judgments to agree with the
person better than chance and than any constant; before that, those states wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.critic import ModelCritic
from agent.paths import Paths
from agent.settings import AgentConfig
from learner import distributed, gate
from learner.adapters import AdapterRegistry
from learner.config import LearnerConfig
from learner.data import Datasets, StepRecord, build_datasets, states
from learner.runs import RunOutcome, run_job
from learner.served_eval import ServedEvaluator, held_out_examples, observation
from learner.train import StepCallback
from models.families.base import Parsed, get_family

if TYPE_CHECKING:
    from agent.store.repo import Store
    from learner.train import Job

log = logging.getLogger(__name__)
RUNTIME_ROLE = {"actor": "actor", "reward": "critic"}  # learner role -> catalogue / runtime role


class NotReady(Exception):
    """A role cannot be trained or judged yet; the message says what is missing."""


class SetupNeeded(NotReady):
    """Something the person must install or fix first (a model, its training weights)."""


@dataclass
class RoleResult:
    """How one role's night ended: ``trained``, ``skipped`` (not ready), ``stopped``."""

    role: str
    status: str  # trained | skipped | stopped | setup (something to install first)
    message: str
    outcome: RunOutcome | None = None
    needed: int = 0  # judged held-out steps still missing (skipped for lack of data)


@dataclass
class Night:
    """Trains the roles of one night (see the module doc)."""

    paths: Paths
    store: Store
    learner: LearnerConfig
    agent: AgentConfig = field(default_factory=AgentConfig)
    runtime_config: Any = None  # models.runtime.RuntimeConfig (None: its defaults)
    base: Path | None = None  # HF folder to train on instead of the catalogue's
    say: Callable[[str], None] = print
    _stack: ExitStack = field(default_factory=ExitStack)
    _runtimes: dict[str, Any] = field(default_factory=dict)
    _served: ServedCritic | None = None  # the reward model scoring the actor's run, if any

    def run(self, roles: list[str], *, max_steps: int | None = None,
            max_minutes: float | None = None, stop: Callable[[], bool] = lambda: False,
            on_step: Callable[[str], StepCallback] | None = None) -> list[RoleResult]:
        """Train ``roles`` (reward first); one result per role, in the order trained."""
        ordered = [r for r in ("reward", "actor") if r in roles]
        results: list[RoleResult] = []
        with self._stack:
            for role in ordered:
                if stop():
                    results.append(RoleResult(role, "stopped", "stopped before it started"))
                    continue
                try:
                    job, evaluator = self.prepare(role)
                except NotReady as exc:
                    needed = getattr(exc, "needed", 0)
                    status = "setup" if isinstance(exc, SetupNeeded) else "skipped"
                    results.append(RoleResult(role, status, str(exc), needed=needed))
                    self.say(f"{role}: not trained — {exc}")
                    continue
                outcome = run_job(self.paths, self.store, job, gate_config=self.learner.gate,
                                  max_steps=max_steps, max_minutes=max_minutes, stop=stop,
                                  on_step=on_step(role) if on_step else None,
                                  keep_versions=self.learner.registry.keep_versions,
                                  evaluator=evaluator)
                if role == "actor" and self._served is not None and self._served.calls:
                    served = self._served
                    log.info("actor: the reward model judged %d sampled actions, a state's "
                             "side by side: %d calls, %.1f s", served.calls, served.rounds,
                             served.seconds)
                status = "stopped" if outcome.status == "interrupted" else "trained"
                results.append(RoleResult(role, status, summary(role, outcome), outcome))
                self.say(summary(role, outcome))
        return results

    # -- one role -----------------------------------------------------------------------
    def prepare(self, role: str) -> tuple[Job, ServedEvaluator | None]:
        """The role's job and its served evaluator, or ``NotReady`` saying what is missing.

        Under several processes only rank 0 evaluates, so only it loads the served model
        for that (the others get no evaluator)."""
        from learner import grpo_actor, grpo_reward
        from learner.train_config import train_config

        model = self._model(RUNTIME_ROLE[role])
        family = self.agent.family or (model.family if role == "actor"
                                       else self._model("actor").family)
        data = build_datasets(self.store, self.paths, self.learner, family=family,
                              history_length=self.agent.history_length)
        ready(role, data, self.learner.gate)  # before anything heavy is loaded
        base_dir = self._base_dir(role, model)
        active = AdapterRegistry(self.paths.adapters_dir, self.store).active(role)
        parent = active.peft_dir if active is not None else None
        cfg = train_config(self.learner)
        device = (cfg.reward_model if role == "reward" else cfg.actor).device
        evaluator = ServedEvaluator(self._runtime(model), data.holdout,
                                    with_reasoning=self.agent.critic_reasoning,
                                    sigma=self.learner.rewards.click_sigma,
                                    max_new_tokens=self.agent.max_new_tokens or None,
                                    ) if distributed.current(device).main else None
        if role == "reward":
            job = grpo_reward.build_job(data.train, data.holdout, base_dir, cfg.reward_model,
                                        with_reasoning=self.agent.critic_reasoning,
                                        parent_peft=parent, dataset_hash=data.content_hash)
            return job, evaluator
        critic = self._critic(data)
        job = grpo_actor.build_job(data.train, data.holdout, base_dir, cfg.actor,
                                   parent_peft=parent, dataset_hash=data.content_hash,
                                   sigma=self.learner.rewards.click_sigma, critic=critic)
        if not job.train:
            raise NotReady("nothing to learn from yet: no judged step has a known right "
                           "action" + ("" if critic else " and no reward model is active to "
                                       "score the others"))
        return job, evaluator

    def _model(self, runtime_role: str) -> Any:
        from models.hub.catalogue import Catalogue

        model = Catalogue.load(self.paths.models_dir).model_for(runtime_role)
        if model is None:
            raise SetupNeeded(f"no {runtime_role} model is installed: add one with `deskhand "
                           "models download NAME` (or `deskhand models add-demo`)")
        return model

    def _base_dir(self, role: str, model: Any) -> Path:
        if self.base is not None:
            return self.base
        if model.trainable:
            return Path(model.hf)
        fix = (f"`deskhand models download {model.name} --training` fetches them from "
               f"{model.hf_repo}" if model.hf_repo else
               f"`deskhand models download {model.name} --hf FOLDER_OR_REPO` says where they are")
        raise SetupNeeded(f"the {role} model {model.name!r} has no Hugging Face weights to "
                          f"train on: {fix} (or give --base HF_DIR)")

    def _runtime(self, model: Any) -> Any:
        """One loaded llama.cpp runtime per model file, for evaluation and the critic."""
        key = str(model.gguf)
        if key not in self._runtimes:
            from models.runtime import LlamaRuntime, RuntimeConfig

            runtime = LlamaRuntime(Path(model.gguf), Path(model.mmproj),
                                   self.runtime_config or RuntimeConfig())
            self._stack.callback(runtime.close)
            self._runtimes[key] = runtime
        return self._runtimes[key]

    def _critic(self, data: Datasets) -> Any:
        """The active reward model as the actor's reward on states without a known right
        action, or None while no reward adapter has passed its gate."""
        active = AdapterRegistry(self.paths.adapters_dir, self.store).active("reward")
        if active is None:
            return None
        runtime = self._runtime(self._model("critic"))
        runtime.roles["critic"] = Path(active.gguf_path)
        self._served = ServedCritic(runtime, data.train + data.holdout,
                                    with_reasoning=self.agent.critic_reasoning,
                                    max_new_tokens=self.agent.max_new_tokens or None)
        return self._served


def ready(role: str, data: Datasets, config: Any) -> None:
    """Raise ``NotReady`` unless this role's run can be judged and has something to learn."""
    examples = held_out_examples(role, data.holdout)
    if role == "actor":
        n = sum(1 for r in examples if r.reference_action is not None)
        labels: list[float] = []
    else:
        n, labels = len(examples), [r.label for r in examples]
    needed = gate.shortfall(role, n, labels, config)
    if needed:
        what = ("held-out steps with a known right action (approved, corrected or done by "
                "hand)" if role == "actor" else "held-out judged actions, right and wrong")
        exc = NotReady(f"too little held-out data for the gate to decide: {n} {what}, need "
                       f"{config.min_holdout}; about {needed} more judged steps on held-out "
                       f"episodes are needed ({len(data.holdout)} held-out and "
                       f"{len(data.train)} training examples so far)")
        exc.needed = needed  # type: ignore[attr-defined]
        raise exc
    if role == "reward":
        train = {r.label >= 0.5 for r in data.train}
        if train != {True, False}:
            raise NotReady("the reward model needs both approved and rejected actions to learn "
                           "from; only " + ("approvals" if True in train else "rejections")
                           + " so far")


class ServedCritic:
    """The active reward model scoring the actor's sampled actions (``rewards.Critic``).

    A state is found by its record key (the ``key`` column); the critic sees that state as the
    running critic would (task, screenshot, the sampled action and its reasoning). The actions
    proposed on one state are judged side by side (``ModelCritic.score_many``).
    """

    def __init__(self, runtime: Any, records: list[StepRecord], *, with_reasoning: bool,
                 max_new_tokens: int | None = None) -> None:
        self.records = {r.key: r for r in states(records)}
        self.records.update({r.key: r for r in records})
        family = get_family(records[0].family) if records else None  # the base's resize rule
        self.critic = ModelCritic(runtime, with_reasoning=with_reasoning,
                                  max_new_tokens=max_new_tokens, family=family)
        self.calls = 0  # judgments made
        self.rounds = 0  # score_many calls (one per state per group)
        self.seconds = 0.0

    def __call__(self, judged: Sequence[tuple[Parsed, dict[str, Any]]]) -> list[float]:
        start = time.perf_counter()
        by_state: dict[str, list[int]] = {}
        for i, (_, row) in enumerate(judged):
            by_state.setdefault(str(row["key"]), []).append(i)
        out = [0.0] * len(judged)
        for key, indices in by_state.items():
            record = self.records[key]
            verdicts = self.critic.score_many(
                record.task, observation(record),
                [(judged[i][0].action, judged[i][0].reasoning) for i in indices])
            self.calls += len(indices)
            self.rounds += 1
            for i, verdict in zip(indices, verdicts, strict=True):
                out[i] = 0.0 if verdict is None else float(verdict.reward)
        self.seconds += time.perf_counter() - start
        return out


def summary(role: str, out: RunOutcome) -> str:
    """One line for the terminal: what the run did and what the gate decided, with n and p."""
    if out.status == "interrupted":
        what = out.note or f"stopped at step {out.steps}"
        return f"{role}: {what}; `deskhand learn` resumes run {out.run_id}"
    if out.decision is None:
        return f"{role}: run {out.run_id}, {out.steps} steps, v{out.version}"
    return (f"{role}: run {out.run_id}, {out.steps} steps, v{out.version} "
            f"{out.decision.headline} — " + "; ".join(out.decision.reasons))
