"""The desktop side of an episode, for every face: the screen, the mouse and keyboard, and the
person's controls — the episode lock, the stop hotkey, takeover detection, the "let me do it"
recorder, and the focus kept on the person's window.

``deskhand run`` and the app's chat page both call :func:`open_desktop`; only the words differ
(each face says the :class:`Notice` s in its own way) and where the person answers (the face's
``UserGate``, wrapped by :meth:`DesktopEpisode.gate`). Qt-free.

The one design choice a reader must know: input the person gives *to Deskhand* is never taken
for a takeover. The gate wrapper holds the takeover monitor while the person is asked (approve,
correct, answer, rate, do a step themselves) and for ``control.own_input_grace_s`` after each
answer or Resume, and the monitor ignores input on the face's own windows (``OwnWindows``).
Before the agent looks or acts, the keyboard focus goes back to the window the person last
used if Deskhand's face took it (``FocusKeeper``).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from agent.actuator import StopToken
from agent.episode import Recorder
from agent.own_windows import FocusKeeper, OwnWindows
from agent.paths import Paths
from agent.screen import CaptureMasks, Observation, Rect, Screen
from agent.settings import AgentConfig
from agent.user_gate import GateEvent, Rating, StepView, UserDecision, UserGate
from models.actions import Action
from models.frames import Monitor

Face = Literal["app", "terminal"]
NoticeKind = Literal["hotkey", "takeover"]
_NOT_ACTING = ("wait", "done", "fail", "ask_user", "shell")


class SetupError(Exception):
    """Something to fix before an episode can start; the message says what and how."""


@dataclass(frozen=True)
class Notice:
    """A control that is not available here (``detail`` says why); the episode still runs."""

    kind: NoticeKind
    detail: str


def check_display() -> None:
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        raise SetupError("there is no display (DISPLAY is not set), so there is no screen to "
                         "see or act on; run it inside your desktop session (or under Xvfb)")


def hold_episode_lock(paths: Paths, stack: ExitStack) -> None:
    """While an episode runs the nightly trainer does not start (it checks this lock), and no
    second episode (the app, or ``deskhand run`` in a terminal) drives the same desktop."""
    from agent.locks import LockBusy, episode_lock

    try:
        stack.enter_context(episode_lock(paths.locks_dir))
    except LockBusy:
        raise SetupError("another episode is running on this desktop (the app, or deskhand "
                         "run in a terminal): stop it first") from None


class FocusedScreen:
    """A screen that gives the focus back to the person's window before each screenshot."""

    def __init__(self, inner: Screen, focus: FocusKeeper | None) -> None:
        self.inner, self.focus = inner, focus

    def capture(self) -> Observation:
        if self.focus is not None:
            self.focus.give_back()
            self.focus.note()
        return self.inner.capture()

    def monitors(self) -> list[Monitor]:
        return self.inner.monitors()

    def close(self) -> None:
        closer = getattr(self.inner, "close", None)
        if callable(closer):
            closer()


class FocusedActuator:
    """An actuator that gives the focus back to the person's window before it acts."""

    def __init__(self, inner: Any, focus: FocusKeeper | None) -> None:
        self.inner, self.focus = inner, focus

    def execute(self, action: Action) -> None:
        if self.focus is not None and action.kind not in _NOT_ACTING:
            self.focus.give_back()
        self.inner.execute(action)

    def close(self) -> None:
        self.inner.close()


@dataclass
class DesktopEpisode:
    """What :func:`open_desktop` built for one episode (closed with its ``ExitStack``)."""

    screen: Screen
    actuator: Any  # agent.actuator.Actuator, focus-kept
    monitors: list[Monitor]
    takeover: Any = None  # agent.control.takeover.TakeoverMonitor, when available
    recorder: Callable[[], Recorder] | None = None
    focus: FocusKeeper | None = None
    notices: list[Notice] = field(default_factory=list)

    @property
    def paused(self) -> threading.Event | None:
        """Set while the person's own input pauses the agent (None: not noticed here)."""
        return self.takeover.paused if self.takeover is not None else None

    def resume(self) -> bool:
        """The person hands control back; False if the agent was not paused."""
        if self.takeover is None or not self.takeover.paused.is_set():
            return False
        self.takeover.resume()
        return True

    def gate(self, inner: UserGate) -> UserGate:
        """The face's gate, with the controls told whenever the person is being asked."""
        return AttendedGate(inner, self)

    @contextmanager
    def asking(self) -> Iterator[None]:
        """The person is being asked: their input is Deskhand's, not a takeover."""
        if self.focus is not None:
            self.focus.note()  # the window the person (or the agent) used last
        with ExitStack() as stack:
            if self.takeover is not None:
                stack.enter_context(self.takeover.hold())
            yield
        if self.focus is not None:
            self.focus.note()  # after "let me do it": the window the person used


class AttendedGate:
    """A ``UserGate`` that holds the controls (``DesktopEpisode.asking``) around each question."""

    def __init__(self, inner: UserGate, desktop: DesktopEpisode) -> None:
        self.inner, self.desktop = inner, desktop

    def review(self, step: StepView) -> UserDecision:
        with self.desktop.asking():
            return self.inner.review(step)

    def rate(self, step: StepView) -> Rating | None:
        with self.desktop.asking():
            return self.inner.rate(step)

    def notify(self, event: GateEvent) -> None:
        self.inner.notify(event)

    def ask(self, question: str) -> bool:
        with self.desktop.asking():
            return self.inner.ask(question)

    def answer(self, question: str) -> str | None:
        with self.desktop.asking():
            return self.inner.answer(question)

    def takeover_done(self, step: StepView) -> None:
        with self.desktop.asking():
            self.inner.takeover_done(step)

    def __getattr__(self, name: str) -> Any:  # what else the face's gate offers
        return getattr(self.inner, name)


def open_desktop(paths: Paths, config: Any, agent: AgentConfig, stop: StopToken,
                 stack: ExitStack, *, face: Face, own_rects: Sequence[Rect] = (),
                 on_pause: Callable[[str], None] | None = None,
                 locked: bool = False) -> DesktopEpisode:
    """Lock the desktop and build its side of one episode (see the module doc).

    ``config``: the app's ``DeskhandConfig`` (its ``capture`` and ``control`` tables);
    ``own_rects``: Deskhand's own windows (masked and never recorded); ``on_pause(what)``:
    the person's own input paused the agent (called on a listener thread: keep it short);
    ``locked``: the caller already holds the episode lock (``hold_episode_lock``). Raises
    ``SetupError`` for what the person must fix first.
    """
    from agent.actuator import DryRunError, PyAutoGuiActuator
    from agent.screen import MssScreen

    check_display()
    if not locked:
        hold_episode_lock(paths, stack)
    control = config.control
    base = getattr(config, "capture", None) or CaptureMasks()
    masks = CaptureMasks(regions=(*base.regions, *own_rects), window_titles=base.window_titles)
    raw_screen = MssScreen(agent.monitor, masks)
    stack.callback(raw_screen.close)
    try:
        every = raw_screen.monitors()
    except Exception as exc:  # no X server there, no permission
        raise SetupError(f"the display {os.environ.get('DISPLAY', '')!s} cannot be used "
                         f"({exc})") from None
    if agent.monitor > len(every):
        raise SetupError(f"monitor {agent.monitor} does not exist: this machine has "
                         f"{len(every)} monitor(s) (--monitor, or agent.monitor in the config)")
    monitors = every if agent.monitor == 0 else [every[agent.monitor - 1]]
    own = OwnWindows.of_app() if face == "app" else OwnWindows.of_terminal()
    stack.callback(own.close)
    focus = FocusKeeper(own)
    notices: list[Notice] = []
    takeover = _takeover(control, own, on_pause, stack, notices)
    try:
        actuator = PyAutoGuiActuator(stop, on_event=takeover.note if takeover else None)
    except DryRunError as exc:
        raise SetupError(str(exc)) from None
    stack.callback(actuator.close)
    _stop_hotkey(stop, control.stop_hotkey, stack, notices)
    return DesktopEpisode(
        screen=FocusedScreen(raw_screen, focus), actuator=FocusedActuator(actuator, focus),
        monitors=monitors, takeover=takeover,
        recorder=_recorder_factory(control, agent.monitor, masks, own_rects, own, focus),
        focus=focus, notices=notices)


def _takeover(control: Any, own: OwnWindows, on_pause: Callable[[str], None] | None,
              stack: ExitStack, notices: list[Notice]) -> Any:
    from agent.control.takeover import TakeoverMonitor

    try:
        return stack.enter_context(TakeoverMonitor(
            on_pause, control.takeover, is_own=own.owns, grace=control.own_input_grace_s))
    except Exception as exc:  # no RECORD extension: the agent cannot notice a person
        notices.append(Notice("takeover", str(exc)))
        return None


def _stop_hotkey(stop: StopToken, combo: str, stack: ExitStack, notices: list[Notice]) -> None:
    try:
        from agent.control.hotkey import StopHotkey

        stack.enter_context(StopHotkey(stop, combo))
    except Exception as exc:  # no RECORD extension, no permission: the face's own stop works
        notices.append(Notice("hotkey", str(exc)))


def _recorder_factory(control: Any, monitor: int, masks: CaptureMasks,
                      own_rects: Sequence[Rect], own: OwnWindows,
                      focus: FocusKeeper) -> Callable[[], Recorder]:
    """"Let me do it": the person's input as actions, each with the screen it began on."""
    from agent.screen import MssScreen
    from agent.takeover_capture import Capturer, ScreenedRecorder

    def make() -> Recorder:
        capturer = Capturer(lambda: MssScreen(monitor, masks))
        return ScreenedRecorder(control.recorder, own_rects, own=own, capturer=capturer,
                                focus=focus)

    return make
