"""The episode loop: observe → propose → parse → (critic) → safety gate → user's gate → act.

``EpisodeRunner`` is built from its parts (screen, actuator, policy, critic, user gate, safety
guards, store, stop token, clock) and plain callbacks (``on_token``, ``on_step``,
``on_status``) that the app re-emits as Qt signals; it knows no UI. One runner runs one
episode. Everything is written to the store as it happens (``agent.episode_record``).

The one design choice a reader must know — who is asked when: ``each`` asks the person before
every step, ``risky`` only when the safety gate says *ask*, ``never`` asks nothing else; but an
*ask* verdict goes to the person in every mode (the gate exists to catch exactly those), a
*block* is never executed, and an approval binds to one action on one screenshot hash (the same
action on a changed screen is asked again). Terminal actions (``done``/``fail``) pass the same
gate, so a person can refuse a premature "done" or correct it. A step the policy refused to run
(``Proposal.refused``: e.g. mtmd resized the screenshot) is recorded failed and ends the episode.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from agent.actuator import Stopped, TakenOver
from agent.episode_parts import (
    Callbacks,
    EpisodeMeta,
    EpisodeParts,
    EpisodeResult,
    Guards,
    Recorder,
    StepReport,
)
from agent.episode_record import EpisodeRecord
from agent.policy import PolicyRequest, Proposal
from agent.prompt_context import TRACE_KEY, StepTrace, answer_note, history, task_text
from agent.screen import Observation
from agent.settings import AgentConfig
from agent.user_gate import GateEvent, StepView, UserDecision
from models.actions import Action, AskUser, Done, Fail, Shell, describe, dumps
from models.families.critic import CriticVerdict

T = TypeVar("T")
__all__ = ["Callbacks", "EpisodeMeta", "EpisodeParts", "EpisodeResult", "EpisodeRunner", "Guards",
           "Recorder", "StepReport", "run_shell"]


End = tuple[str, str]  # (episode status, summary)


@dataclass
class _Step:
    """The step being worked on."""

    index: int
    step_id: int
    observation: Observation
    proposal: Proposal
    action: Action
    verdict: CriticVerdict | None = None
    flags: tuple[str, ...] = ()
    outcome: str = "executed"
    finished: bool = False  # its outcome is recorded: nothing more happens in this step
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    latencies: dict[str, float] = field(default_factory=dict)


class EpisodeRunner:
    """Runs one episode; see the module docstring for the rules."""

    def __init__(self, parts: EpisodeParts, config: AgentConfig | None = None,
                 meta: EpisodeMeta | None = None, callbacks: Callbacks | None = None) -> None:
        self.parts = parts
        self.config = config or AgentConfig()
        self.meta = meta or EpisodeMeta()
        self.callbacks = callbacks or Callbacks()
        self.traces: list[StepTrace] = []  # what each finished step put in later prompts
        self.reports: list[StepReport] = []
        self.record: EpisodeRecord | None = None

    # -- the episode --------------------------------------------------------------------
    def run(self, task: str) -> EpisodeResult:
        if self.record is not None:
            raise RuntimeError("an EpisodeRunner runs one episode; make a new one")
        self.task = task
        m = self.meta
        self.record = EpisodeRecord(
            self.parts.store, task, approval_mode=self.config.approval,
            critic_mode=self.config.critic if self.parts.critic is not None else "off",
            actor_model=m.actor_model, actor_adapter=m.actor_adapter,
            critic_model=m.critic_model, critic_adapter=m.critic_adapter,
            config=m.config or {"agent": dataclasses.asdict(self.config)}, source=m.source,
            source_ref=m.source_ref)
        try:
            status, summary = self._loop()
        except BaseException as exc:  # our bug or an interrupt: the row still says how it ended
            self.record.finish("failed" if isinstance(exc, Exception) else "stopped",
                               f"{type(exc).__name__}: {exc}")
            raise
        self.record.finish(status, summary)
        self._status(f"{status}: {summary}")
        return EpisodeResult(self.record.episode_id, status, summary, tuple(self.reports))

    def _loop(self) -> End:
        while True:
            end = self._step(len(self.reports))  # a takeover may report several steps
            if end is not None:
                return end

    def _step(self, index: int) -> End | None:
        parts, guards = self.parts, self.parts.guards
        if parts.stop.stopped:
            return "stopped", self._stop_reason()
        exceeded = guards.budgets.exceeded()
        if exceeded is not None:
            parts.gate.notify(GateEvent("budget", exceeded))
            return "stopped", f"budget: {exceeded}"
        if not self._wait_while_paused():
            return "stopped", self._stop_reason()
        self._status("observing")
        t0 = parts.clock.now()
        observation = parts.screen.capture()
        t1 = parts.clock.now()
        self._status("thinking")
        proposal = self._propose(observation)
        latencies = {"capture_s": t1 - t0, "propose_s": parts.clock.now() - t1,
                     **{f"policy_{k}": v for k, v in proposal.timings.items()}}
        assert self.record is not None
        step_id = self.record.add_step(
            observation, raw=proposal.raw, reasoning=proposal.reasoning,
            action=proposal.action, parse_error=proposal.parse_error, latencies=latencies)
        guards.budgets.record_step()
        if parts.stop.stopped or proposal.cancelled:
            self.record.outcome(step_id, "interrupted")
            self._report(StepReport(index, step_id, proposal.action, "interrupted",
                                    proposal.reasoning, proposal.parse_error))
            return "stopped", self._stop_reason()
        if proposal.refused is not None:  # nothing to act on, and the next step would be alike
            parts.gate.notify(GateEvent("error", proposal.refused))
            self.record.outcome(step_id, "failed", extra={"refused": proposal.refused})
            self._report(StepReport(index, step_id, None, "failed", note=proposal.refused))
            return "failed", proposal.refused
        if proposal.action is None:
            guards.budgets.record_parse_failure()
            parts.gate.notify(GateEvent("parse_failure", proposal.parse_error or "unparseable"))
            self._report(StepReport(index, step_id, None, "parse_failed", proposal.reasoning,
                                    proposal.parse_error))
            return None
        guards.budgets.record_parsed()
        step = _Step(index, step_id, observation, proposal, proposal.action)
        end = self._decide_and_act(step)
        if end is None and parts.judge is not None:
            end = parts.judge()
        return end

    # -- deciding -------------------------------------------------------------------------
    def _decide_and_act(self, step: _Step) -> End | None:
        parts, guards, config = self.parts, self.parts.guards, self.config
        if parts.critic is not None and config.critic == "before":
            step.verdict = self._critic(step)
        t = parts.clock.now()
        decision = guards.safety.check(step.action, step.observation, step.proposal.reasoning)
        step.latencies["safety_s"] = parts.clock.now() - t
        step.flags = tuple(decision.reasons)
        if decision.verdict == "block":
            return self._blocked(step, "; ".join(step.flags) or "blocked by the safety gate")
        sha = step.observation.sha256
        if guards.stall.observe(step.action, sha):
            question = (f"The agent proposes the same action again on an unchanged screen "
                        f"({describe(step.action)}). Let it go on?")
            parts.gate.notify(GateEvent("stall", question))
            if not parts.gate.ask(question):
                return self._finish_step(step, "skipped", "stalled", end=(
                    "stopped", f"stalled: {describe(step.action)} repeated"))
        must_ask = config.approval == "each" or decision.verdict == "ask"
        if must_ask and not guards.approvals.is_approved(step.action, sha):
            end = self._review(step)
            if end is not None or step.finished:
                return end
        return self._act(step)

    def _review(self, step: _Step) -> End | None:
        """Ask the person; record the judgment; may change ``step.action`` or its outcome."""
        parts = self.parts
        assert self.record is not None
        self._status("waiting for you")
        t = parts.clock.now()
        decision: UserDecision = parts.gate.review(self._view(step))
        step.latencies["review_s"] = parts.clock.now() - t
        sha = step.observation.sha256
        if decision.kind == "approve":
            if decision.judged:
                self.record.approve(step.step_id, decision.comment)
            parts.guards.approvals.grant(step.action, sha)
            return None
        if decision.kind == "skip":
            if decision.judged:
                self.record.reject(step.step_id, decision.comment)
            return self._finish_step(step, "skipped", "skipped by the user")
        if decision.kind == "stop":
            parts.stop.stop("user")  # unless something else stopped it first (a signal)
            reason = self._stop_reason()
            return self._finish_step(step, "interrupted", reason, end=("stopped", reason))
        if decision.kind == "takeover":
            return self._takeover(step)
        assert decision.action is not None
        self.record.correct(step.step_id, decision.action, step.proposal.reasoning,
                            decision.comment)
        step.action, step.outcome = decision.action, "corrected"
        check = parts.guards.safety.check(decision.action, step.observation,
                                          step.proposal.reasoning)
        if check.verdict == "block":  # the person's own action still may not break the rules
            step.outcome = "executed"
            return self._blocked(step, "; ".join(check.reasons) or "blocked")
        return None

    def _takeover(self, step: _Step) -> End | None:
        """"Let me do it": record the person's input; it is the corrected action."""
        parts = self.parts
        assert self.record is not None
        if parts.recorder is None:
            parts.gate.notify(GateEvent("error", "taking over is not available here"))
            return self._finish_step(step, "skipped", "takeover unavailable")
        recorder = parts.recorder()
        try:
            recorder.start()
        except Exception as exc:  # no RECORD extension, no permission: say so, go on
            parts.gate.notify(GateEvent("error", f"taking over is not available here ({exc})"))
            return self._finish_step(step, "skipped", "takeover unavailable")
        self._status("watching you")
        try:
            parts.gate.takeover_done(self._view(step))
        finally:
            done = recorder.finish()
        if not done:
            return self._finish_step(step, "skipped", "takeover: the person did nothing")
        screens = _observations(recorder, len(done))
        self.record.correct(step.step_id, done[0], step.proposal.reasoning)
        for action in done:  # the gate's memory (e.g. a command typed into a terminal)
            parts.guards.safety.executed(action, "")
        step.action = done[0]
        step.extra["takeover"] = [dumps(a) for a in done]
        self._trace(step, StepTrace((done[0],)))
        end = self._finish_step(step, "corrected", "the person did it")
        seen = step.observation
        for action, screen in zip(done[1:], screens[1:], strict=True):
            seen = screen or seen  # the screen as that action began (or the latest known)
            self._done_by_person(step, action, seen)
        return end

    def _done_by_person(self, first: _Step, action: Action, observation: Observation) -> None:
        """One more action of a takeover, stored as a step of its own with the action as its
        correction: the learner trains on every action the person did, each on its screen."""
        assert self.record is not None
        step_id = self.record.add_step(observation, raw="", reasoning="", action=None,
                                       parse_error=None, latencies={})
        self.record.correct(step_id, action, "")
        step = _Step(len(self.reports), step_id, observation, Proposal("", "", None), action,
                     outcome="corrected", finished=True,
                     extra={"takeover_of": first.step_id})
        self._trace(step, StepTrace((action,)))
        self.record.outcome(step_id, "corrected", extra=step.extra)
        self._report(StepReport(step.index, step_id, action, "corrected", "", None, None,
                                "the person did it"))

    # -- acting ---------------------------------------------------------------------------
    def _act(self, step: _Step) -> End | None:
        action = step.action
        if isinstance(action, Done):
            return self._finish_step(step, step.outcome, end=("done", action.summary or "done"))
        if isinstance(action, Fail):
            return self._finish_step(step, step.outcome,
                                     end=("failed", action.reason or "the agent gave up"))
        if isinstance(action, AskUser):
            return self._ask_user(step, action)
        if not self._wait_while_paused() or self.parts.stop.stopped:
            return self._finish_step(step, "interrupted", end=("stopped", self._stop_reason()))
        self._status(f"acting: {describe(action)}")
        t = self.parts.clock.now()
        try:
            if isinstance(action, Shell):
                step.extra["shell"] = run_shell(action.command)
            else:
                self.parts.actuator.execute(action)
        except TakenOver as exc:  # the person's hands: cut short; wait for them, then go on
            if self.parts.stop.stopped:
                end: End | None = ("stopped", self._stop_reason())
            else:  # with no takeover monitor there is no pause to wait in: stop
                end = ("stopped", str(exc)) if self.parts.paused is None else None
            return self._finish_step(step, "interrupted", str(exc), end=end)
        except Stopped:
            return self._finish_step(step, "interrupted", end=("stopped", self._stop_reason()))
        except Exception as exc:  # the desktop refused (dry run, X error, ...): end, recorded
            self.parts.gate.notify(GateEvent("error", f"acting failed: {exc}"))
            return self._finish_step(step, "failed", str(exc),
                                     end=("failed", f"acting failed: {exc}"))
        finally:
            step.latencies["execute_s"] = self.parts.clock.now() - t
        self.parts.guards.approvals.consume(action, step.observation.sha256)  # one yes, one act
        self.parts.guards.safety.executed(action, step.proposal.reasoning)
        own = step.outcome != "corrected"  # a correction did what the agent did not reason
        self._trace(step, StepTrace((action,), step.proposal.reasoning if own else ""))
        end = self._finish_step(step, step.outcome)
        if self.config.step_pause_s and self.parts.stop.wait(self.config.step_pause_s):
            return "stopped", self._stop_reason()
        return end

    def _ask_user(self, step: _Step, action: AskUser) -> End | None:
        self._status("asking you")
        reply = self.parts.gate.answer(action.question)
        if reply is None:
            return self._finish_step(step, "executed", "no answer",
                                     end=("stopped", "the person did not answer"))
        step.extra["answer"] = reply
        self._trace(step, StepTrace((action,), step.proposal.reasoning,
                                    answer_note(action.question, reply)))
        return self._finish_step(step, "executed")

    def _blocked(self, step: _Step, reason: str) -> End | None:
        self.parts.gate.notify(GateEvent("blocked", f"{describe(step.action)}: {reason}"))
        step.extra["blocked"] = reason
        return self._finish_step(step, "blocked", reason)

    def _finish_step(self, step: _Step, outcome: str, note: str = "",
                     end: End | None = None) -> End | None:
        """Record the step's outcome (then the critic after, and the rating), report it."""
        assert self.record is not None
        step.finished = True
        self.record.outcome(step.step_id, outcome, latencies=step.latencies,
                            extra=step.extra or None)
        ran = outcome in ("executed", "corrected")
        if ran and self.parts.critic is not None and self.config.critic == "after":
            step.verdict = self._critic(step)
        if ran and self.config.rate_steps and not self.parts.stop.stopped:
            rating = self.parts.gate.rate(self._view(step, executed=True))
            if rating is not None:
                self.record.rate(step.step_id, rating)
        self._report(StepReport(step.index, step.step_id, step.action, outcome,
                                step.proposal.reasoning, None, step.verdict, note))
        return end

    # -- helpers --------------------------------------------------------------------------
    def _trace(self, step: _Step, trace: StepTrace) -> None:
        """Keep what this step adds to later prompts, in memory and in the step row."""
        self.traces.append(trace)
        step.extra[TRACE_KEY] = trace.to_json()

    def _propose(self, observation: Observation) -> Proposal:
        request = PolicyRequest(task_text(self.task, self.traces),
                                history(self.traces, self.config.history_length), observation)
        return self._cancellable(lambda: self.parts.policy.propose(
            request, self.callbacks.on_token), self.parts.policy.cancel)

    def _critic(self, step: _Step) -> CriticVerdict | None:
        critic = self.parts.critic
        assert critic is not None and self.record is not None
        self._status("the critic is looking")
        t = time.perf_counter()
        verdict = critic.score(task_text(self.task, self.traces), step.observation, step.action,
                               step.proposal.reasoning)
        self.record.critic(step.step_id, verdict, time.perf_counter() - t)
        return verdict

    def _cancellable(self, work: Callable[[], T], cancel: Callable[[], None]) -> T:
        """Run ``work``; if the stop token fires meanwhile, call ``cancel`` (from a watcher)."""
        finished = threading.Event()
        stop = self.parts.stop

        def watch() -> None:
            while not finished.is_set():
                if stop.wait(0.02):
                    cancel()
                    return

        watcher = threading.Thread(target=watch, name="deskhand-stop-watch", daemon=True)
        watcher.start()
        try:
            return work()
        finally:
            # not joined: the watcher sees ``finished`` within one poll and ends by itself;
            # a cancel it sends meanwhile reaches no running call (the policy forgets it),
            # and waiting for it cost every step up to a poll (10-16 ms measured)
            finished.set()

    def _wait_while_paused(self) -> bool:
        """Wait while real user input pauses the agent; False if stopped meanwhile."""
        paused = self.parts.paused
        while paused is not None and paused.is_set():  # a resume may be taken back at once
            self._status("paused: you are using the computer")
            while paused.is_set():
                if self.parts.stop.wait(0.05):
                    return False
            if self.parts.stop.wait(0.05):  # a moment for a new pause to show
                return False
        return not self.parts.stop.stopped

    def _view(self, step: _Step, executed: bool = False) -> StepView:
        assert self.record is not None
        return StepView(self.record.episode_id, step.step_id, step.index, self.task,
                        step.observation, step.action, step.proposal.reasoning,
                        step.proposal.raw, step.verdict, step.flags, executed)

    def _stop_reason(self) -> str:
        reason = self.parts.stop.reason or "stop"
        return "stopped by the user" if reason == "user" else f"stopped ({reason})"

    def _status(self, text: str) -> None:
        if self.callbacks.on_status is not None:
            self.callbacks.on_status(text)

    def _report(self, report: StepReport) -> None:
        self.reports.append(report)
        if self.callbacks.on_step is not None:
            self.callbacks.on_step(report)


def _observations(recorder: Any, count: int) -> list[Observation | None]:
    """The screen as each recorded action began, where the recorder kept it (else None)."""
    shots = getattr(recorder, "observations", None)
    found = list(shots()) if callable(shots) else []
    return (found + [None] * count)[:count]


def run_shell(command: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """Run an approved ``shell`` action; its exit status and output tails go in the record."""
    import subprocess

    done = subprocess.run(command, shell=True, capture_output=True, text=True,
                          timeout=timeout_s, check=False)
    return {"returncode": done.returncode, "stdout": done.stdout[-2000:],
            "stderr": done.stderr[-2000:]}
