"""Step cards: one finished step in the conversation — what the agent saw and did, why, the
critic's view, how long it took, and a rating bar to grade it.

The one design choice a reader must know: a card is built from what the episode thread
reported (``StepEvent``), never from a database read on the UI thread; its rating bar only
emits, and the page saves each grade through the database worker.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.gui.chat.worker import StepEvent
from app.gui.widgets.action_overlay import draw_action, to_qimage
from app.gui.widgets.rating import RatingBar
from app.gui.widgets.text import html, plain_label, rich_label
from models.actions import describe

THUMB_WIDTH = 200
OUTCOME_WORDS = {
    "executed": ("done", "#2e7d32"), "corrected": ("corrected by you", "#1565c0"),
    "skipped": ("skipped", "#6d6d6d"), "blocked": ("blocked by the safety rules", "#c62828"),
    "interrupted": ("stopped", "#c62828"), "failed": ("failed", "#c62828"),
    "parse_failed": ("the model's answer could not be read", "#b35c00"),
    "proposed": ("proposed", "#6d6d6d")}
TIMINGS = (("propose_s", "thought"), ("critic_s", "critic"), ("review_s", "you looked"),
           ("execute_s", "acted"))


class KeepReturn(QObject):
    """Lets a line edit keep Enter (its own ``returnPressed``) even while a window shortcut
    claims Enter (the review's Approve)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return True
        return False


def keep_return(edit: QLineEdit, keeper: KeepReturn) -> None:
    edit.installEventFilter(keeper)


def timing_text(latencies: dict[str, float]) -> str:
    """
    >>> timing_text({"propose_s": 1.234, "execute_s": 0.2, "capture_s": 0.01})
    'thought 1.2 s · acted 0.2 s'
    """
    parts = [f"{label} {latencies[key]:.1f} s" for key, label in TIMINGS
             if isinstance(latencies.get(key), (int, float))]
    return " · ".join(parts)


class StepCard(QFrame):
    rated = Signal(int, str, object, object)  # step id, kind, value, comment

    def __init__(self, event: StepEvent, keeper: KeepReturn,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        report = event.report
        self.step_id = report.step_id
        self.setObjectName("stepCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#stepCard { border: 1px solid palette(mid); border-radius: 8px; "
                           "background: palette(base); }")
        grid = QGridLayout(self)
        grid.setContentsMargins(10, 8, 10, 8)
        grid.setHorizontalSpacing(12)
        # every label is made with its parent: one shown before it has a parent would flash
        # up as a window of its own (and take the activation from the app's window)
        self.thumb = QLabel(self)
        self.thumb.setFixedWidth(THUMB_WIDTH)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignTop)
        if event.observation is not None:
            obs = event.observation
            image = draw_action(to_qimage(obs.image), report.action, obs.monitor)
            self.thumb.setPixmap(QPixmap.fromImage(image).scaledToWidth(
                THUMB_WIDTH, Qt.TransformationMode.SmoothTransformation))
        grid.addWidget(self.thumb, 0, 0)
        words, colour = OUTCOME_WORDS.get(report.outcome, (report.outcome, "#6d6d6d"))
        what = describe(report.action) if report.action is not None else "no action"
        self.title = rich_label(f"<b>Step {report.index + 1}</b> · {html(what)} · "
                                f"<span style='color:{colour}'>{words}</span>", self, wrap=True)
        body = QVBoxLayout()
        body.setSpacing(3)
        body.addWidget(self.title)
        lines = []
        if report.note and report.note != words:
            lines.append(f"<i>{html(report.note)}</i>")
        if report.parse_error:
            lines.append(f"<span style='color:#b35c00'>{html(report.parse_error)}</span>")
        if report.verdict is not None:
            lines.append(f"Critic <b>{report.verdict.reward:.2f}</b>: "
                         f"{html(report.verdict.analysis)}")
        self.details = rich_label("<br>".join(lines), self, wrap=True)
        self.details.setVisible(bool(lines))
        body.addWidget(self.details)
        reasoning = report.reasoning.strip()
        self.reasoning = plain_label(reasoning, self, wrap=True)
        self.reasoning.setToolTip(reasoning[:3000])
        self.reasoning.setStyleSheet("color: palette(dark);")
        self.reasoning.setVisible(bool(reasoning))
        body.addWidget(self.reasoning)
        self.timing = plain_label(timing_text(event.latencies), self)
        self.timing.setStyleSheet("color: palette(dark); font-size: 11px;")
        body.addWidget(self.timing)
        body.addStretch(1)
        grid.addLayout(body, 0, 1)
        self.rating = RatingBar(parent=self)
        self.rating.setAccessibleName(f"Rating of step {report.index + 1}")
        keep_return(self.rating.comment, keeper)
        self.rating.rated.connect(lambda kind, value, comment: self.rated.emit(
            self.step_id, kind, value, comment))
        grid.addWidget(self.rating, 1, 0, 1, 2)  # full width: fits narrow windows
        grid.setColumnStretch(1, 1)

