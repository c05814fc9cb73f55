"""The nights of ``deskhand bench learning``: teach, learn, measure — through the product's path.

Before night 1 and after each night, the active adapters act alone on held-out tasks of the
suite (seeds never taught), and the suite's own verdict counts the successes. Each night:
``episodes`` tasks on fresh teaching seeds, every step judged by the simulated user through the
ordinary gate (approve, correct, take over, reject) and stored like any person's judgments;
then ``deskhand learn --role both --now`` in its own process, exactly as the nightly timer runs
it (datasets from the store, the reward model then the actor, GGUF export, the served gate);
the next night acts with whatever the gate promoted.

The design choice a reader must know: nothing here trains, exports or promotes anything — the
bench only *uses* the product (the episode loop, the store, the learn command, the registry)
and reads what it did back from the store, so its figures are the product's figures.
"""

from __future__ import annotations

import dataclasses
import io
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import select

from agent.actuator import PyAutoGuiActuator, StopToken
from agent.paths import Paths
from agent.store.repo import Store, open_store
from agent.store.schema import TrainingRun
from agent.suites.base import TaskSuite
from agent.suites.simulated_user import SimulatedUser, Tally
from app.commands.run_gate import UnattendedGate
from app.config import DeskhandConfig, load_config
from app.episode_models import ModelStack
from app.learning_bench.settings import BenchSettings
from app.suite_runs import SuiteEpisode, run_suite_episode

Say = Callable[[str], None]


@dataclass
class NightRow:
    """One line of the report: the state after ``night`` nights (0: before any)."""

    night: int
    success: float
    parse_rate: float
    episodes: int
    rm_agreement: float | None = None
    rm_n: int = 0
    actor_gate: str = ""
    reward_gate: str = ""
    actor_promoted: bool = False
    reward_promoted: bool = False
    taught: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    active: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Bench:
    settings: BenchSettings
    home: Path
    out: Path
    say: Say = print

    def __post_init__(self) -> None:
        self.paths = Paths.resolve(self.home).ensure()
        self.out.mkdir(parents=True, exist_ok=True)

    @property
    def config(self) -> DeskhandConfig:
        return load_config(self.paths.config_file)

    # -- the whole run ------------------------------------------------------------------
    def run(self, display: str) -> list[NightRow]:
        """All nights on ``display`` (an X display of ``settings.screen`` size)."""
        os.environ["DISPLAY"] = display
        config = self.config
        store = open_store(self.paths, config.store)
        models = ModelStack(self.paths, config.runtime)
        suite, close_suite = self.open_suite(display)
        rows: list[NightRow] = []
        try:
            rows.append(self.evaluate(0, store, models, suite))
            self._report(rows[-1])
            for night in range(1, self.settings.nights + 1):
                taught, teach_s = self.teach(night, store, models, suite)
                learn_s = self.learn(night)
                row = self.evaluate(night, store, models, suite)
                row.taught, row.seconds = taught, {**row.seconds, "teach": teach_s,
                                                   "learn": learn_s}
                self._gates(row, store, since=night)
                rows.append(row)
                self._report(row)
        finally:
            close_suite()
            models.close()
            store.close()
        return rows

    def open_suite(self, display: str) -> tuple[TaskSuite, Callable[[], None]]:
        """The settings' task suite on ``display`` (practice exercises or MiniWoB++ pages),
        and what closes it for good."""
        s = self.settings
        if s.suite == "miniwob":
            from agent.suites.miniwob import MiniWobSuite

            # the window's top-left corner at the screen's: the whole page on a small screen
            pages = MiniWobSuite(s.tasks, display=display, position=(0, 0))
            return pages, pages.shutdown
        from agent.suites.practice import PracticeSuite

        practice = PracticeSuite(s.kinds, display=display, home=self.home,
                                 folder=self.out / "tasks")
        return practice, practice.close

    # -- measuring ----------------------------------------------------------------------
    def evaluate(self, night: int, store: Store, models: ModelStack,
                 suite: TaskSuite) -> NightRow:
        """The active adapters alone on the held-out tasks (stored as ``eval`` episodes)."""
        started = time.monotonic()
        config = self.config
        agent = dataclasses.replace(config.agent, approval="never")
        policy, meta = models.actor(agent)
        gate = UnattendedGate(Console(file=io.StringIO()))
        done: list[SuiteEpisode] = []
        for seed in self.settings.heldout_seeds():
            done.append(run_suite_episode(suite, seed, store=store, policy=policy, meta=meta,
                                          gate=gate, agent=agent, safety=config.safety,
                                          source="eval"))
        steps = sum(e.steps for e in done)
        row = NightRow(night, sum(e.success for e in done) / len(done),
                       sum(e.parsed for e in done) / max(1, steps), len(done),
                       active={"actor": meta.actor_adapter})
        row.rm_agreement, row.rm_n = self.reward_agreement(store, models)
        row.seconds = {"eval": time.monotonic() - started}
        return row

    def reward_agreement(self, store: Store, models: ModelStack) -> tuple[float | None, int]:
        """The active reward model (or the base) against the held-out judgments so far."""
        from learner.adapters import AdapterRegistry
        from learner.data import build_datasets
        from learner.served_eval import evaluate_reward

        config = self.config
        data = build_datasets(store, self.paths, config.learner,
                              family=models.model("actor").family,
                              history_length=config.agent.history_length)
        if not data.holdout:
            return None, 0
        active = AdapterRegistry(self.paths.adapters_dir, store).active("reward")
        runtime = models.runtime(models.model("critic"))
        result = evaluate_reward(runtime, data.holdout, active.gguf_path if active else None,
                                 with_reasoning=config.agent.critic_reasoning,
                                 max_new_tokens=config.agent.max_new_tokens or None)
        return result.metrics()["accuracy"], result.n

    # -- teaching -----------------------------------------------------------------------
    def teach(self, night: int, store: Store, models: ModelStack,
              suite: TaskSuite) -> tuple[dict[str, int], float]:
        """The night's teaching episodes, judged step by step by the simulated user."""
        from agent.control.record import UserActionRecorder

        started = time.monotonic()
        config, s = self.config, self.settings
        agent = dataclasses.replace(config.agent, approval="each")
        policy, meta = models.actor(agent)
        hands = PyAutoGuiActuator(StopToken())
        user = SimulatedUser(suite, random.Random(f"{s.seed}:{night}"), s.error_rate,
                             s.correct_share, s.takeover_share, hands=hands, tally=Tally())
        successes = 0
        try:
            for seed in s.teaching_seeds(night):
                episode = run_suite_episode(
                    suite, seed, store=store, policy=policy, meta=meta, gate=user,
                    agent=agent, safety=config.safety,
                    recorder=lambda: UserActionRecorder(config.control.recorder))
                successes += episode.success
                store.add_judgment(kind="rate", episode_id=episode.result.episode_id,
                                   value=5.0 if episode.success else 1.0,
                                   comment="the simulated user rates the outcome")
        finally:
            hands.close()
        taught = {**dataclasses.asdict(user.tally), "episodes": len(s.teaching_seeds(night)),
                  "solved": successes}
        return taught, time.monotonic() - started

    # -- learning -----------------------------------------------------------------------
    def learn(self, night: int) -> float:
        """``deskhand learn --role both --now`` in its own process, as the timer runs it."""
        started = time.monotonic()
        log = self.out / f"night-{night}-learn.log"
        env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        with log.open("w", encoding="utf-8") as out:
            done = subprocess.run(
                [sys.executable, "-m", "app.cli", "--home", str(self.home), "learn",
                 "--role", "both", "--now"], stdout=out, stderr=subprocess.STDOUT, env=env,
                stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            tail = log.read_text(encoding="utf-8")[-3000:]
            raise RuntimeError(f"deskhand learn failed on night {night} "
                               f"(exit {done.returncode}):\n{tail}")
        self.say(f"night {night}: learn took {time.monotonic() - started:.0f} s ({log})")
        return time.monotonic() - started

    def _gates(self, row: NightRow, store: Store, since: int) -> None:
        """What the gate decided on this night's runs, from the store's training rows."""
        from learner.gate import GateDecision

        with store.session() as session:
            runs = list(session.scalars(select(TrainingRun).order_by(TrainingRun.id.desc())
                                        .limit(2)))
            decided = {r.role: (r.metrics or {}).get("gate") for r in runs
                       if r.ended_at is not None}
        for role, gate in decided.items():
            if not gate:
                continue
            decision = GateDecision(bool(gate["promote"]), tuple(gate["reasons"]),
                                    figures={k: v for k, v in (gate.get("figures") or {}).items()
                                             if v is not None},
                                    needed=int(gate.get("needed") or 0))
            if role == "actor":
                row.actor_gate, row.actor_promoted = decision.headline, decision.promote
            else:
                row.reward_gate, row.reward_promoted = decision.headline, decision.promote

    def _report(self, row: NightRow) -> None:
        agreement = "n/a" if row.rm_agreement is None else f"{row.rm_agreement:.2f}"
        self.say(f"night {row.night}: held-out success {row.success:.0%} "
                 f"(n={row.episodes}), parse {row.parse_rate:.0%}, reward-model agreement "
                 f"{agreement} (n={row.rm_n})"
                 + (f"; actor {row.actor_gate}; reward {row.reward_gate}" if row.night else ""))


def as_json(rows: list[NightRow], settings: BenchSettings) -> dict[str, Any]:
    return {"settings": dataclasses.asdict(settings),
            "nights": [dataclasses.asdict(r) for r in rows]}
