"""Episodes on a task suite, built like any other: for ``deskhand eval`` and ``bench learning``.

One suite task = one ordinary episode: the real screen (mss), the real actuator, the actor from
:class:`app.episode_models.ModelStack` (or any ``Policy``), the safety gate, the store — with
the suite's verdict as the loop's outside judge, so the page's reward or the exercise's checker
ends the episode, and with whatever ``UserGate`` the caller brings (the simulated user while
teaching, an unattended gate while evaluating).

The design choice a reader must know: evaluation episodes are stored with source ``eval`` —
reviewable in History like every episode, and left out of every training set.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.actuator import Pacing, PyAutoGuiActuator, StopToken
from agent.clock import MonotonicClock
from agent.episode import EpisodeMeta, EpisodeParts, EpisodeResult, EpisodeRunner
from agent.episode_safety import make_guards
from agent.policy import Policy
from agent.safety import SafetyConfig
from agent.screen import MssScreen
from agent.settings import AgentConfig
from agent.store.repo import Store
from agent.suites.base import SuiteVerdict, TaskSuite, judge_of
from agent.user_gate import UserGate


@dataclass(frozen=True)
class SuiteEpisode:
    """One task's episode and the suite's final verdict on it."""

    seed: int
    task: str
    result: EpisodeResult
    verdict: SuiteVerdict
    seconds: float
    steps: int
    parsed: int  # steps whose model output parsed into an action

    @property
    def success(self) -> bool:
        return self.verdict.success


def run_suite_episode(suite: TaskSuite, seed: int, *, store: Store, policy: Policy,
                      meta: EpisodeMeta, gate: UserGate, agent: AgentConfig,
                      safety: SafetyConfig, recorder: Callable[[], Any] | None = None,
                      critic: Any = None, source: str = "user",
                      pacing: Pacing | None = None, masks: Any = None) -> SuiteEpisode:
    """Open task ``seed`` of ``suite`` and run one episode on it (see the module doc).

    ``masks``: the person's capture masks (``config.capture``), applied to every screenshot.
    """
    started = time.monotonic()
    task = suite.reset(seed)
    stop, clock = StopToken(), MonotonicClock()
    screen = MssScreen(agent.monitor, masks=masks)
    actuator = PyAutoGuiActuator(stop, pacing=pacing or Pacing(move_duration=0.02))
    try:
        monitors = screen.monitors()
        parts = EpisodeParts(screen=screen, actuator=actuator, policy=policy, gate=gate,
                             store=store, guards=make_guards(safety, agent.approval, clock,
                                                             monitors),
                             critic=critic, stop=stop, clock=clock, recorder=recorder,
                             judge=lambda: judge_of(suite))
        meta = dataclasses.replace(
            meta, source=source, source_ref=suite_ref(suite, seed),
            config={"agent": dataclasses.asdict(agent), "safety": dataclasses.asdict(safety),
                    "suite": {"name": suite.name, "seed": seed}})
        result = EpisodeRunner(parts, agent, meta).run(task)
        verdict = suite.verdict()
    finally:
        actuator.close()
        screen.close()
        suite.close()
    parsed = sum(1 for s in result.steps if s.parse_error is None and s.action is not None)
    return SuiteEpisode(seed, task, result, verdict, time.monotonic() - started,
                        len(result.steps), parsed)


def suite_ref(suite: TaskSuite, seed: int) -> str:
    """The episode's ``source_ref`` for task ``seed`` of ``suite``: what the learner's holdout
    split hashes, so that fixed seeds give the same split on every run (a key with the
    episode's creation time would draw a new split each time).

    >>> from types import SimpleNamespace
    >>> suite_ref(SimpleNamespace(name="practice"), 12)  # type: ignore[arg-type]
    'suite:practice:12'
    """
    return f"suite:{suite.name}:{seed}"

