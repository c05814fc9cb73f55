"""One past step, large: the screenshot with the action drawn on it, what was done and thought,
the judgments given so far, and a rating bar to grade it again.

The screenshot file is decoded off the UI thread (a job on the database worker, which owns the
store's files); a newer selection makes an older, slower decode land nowhere.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.gui.history.data import StepRow
from app.gui.widgets.action_overlay import draw_action
from app.gui.widgets.rating import RatingBar
from models import actions
from models.frames import FrameError, Monitor


class ScreenshotView(QWidget):
    """Paints one image scaled to fit, aspect kept; a message where there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.message = "No step selected"
        self.setMinimumSize(240, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, image: QImage | None, message: str = "") -> None:
        self.image, self.message = image, message
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(640, 400)

    def image_rect(self) -> QRectF:
        if self.image is None or self.image.isNull():
            return QRectF()
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRectF((self.width() - size.width()) / 2, (self.height() - size.height()) / 2,
                      size.width(), size.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(38, 40, 46))
        if self.image is not None and not self.image.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.image_rect(), self.image)
        else:
            painter.setPen(QColor(200, 200, 200))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
        painter.end()


def load_screenshot(path: Path | None) -> QImage | None:
    """Decode a screenshot file (runs on the worker; QImage is safe off the UI thread)."""
    if path is None or not path.exists():
        return None
    image = QImage(str(path))
    return None if image.isNull() else image


def annotated(image: QImage, step: StepRow) -> QImage:
    """The screenshot with the step's action drawn on it."""
    try:
        action = actions.from_json(step.action) if step.action is not None else None
    except (actions.ActionError, TypeError, ValueError):
        action = None
    try:
        monitor = (Monitor(*step.monitor) if step.monitor is not None
                   else Monitor(0, 0, image.width(), image.height()))
        return draw_action(image, action, monitor)
    except FrameError:
        return image


class StepView(QWidget):
    """The selected step: picture, words, judgments, and its rating bar (``self.rating``)."""

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.step: StepRow | None = None
        self._wanted: int | None = None  # the step whose picture should land
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.picture = ScreenshotView()
        layout.addWidget(self.picture, 1)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout.addWidget(self.caption)
        self.rating = RatingBar("Step")
        layout.addWidget(self.rating)
        self.show_step(None)

    def show_step(self, step: StepRow | None) -> None:
        changed = step is None or self.step is None or step.id != self.step.id
        self.step = step
        self.rating.setEnabled(step is not None)
        if step is None:
            self.rating.clear()
            self.caption.setText("")
            self.picture.set_image(None, "No step selected")
            self._wanted = None
            return
        self.rating.set_state(step.rating)
        self.caption.setText(step_html(step))
        if changed:
            self._load_picture(step)

    def _load_picture(self, step: StepRow) -> None:
        self._wanted = step.id
        if step.image_path is None:
            self.picture.set_image(None, "This step has no screenshot")
            return
        self.picture.set_image(None, "Loading the screenshot…")
        path = step.image_path

        def decode(_store: Any) -> QImage | None:
            return load_screenshot(path) if self._wanted == step.id else None

        def shown(image: QImage | None) -> None:
            if self._wanted != step.id:
                return  # a newer step was selected meanwhile
            if image is None:
                self.picture.set_image(None, "The screenshot file is missing")
            else:
                self.picture.set_image(annotated(image, step))

        self.db.submit(decode, on_done=shown,
                       on_error=lambda msg: self.picture.set_image(None, msg))


def step_html(step: StepRow) -> str:
    """The step in words: action, outcome, reasoning, critic, judgments so far."""
    parts = [f"<b>Step {step.index + 1}:</b> {escape(step.description)} "
             f"<span style='color:gray'>· {escape(step.outcome)}</span>"]
    if step.critic_score is not None:
        parts[0] += f" <span style='color:gray'>· critic {step.critic_score:.2f}</span>"
    if step.parse_error:
        parts.append(f"<span style='color:#c62828'>Could not read the model's output: "
                     f"{escape(_short(step.parse_error))}</span>")
    if step.reasoning:
        parts.append(f"<i>{escape(_short(step.reasoning, 320))}</i>")
    if step.judgments:
        given = " · ".join(escape(j.describe()) for j in step.judgments[-6:])
        more = f" (and {len(step.judgments) - 6} earlier)" if len(step.judgments) > 6 else ""
        parts.append(f"<span style='color:gray'>Judgments, oldest first{more}:</span> {given}")
    else:
        parts.append("<span style='color:gray'>Not graded yet.</span>")
    return "<br>".join(parts)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
