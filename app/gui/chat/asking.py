"""Asking the person, on the chat page: the gate's questions shown, the person's answers
handed back.

A proposed step opens the review (``review.py``) under the conversation; a yes/no question,
the model's own question and "let me do it" use the question bar (``question.py``); a
takeover pause shows Resume there and on the panel. The one design choice a reader must know:
the window always comes back to ask (``Aside.come_back``), the answer always goes to the gate
(``GuiGate.reply``), and a question the gate closed (a Stop meanwhile) is taken off the page,
so an answer can never reach a later question.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QSplitter

from agent.user_gate import StepView, UserDecision
from app.gui.chat.aside import Aside
from app.gui.chat.gate import GuiGate
from app.gui.chat.question import QuestionBar
from app.gui.chat.review import ReviewPanel

PAUSED = ("Paused: you are using the computer. The agent waits until you press Resume "
          "(Ctrl+R) — or Stop (Esc).")


class Asking(QObject):
    """Connects one page's gate to its review panel, question bar and panel."""

    def __init__(self, gate: GuiGate, review: ReviewPanel, question: QuestionBar,
                 splitter: QSplitter, aside: Aside, before: Callable[[], None]) -> None:
        super().__init__(review)
        self.gate, self.review, self.question = gate, review, question
        self.splitter, self.aside = splitter, aside
        self.before = before  # the page lays out the streamed words first
        gate.review_requested.connect(self._review)
        gate.question_asked.connect(lambda text: self._ask("question", text))
        gate.answer_requested.connect(lambda text: self._ask("answer", f"The agent asks: {text}"))
        gate.takeover_started.connect(self._takeover)
        gate.closed.connect(self._closed)
        review.decided.connect(self._decided)
        question.answered.connect(self.answered)
        aside.done_clicked.connect(lambda: self.answered(None))

    def _review(self, view: StepView) -> None:
        self.before()
        self.aside.come_back()
        self.review.show_step(view)
        self.review.show()
        height = self.splitter.height()
        self.splitter.setSizes([max(120, height // 4), height])
        self.review.primary.setFocus(Qt.FocusReason.OtherFocusReason)

    def _decided(self, decision: UserDecision) -> None:
        self.review.hide()
        self.gate.reply(decision)

    def _ask(self, kind: str, message: str) -> None:
        self.aside.come_back()
        self.question.ask(kind, message)

    def _takeover(self, view: StepView) -> None:
        self.question.ask("takeover", f"Your turn: do step {view.index + 1} yourself on the "
                          "screen, then press “I'm done”. What you do is saved as the "
                          "correction.")
        self.aside.set_takeover(True)

    def answered(self, value: Any) -> None:
        self.aside.set_takeover(False)
        self.question.close_question()
        self.gate.reply(value)

    def _closed(self, kind: str) -> None:
        if kind == "review":
            self.review.hide()
        elif self.question.kind == kind:
            self.question.close_question()
            self.aside.set_takeover(False)

    def show_paused(self, on: bool, running: bool) -> None:
        """The person's own input paused the episode: say so here and on the panel, with
        Resume and Stop; it goes on only when the person presses Resume."""
        if on and self.question.kind != "paused":
            self.question.ask("paused", PAUSED)
        elif not on and self.question.kind == "paused":
            self.question.close_question()
        self.aside.show_paused(on and running)

    def close_all(self) -> None:
        self.review.hide()
        self.question.close_question()
