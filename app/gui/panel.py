"""The small always-on-top panel shown while the agent acts: Stop, the current step, the
reasoning, and — while the person does a step themselves — "I'm done", or "Resume" when
the person's own input paused the agent.

The main window gets out of the way while the agent looks at and acts on the screen; this
panel stays. The one design choice a reader must know: the panel never takes the keyboard
focus (the agent types into whatever window has it), sits in a corner of the screen, and
its rectangle (``screen_rect``) is handed to the episode as one of Deskhand's own windows —
masked out of every screenshot and refused as a click target by the safety gate.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from agent.screen import Rect
from app.gui.widgets.text import plain_label

PANEL_SIZE = (380, 150)
MARGIN = 12


class AgentPanel(QWidget):
    stop_clicked = Signal()
    show_clicked = Signal()
    done_clicked = Signal()
    resume_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint
                         | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowDoesNotAcceptFocus)
        self.setWindowTitle("Deskhand — agent")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setObjectName("agentPanel")
        self.setStyleSheet("#agentPanel { background: #20232a; border: 1px solid #444; "
                           "border-radius: 8px; } QLabel { color: #e8e8e8; }")
        self.setFixedSize(*PANEL_SIZE)
        self.status = plain_label("Starting…", wrap=True)
        self.status.setStyleSheet("font-weight: bold;")
        self.step = plain_label(wrap=True)
        self._step_text = ""  # the current step, shown again after a pause or a takeover
        self.reasoning = plain_label(wrap=True)
        self.reasoning.setStyleSheet("color: #a8b0bd; font-size: 11px;")
        self.reasoning.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.stop = QPushButton("■ Stop")
        self.stop.setStyleSheet("QPushButton { background: #c62828; color: white; "
                                "font-weight: bold; padding: 4px 14px; border-radius: 4px; }")
        self.stop.setToolTip("Stop the agent now (also Esc in Deskhand, or the global hotkey)")
        self.done = QPushButton("✓ I'm done")
        self.done.setToolTip("You finished doing the step yourself")
        self.done.hide()
        self.resume = QPushButton("▶ Resume")
        self.resume.setToolTip("You are done using the computer: the agent goes on")
        self.resume.hide()
        self.show_app = QPushButton("Show Deskhand")
        for button in (self.stop, self.done, self.resume, self.show_app):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stop.clicked.connect(self.stop_clicked)
        self.done.clicked.connect(self.done_clicked)
        self.resume.clicked.connect(self.resume_clicked)
        self.show_app.clicked.connect(self.show_clicked)
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 8, 12, 8)
        column.setSpacing(4)
        column.addWidget(self.status)
        column.addWidget(self.step)
        column.addWidget(self.reasoning, 1)
        row = QHBoxLayout()
        row.addWidget(self.stop)
        row.addWidget(self.done)
        row.addWidget(self.resume)
        row.addStretch(1)
        row.addWidget(self.show_app)
        column.addLayout(row)

    def place(self) -> None:
        """Bottom-right corner of the primary screen's work area."""
        screen = QGuiApplication.primaryScreen()
        if screen is None:
            return
        area = screen.availableGeometry()
        self.move(area.right() - self.width() - MARGIN, area.bottom() - self.height() - MARGIN)

    def screen_rect(self) -> Rect:
        """Where the panel is, in virtual-screen pixels (masked and never clicked)."""
        geometry: QRect = self.frameGeometry()
        screen = self.screen() or QGuiApplication.primaryScreen()
        ratio = screen.devicePixelRatio() if screen is not None else 1.0
        return Rect(int(geometry.x() * ratio), int(geometry.y() * ratio),
                    int(geometry.width() * ratio) + 1, int(geometry.height() * ratio) + 1)

    def set_status(self, text: str) -> None:
        self.status.setText(text[:1].upper() + text[1:])

    def set_step(self, text: str) -> None:
        self._step_text = text
        self.step.setText(text)

    def set_reasoning(self, text: str) -> None:
        tail = " ".join(text.split())[-220:]
        self.reasoning.setText(("…" if len(text) > 220 else "") + tail)

    def set_paused(self, on: bool) -> None:
        """The person's own input paused the agent: say so and offer Resume."""
        self.resume.setVisible(on)
        if on:
            self.set_status("Paused: you are using the computer")
            self.step.setText("The agent waits until you press Resume (or Stop).")
        else:
            self.step.setText(self._step_text)

    def set_takeover(self, on: bool) -> None:
        self.done.setVisible(on)
        if on:
            self.set_status("Your turn: do the step, then press “I'm done”")
            self.step.setText("What you do is saved as the correction.")
        else:
            self.step.setText(self._step_text)
