"""The episode worker: an ``EpisodeRunner`` on its own ``QThread``, reporting through signals.

The dangerzone habit: the core reports through plain callbacks (``on_token``, ``on_step``,
``on_status``); ``EpisodeWorker`` re-emits them as Qt signals, which Qt delivers on the UI
thread. The parts of an episode (screen, actuator, policy, ...) come from a *parts factory*
(``app.gui.chat.parts`` builds the real ones; tests inject fakes), and the store the runner
writes to is ``WorkerStore``, which sends every call through the app's one ``DbWorker``.

The one design choice a reader must know: the worker wraps the screen and the actuator so
the UI can get out of the way at the right moments — before each screenshot the main window
is moved aside (``before_capture``) and before a pointer action the target is marked on the
real screen for a moment (``mark``) — and each of those hooks runs on the UI thread while the
episode thread waits for it (``UiInvoker.call``), so a screenshot never shows Deskhand.
"""

from __future__ import annotations

import dataclasses
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from PySide6.QtCore import QObject, QThread, Signal, Slot

from agent.actuator import Actuator, StopToken
from agent.clock import MonotonicClock
from agent.critic import Critic
from agent.episode import (
    Callbacks,
    EpisodeMeta,
    EpisodeParts,
    EpisodeResult,
    EpisodeRunner,
    Recorder,
    StepReport,
)
from agent.episode_safety import make_guards
from agent.policy import Policy
from agent.safety import SafetyConfig
from agent.screen import Observation, Rect, Screen
from agent.settings import AgentConfig
from agent.user_gate import UserGate
from app.episode_controls import SetupError
from app.gui.chat.gate import GuiGate
from app.gui.worker import DbWorker
from models.actions import Action
from models.frames import Monitor


@dataclass(frozen=True)
class EpisodeRequest:
    task: str
    agent: AgentConfig
    own_rects: tuple[Rect, ...] = ()  # Deskhand's own windows: masked and never acted on


@dataclass
class EpisodeSetup:
    """What a parts factory hands back for one episode."""

    screen: Screen
    actuator: Actuator
    policy: Policy
    critic: Critic | None = None
    recorder: Callable[[], Recorder] | None = None
    paused: threading.Event | None = None
    meta: EpisodeMeta = field(default_factory=EpisodeMeta)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    close: Callable[[], None] | None = None
    resume: Callable[[], bool] | None = None  # lift the takeover pause (None: clear ``paused``)
    wrap_gate: Callable[[UserGate], UserGate] | None = None  # the controls around each question


class PartsFactory(Protocol):
    def __call__(self, request: EpisodeRequest, stop: StopToken) -> EpisodeSetup: ...


@dataclass(frozen=True)
class StepEvent:
    """One finished step as the page shows it."""

    report: StepReport
    observation: Observation | None
    latencies: dict[str, float]


class WorkerStore:
    """The store as the runner sees it; every call runs on the app's database worker."""

    def __init__(self, db: DbWorker) -> None:
        self._db = db

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._db.call(lambda store: getattr(store, name)(*args, **kwargs))

        return call


class UiInvoker(QObject):
    """Run a function on the UI thread and wait for it (from the episode thread)."""

    _invoke = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._invoke.connect(self._run)

    def call(self, fn: Callable[[], None], timeout: float = 5.0) -> None:
        if QThread.currentThread() is self.thread():
            fn()
            return
        done = threading.Event()
        self._invoke.emit((fn, done))
        done.wait(timeout)

    @Slot(object)
    def _run(self, item: tuple[Callable[[], None], threading.Event]) -> None:
        fn, done = item
        try:
            fn()
        finally:
            done.set()


class GuardedScreen:
    """A screen that calls ``before_capture`` (the UI moves aside) and keeps the latest
    observation (the step cards' picture)."""

    def __init__(self, inner: Screen, before_capture: Callable[[], None]) -> None:
        self.inner, self.before_capture = inner, before_capture
        self.last: Observation | None = None

    def capture(self) -> Observation:
        self.before_capture()
        self.last = self.inner.capture()
        return self.last

    def monitors(self) -> list[Monitor]:
        return self.inner.monitors()


class MarkingActuator:
    """Marks the target of a pointer action (``mark``) before the inner actuator acts."""

    def __init__(self, inner: Actuator, mark: Callable[[Action], None]) -> None:
        self.inner, self.mark = inner, mark

    def execute(self, action: Action) -> None:
        self.mark(action)
        self.inner.execute(action)


@dataclass
class UiHooks:
    """What the page does for the episode thread. Both are called on the episode thread
    and do their widget work through ``UiInvoker.call``, waiting for it."""

    before_capture: Callable[[], None] = lambda: None  # move the window aside
    mark: Callable[[Action], None] = lambda action: None  # aside, show the target, wait, hide


class EpisodeWorker(QObject):
    """Runs one episode per ``start``; lives on its own thread."""

    token = Signal(str)
    status = Signal(str)
    step = Signal(object)  # StepEvent
    episode_started = Signal(int)
    finished = Signal(object)  # EpisodeResult
    failed = Signal(str)
    _begin = Signal(object)  # EpisodeRequest

    def __init__(self, db: DbWorker, factory: PartsFactory, gate: GuiGate,
                 hooks: UiHooks | None = None) -> None:
        super().__init__()
        self.db, self.factory, self.gate = db, factory, gate
        self.stop = StopToken()  # the running episode's (a fresh one per episode)
        self.hooks = hooks or UiHooks()
        self.running = False
        self.paused: threading.Event | None = None  # the running episode's takeover pause
        self._resume: Callable[[], bool] | None = None
        self._runner: EpisodeRunner | None = None
        self._thread = QThread()
        self._thread.setObjectName("deskhand-episode")
        self.moveToThread(self._thread)
        self._begin.connect(self._run)
        self._thread.start()

    def start(self, request: EpisodeRequest) -> StopToken:
        """Start an episode (from the UI thread); results arrive as signals. Returns the
        episode's stop token (the gate watches the same one)."""
        if self.running:
            raise RuntimeError("an episode is already running")
        self.running = True
        self.stop = StopToken()
        self.gate.stop = self.stop
        self._begin.emit(request)
        return self.stop

    def resume(self) -> bool:
        """The person hands control back after a takeover pause (any thread); False if the
        episode was not paused."""
        paused, resume = self.paused, self._resume
        if paused is None or not paused.is_set():
            return False
        if resume is not None:
            return resume()
        paused.clear()
        return True

    def shutdown(self) -> None:
        """Stop any episode and end the thread (the app is closing)."""
        self.stop.stop("the app is closing")
        self._thread.quit()
        self._thread.wait(30_000)

    @Slot(object)
    def _run(self, request: EpisodeRequest) -> None:
        try:
            result = self._episode(request)
        except SetupError as exc:
            self.running = False
            self.failed.emit(str(exc))
        except Exception as exc:
            self.running = False
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.failed.emit(detail)
        else:
            self.running = False
            self.finished.emit(result)

    def _episode(self, request: EpisodeRequest) -> EpisodeResult:
        setup = self.factory(request, self.stop)
        self.paused, self._resume = setup.paused, setup.resume
        gate: UserGate = setup.wrap_gate(self.gate) if setup.wrap_gate else self.gate
        try:
            screen = GuardedScreen(setup.screen, self.hooks.before_capture)
            clock = MonotonicClock()
            monitors = setup.screen.monitors()
            guards = make_guards(setup.safety, request.agent.approval, clock, monitors,
                                 own_windows=request.own_rects)
            parts = EpisodeParts(
                screen=screen, actuator=MarkingActuator(setup.actuator, self.hooks.mark),
                policy=setup.policy, gate=gate, store=WorkerStore(self.db),  # type: ignore[arg-type]
                guards=guards, critic=setup.critic, stop=self.stop, clock=clock,
                recorder=setup.recorder, paused=setup.paused)
            config = {**(setup.meta.config or {}), "agent": dataclasses.asdict(request.agent),
                      "safety": dataclasses.asdict(setup.safety)}
            meta = dataclasses.replace(setup.meta, config=config)
            self._runner = EpisodeRunner(parts, request.agent, meta, self._callbacks(screen))
            return self._runner.run(request.task)
        finally:
            self._runner = None
            self.paused, self._resume = None, None
            if setup.close is not None:
                setup.close()

    def _callbacks(self, screen: GuardedScreen) -> Callbacks:
        announced: list[int] = []

        def on_status(text: str) -> None:
            record = self._runner.record if self._runner is not None else None
            if record is not None and not announced:  # the episode row exists from now
                announced.append(record.episode_id)
                self.episode_started.emit(record.episode_id)
            self.status.emit(text)

        def on_step(report: StepReport) -> None:
            self.step.emit(StepEvent(report, screen.last, self._latencies(report.step_id)))

        return Callbacks(on_token=self.token.emit, on_step=on_step, on_status=on_status)

    def _latencies(self, step_id: int) -> dict[str, float]:
        from agent.store.schema import Step

        def read(store: Any) -> dict[str, float]:
            with store.session() as s:
                row = s.get(Step, step_id)
                return dict(row.latencies or {}) if row is not None else {}

        try:
            return dict(self.db.call(read))
        except Exception:  # timing is a nicety; never fail a step for it
            return {}
