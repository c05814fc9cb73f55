"""The app's ``UserGate``: the episode thread asks, the chat page answers.

``GuiGate`` is called on the episode's thread (``agent.user_gate`` contract). Each question is
re-emitted as a Qt signal (delivered on the UI thread) and the episode thread then waits for
the page's ``reply``. The one design choice a reader must know: the wait also watches the
stop token, so a Stop from anywhere (the button, Esc, the global hotkey) ends a pending
question at once — as ``STOP`` for a review, "no" for a yes/no question, no answer for the
model's question — and a reply that arrives after that is refused, never applied to a later
question. Ratings are not asked here: the page saves them from the step cards whenever the
person gives them, during the run or after it.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal

from agent.actuator import StopToken
from agent.user_gate import STOP, GateEvent, Rating, StepView, UserDecision

POLL_S = 0.02  # how often a waiting question looks at the stop token


class GuiGate(QObject):
    review_requested = Signal(object)  # StepView
    question_asked = Signal(str)  # a yes/no question
    answer_requested = Signal(str)  # the model's ask_user question
    takeover_started = Signal(object)  # StepView: the person acts, then says done
    notified = Signal(object)  # GateEvent
    closed = Signal(str)  # the pending request (its kind) was answered or cancelled

    def __init__(self, stop: StopToken, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stop = stop
        self._lock = threading.Lock()
        self._pending: str | None = None
        self._box: queue.Queue[Any] | None = None

    # -- called by the page (UI thread) -----------------------------------------------
    @property
    def pending(self) -> str | None:
        """What is being asked now: review / question / answer / takeover, or None."""
        return self._pending

    def reply(self, value: Any) -> bool:
        """Answer the pending request; False if nothing is pending (e.g. already stopped)."""
        with self._lock:
            if self._box is None:
                return False
            box, self._box = self._box, None
        box.put(value)
        return True

    # -- UserGate (episode thread) --------------------------------------------------------
    def review(self, step: StepView) -> UserDecision:
        decision = self._wait("review", self.review_requested, step, STOP)
        return decision if isinstance(decision, UserDecision) else STOP

    def rate(self, step: StepView) -> Rating | None:
        return None  # given on the step cards, at any time (see the module docstring)

    def notify(self, event: GateEvent) -> None:
        self.notified.emit(event)

    def ask(self, question: str) -> bool:
        return bool(self._wait("question", self.question_asked, question, False))

    def answer(self, question: str) -> str | None:
        reply = self._wait("answer", self.answer_requested, question, None)
        return str(reply) if reply else None

    def takeover_done(self, step: StepView) -> None:
        self._wait("takeover", self.takeover_started, step, None)

    def _wait(self, kind: str, signal: Any, payload: Any, on_stop: Any) -> Any:
        box: queue.Queue[Any] = queue.Queue(maxsize=1)
        with self._lock:
            self._box, self._pending = box, kind
        try:
            if self.stop.stopped:
                return on_stop
            signal.emit(payload)
            while True:
                try:
                    return box.get(timeout=POLL_S)
                except queue.Empty:
                    if self.stop.stopped:
                        return on_stop
        finally:
            with self._lock:
                if self._box is box:
                    self._box = None
                self._pending = None
            self.closed.emit(kind)
