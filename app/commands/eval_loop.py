"""The episodes of one ``deskhand eval miniwob`` run, on the display the command chose.

``EvalRun`` builds what every episode shares — the resolved agent and safety settings, the
policy (loaded once), the user's gate, the episode lock, the store, one Chromium window — and
runs ``tasks × episodes`` episodes through ``app.suite_runs.run_suite_episode``, one suite per
task on the shared window. It must be imported after ``DISPLAY`` names that display (pyautogui
reads it at import).

The design choice a reader must know: the policy is wrapped in a stopwatch, so the harness's
overhead per step (everything but the policy's thinking) is measured around the very calls
the episode makes, not estimated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
import time
from contextlib import ExitStack
from typing import Any

from rich.console import Console
from rich.markup import escape

from agent.episode import EpisodeMeta
from agent.policy import OnToken, Policy, PolicyRequest, Proposal
from app.commands.eval_cmd import EvalOptions, EvalSetupError, Plan
from app.commands.eval_results import EpisodeRecord


class TimedPolicy:
    """A policy with a stopwatch on ``propose``."""

    def __init__(self, inner: Policy) -> None:
        self.inner = inner
        self.seconds = 0.0

    def propose(self, request: PolicyRequest, on_token: OnToken | None = None) -> Proposal:
        started = time.perf_counter()
        try:
            return self.inner.propose(request, on_token)
        finally:
            self.seconds += time.perf_counter() - started

    def cancel(self) -> None:
        self.inner.cancel()


class EvalRun:
    """One evaluation run (see the module doc)."""

    def __init__(self, cli_state: Any, options: EvalOptions, plan: Plan, console: Console,
                 stack: ExitStack) -> None:
        from agent.suites.miniwob_browser import ChromiumWindow
        from agent.suites.miniwob_setup import find_browser
        from app.commands.run import RunOptions, _configs

        self.options, self.plan, self.console = options, plan, console
        self.interrupted = False
        self.error: str | None = None  # what stopped the run early, if anything
        self.created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        config = cli_state.config
        agent, safety, runtime_cfg = _configs(config, RunOptions(
            "", options.approve, options.max_steps, critic=options.critic))
        self.agent = dataclasses.replace(agent, rate_steps=False,
                                         step_pause_s=options.step_pause)
        self.safety = safety
        self.masks = getattr(config, "capture", None)  # the person's masks apply here too
        self.gate = self._gate()
        self.model_policy, self.critic, self.meta = self._models(cli_state, runtime_cfg, stack)
        self._lock(cli_state, stack)
        from agent.store.repo import open_store

        self.store = open_store(cli_state.paths, config.store)
        stack.callback(self.store.close)
        self.store.recover()
        self.display = os.environ["DISPLAY"]
        self.window = ChromiumWindow(find_browser(), display=self.display, scale=options.scale)
        stack.callback(self.window.quit)

    # -- the run ------------------------------------------------------------------------
    def episodes(self) -> list[EpisodeRecord]:
        from agent.suites.miniwob import MiniWobSuite
        from agent.suites.miniwob_browser import BrowserError

        records: list[EpisodeRecord] = []
        opts = self.options
        try:
            for task in self.plan.tasks:
                suite = MiniWobSuite.sharing(self.window, [task], move_window=opts.move_window,
                                             time_limit_s=opts.time_limit)
                for i in range(opts.episodes):
                    records.append(self._episode(suite, task, opts.seed + i))
        except KeyboardInterrupt:
            self.interrupted = True
            self.console.print("\n[yellow]interrupted (Ctrl-C): reporting the episodes that "
                               "finished[/]")
        except BrowserError as exc:  # Chromium would not start (again): no use going on
            self.error = str(exc)
        return records

    def _episode(self, suite: Any, task: str, seed: int) -> EpisodeRecord:
        from agent.policy import ReplayError, ReplayPolicy
        from agent.suites.oracle_policy import OraclePolicy
        from app.suite_runs import run_suite_episode

        if self.options.policy == "oracle":
            inner: Policy = OraclePolicy(suite)
        elif self.options.policy.startswith("replay:"):
            try:
                inner = ReplayPolicy(os.path.expanduser(
                    self.options.policy.removeprefix("replay:")))
            except ReplayError as exc:
                raise EvalSetupError(str(exc)) from None
        else:
            inner = self.model_policy
        policy = TimedPolicy(inner)
        ep = run_suite_episode(suite, seed, store=self.store, policy=policy, meta=self.meta,
                               gate=self.gate, agent=self.agent, safety=self.safety,
                               critic=self.critic, source="eval", masks=self.masks)
        v = ep.verdict
        details = v.details if v.done else (  # the page never ended it: say how it ended
            f"{task}: not over; the episode {ep.result.status}: {ep.result.summary}")
        record = EpisodeRecord(task, seed, ep.result.episode_id, ep.result.status, v.success,
                               v.reward if v.done else 0.0, ep.steps, ep.seconds,
                               suite.last_reset_s, policy.seconds, details)
        mark = "[green]success[/]" if v.success else "[red]failure[/]"
        self.console.print(f"{escape(task)} seed {seed}: {mark} (reward {record.reward:g}, "
                           f"{ep.steps} step(s), {ep.seconds:.2f} s, episode "
                           f"{ep.result.episode_id}) {escape(details)}", soft_wrap=True)
        return record

    def settings(self) -> dict[str, Any]:
        o = self.options
        return {
            "suite": "miniwob", "created": self.created, "policy": o.policy,
            "actor_model": self.meta.actor_model, "actor_adapter": self.meta.actor_adapter,
            "critic_model": self.meta.critic_model, "tasks": self.plan.tasks,
            "episodes_per_task": o.episodes, "seed": o.seed, "approve": o.approve,
            "max_steps": o.max_steps, "display": o.display or "private Xvfb",
            "screen": list(o.screen) if o.display is None else None,
            "scale": o.scale, "measured_scale": self.window.scale,
            "move_window": o.move_window, "time_limit_s": o.time_limit,
            "step_pause_s": o.step_pause, "chromium": self.plan.chromium,
            "calibration_offset_px": list(self.window.offset),
            "interrupted": self.interrupted, "error": self.error,
        }

    # -- parts --------------------------------------------------------------------------
    def _gate(self) -> Any:
        from app.commands.run_gate import TerminalGate, UnattendedGate

        if self.options.approve == "never" or not sys.stdin.isatty():
            return UnattendedGate(self.console)
        return TerminalGate(self.console, rate_steps=False)

    def _models(self, cli_state: Any, runtime_cfg: Any, stack: ExitStack
                ) -> tuple[Any, Any, EpisodeMeta]:
        from app.episode_models import ModelSetupError, ModelStack

        models = ModelStack(cli_state.paths, runtime_cfg)
        stack.callback(models.close)
        try:
            policy: Any = None
            if self.options.policy == "model":
                policy, meta = models.actor(self.agent)
            else:
                name = "miniwob DOM oracle" if self.options.policy == "oracle" else \
                    self.options.policy
                meta = EpisodeMeta(actor_model=name)
            critic, critic_model, critic_adapter = models.critic(self.agent)
        except ModelSetupError as exc:
            raise EvalSetupError(str(exc)) from None
        for problem in models.warnings:
            self.console.print(f"[yellow]{escape(problem)}[/]")
        meta = dataclasses.replace(meta, critic_model=critic_model,
                                   critic_adapter=critic_adapter)
        return policy, critic, meta

    def _lock(self, cli_state: Any, stack: ExitStack) -> None:
        from agent.locks import LockBusy, episode_lock

        try:
            stack.enter_context(episode_lock(cli_state.paths.locks_dir))
        except LockBusy:
            raise EvalSetupError("another episode is running on this desktop (the app, or "
                                 "deskhand run): stop it first") from None
