"""The question bar: the agent asks the person something in the middle of an episode.

Four uses, one bar: a yes/no question (the stall detector: "go on?"), the model's own
``ask_user`` question (a text answer; empty stops the episode), "let me do it" (the person
acts on the screen, then presses "I'm done"), and a takeover pause (the person's own input
paused the agent: Resume or Stop). The one design choice a reader must know: the bar only
emits (``answered(value)``, ``resume_clicked``, ``stop_clicked``); the page hands answers to
the gate, which owns the wait, and a resume to the episode worker.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.gui.widgets.text import plain_label


class QuestionBar(QFrame):
    answered = Signal(object)
    resume_clicked = Signal()
    stop_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("questionBar")
        self.setStyleSheet("#questionBar { background: #fff4d6; border: 1px solid #e0b84c; "
                           "border-radius: 6px; } #questionBar QLabel { color: #3a2e00; }")
        self.kind = ""
        self.label = plain_label(wrap=True)  # the model's own question: shown as written
        self.text = QLineEdit()
        self.text.setPlaceholderText("Your answer (Enter sends; empty stops the episode)")
        self.yes = QPushButton("&Yes")
        self.no = QPushButton("&No")
        self.send = QPushButton("Se&nd")
        self.done = QPushButton("I'm &done")
        self.resume = QPushButton("▶ &Resume")
        self.resume.setToolTip("Hand control back to the agent (Ctrl+R)")
        self.stop = QPushButton("■ Stop")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.label, 1)
        for widget in (self.text, self.yes, self.no, self.send, self.done, self.resume,
                       self.stop):
            row.addWidget(widget)
        self.yes.clicked.connect(lambda: self._answer(True))
        self.no.clicked.connect(lambda: self._answer(False))
        self.send.clicked.connect(lambda: self._answer(self.text.text().strip()))
        self.text.returnPressed.connect(lambda: self._answer(self.text.text().strip()))
        self.done.clicked.connect(lambda: self._answer(None))
        self.resume.clicked.connect(self.resume_clicked)
        self.stop.clicked.connect(self.stop_clicked)
        self.hide()

    def ask(self, kind: str, message: str) -> None:
        """kind: question (yes/no), answer (text), takeover (I'm done) or paused (Resume)."""
        self.kind = kind
        self.label.setText(message)
        self.text.clear()
        self.text.setVisible(kind == "answer")
        self.send.setVisible(kind == "answer")
        self.yes.setVisible(kind == "question")
        self.no.setVisible(kind == "question")
        self.done.setVisible(kind == "takeover")
        self.resume.setVisible(kind == "paused")
        self.stop.setVisible(kind == "paused")
        self.show()
        focus = {"answer": self.text, "question": self.yes, "takeover": self.done,
                 "paused": self.resume}[kind]
        focus.setFocus()

    def close_question(self) -> None:
        self.kind = ""
        self.hide()

    def _answer(self, value: Any) -> None:
        if self.kind:
            self.answered.emit(value)
