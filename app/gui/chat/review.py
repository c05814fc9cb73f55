"""The review view: the step's screenshot shown large with the proposed action on it, and
Approve / Correct / Skip / "Let me do it".

The one design choice a reader must know: there is one primary button. While the action is
as proposed it *approves* (Enter); as soon as the person changes it — clicks the screenshot
to move the target, edits the text, picks another action — it *saves the correction* (still
Enter), and Reset brings the proposal back. A click on the picture is converted to
virtual-screen pixels through the observation's monitor (``image_to_screen``), the same
frame the actuator uses.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QMouseEvent, QPainter, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from agent.user_gate import APPROVE, SKIP, TAKEOVER, StepView, UserDecision
from app.gui.chat.editor import ActionEditor
from app.gui.widgets.action_overlay import FrameError, draw_action, image_to_screen, to_qimage
from app.gui.widgets.text import html, plain_label, rich_label
from models.actions import Action, describe
from models.frames import Monitor


class TargetImage(QWidget):
    """A screenshot scaled to fit; a click emits the virtual-screen point under it."""

    picked = Signal(int, int, bool)  # x, y, shift held

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base = QImage()
        self._shown = QImage()
        self._monitor: Monitor | None = None
        self.setMinimumSize(240, 135)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Click where the agent should act instead (Shift+click: a drag's start)")

    def set_screenshot(self, image: QImage, monitor: Monitor) -> None:
        self._base, self._monitor = image, monitor
        self._shown = image
        self.update()

    def show_action(self, action: Action | None) -> None:
        if self._monitor is not None and not self._base.isNull():
            self._shown = draw_action(self._base, action, self._monitor)
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(720, 405)

    def image_rect(self) -> QRectF:
        """Where the picture is drawn in the widget (aspect kept, centred)."""
        if self._base.isNull():
            return QRectF()
        size = self._base.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        left = (self.width() - size.width()) / 2
        top = (self.height() - size.height()) / 2
        return QRectF(left, top, size.width(), size.height())

    def widget_point(self, x: int, y: int) -> QPoint:
        """The widget pixel showing virtual-screen point (x, y) (tests click through it)."""
        assert self._monitor is not None
        rect, m = self.image_rect(), self._monitor
        fx, fy = (x - m.left) / m.width, (y - m.top) / m.height
        return QPoint(round(rect.left() + fx * rect.width()),
                      round(rect.top() + fy * rect.height()))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().dark())
        if not self._shown.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(self.image_rect(), self._shown)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        rect = self.image_rect()
        pos = QPointF(event.position())
        if self._monitor is None or event.button() != Qt.MouseButton.LeftButton or \
                not rect.contains(pos):
            return
        width, height = self._base.width(), self._base.height()
        px = (pos.x() - rect.left()) / rect.width() * width
        py = (pos.y() - rect.top()) / rect.height() * height
        try:
            x, y = image_to_screen((px, py), (width, height), self._monitor)
        except FrameError:
            return
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.picked.emit(x, y, shift)


class ReviewPanel(QWidget):
    """Shows one proposed step and emits the person's ``decided(UserDecision)``."""

    decided = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: StepView | None = None
        self.image = TargetImage()
        self.title = rich_label(wrap=True)
        self.flags = plain_label(wrap=True)
        self.flags.setStyleSheet("color: #b35c00;")
        self.critic = rich_label(wrap=True)
        self.reasoning = plain_label(wrap=True)
        self.reasoning.setStyleSheet("color: palette(dark);")
        self.editor = ActionEditor()
        self.error = plain_label(wrap=True)
        self.error.setStyleSheet("color: #c62828;")
        self.primary = QPushButton("Approve  (Enter)")
        self.primary.setDefault(True)
        self.skip = QPushButton("&Skip")
        self.skip.setToolTip("Don't do this step; the agent looks again (Alt+S)")
        self.takeover = QPushButton("&Let me do it")
        self.takeover.setToolTip("You act on the screen yourself; what you do is saved as the "
                                 "correction (Alt+L)")
        self.reset = QPushButton("&Reset")
        self.reset.setToolTip("Back to the agent's proposal (Alt+R)")
        self.primary.clicked.connect(self.accept)
        self.skip.clicked.connect(lambda: self._decide(SKIP))
        self.takeover.clicked.connect(lambda: self._decide(TAKEOVER))
        self.reset.clicked.connect(self._reset)
        self.image.picked.connect(self._picked)
        self.editor.changed.connect(self._edited)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(self.accept)
        self._build()

    def _build(self) -> None:
        side = QVBoxLayout()
        side.addWidget(self.title)
        side.addWidget(self.flags)
        side.addWidget(self.critic)
        side.addWidget(self.reasoning)
        side.addSpacing(6)
        side.addWidget(self.editor)
        side.addWidget(self.error)
        side.addStretch(1)
        self.primary.setMinimumHeight(32)
        side.addWidget(self.primary)  # its own row: the one button used most
        buttons = QHBoxLayout()
        for button in (self.skip, self.takeover, self.reset):
            buttons.addWidget(button)
        side.addLayout(buttons)
        side_box = QWidget()
        side_box.setLayout(side)
        side_box.setMinimumWidth(300)
        side_box.setMaximumWidth(420)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.image, 1)
        row.addWidget(side_box)

    # -- showing a step -------------------------------------------------------------------
    def show_step(self, view: StepView) -> None:
        self.view = view
        self.image.set_screenshot(to_qimage(view.observation.image), view.observation.monitor)
        self.title.setText(f"<b>Step {view.index + 1}</b> — the agent wants to "
                           f"<b>{html(describe(view.action))}</b>")
        self.flags.setText("\n".join(f"⚠ {flag}" for flag in view.flags))
        self.flags.setVisible(bool(view.flags))
        verdict = view.verdict
        self.critic.setVisible(verdict is not None)
        if verdict is not None:
            self.critic.setText(f"Critic: <b>{verdict.reward:.2f}</b> {html(verdict.analysis)}")
        text = view.reasoning.strip()
        self.reasoning.setText(text)
        self.reasoning.setVisible(bool(text))
        self.editor.set_action(view.action)
        self.primary.setFocus(Qt.FocusReason.OtherFocusReason)

    def edited_action(self) -> Action | None:
        """The action as edited, or None when the fields are not a valid action."""
        try:
            return self.editor.action()
        except ValueError:
            return None

    # -- deciding -------------------------------------------------------------------------
    def accept(self) -> None:
        """Enter: approve the proposal, or save the correction when it was changed."""
        if self.view is None or not self.isVisible():
            return
        try:
            action = self.editor.action()
        except ValueError as exc:
            self.error.setText(f"Not a valid action: {exc}")
            return
        if action == self.view.action:
            self._decide(APPROVE)
        else:
            self._decide(UserDecision("correct", action))

    def _decide(self, decision: UserDecision) -> None:
        if self.view is None:
            return
        self.view = None
        self.decided.emit(decision)

    def _reset(self) -> None:
        if self.view is not None:
            self.editor.set_action(self.view.action)

    def _picked(self, x: int, y: int, shift: bool) -> None:
        self.editor.move_point(x, y, start=shift)

    def _edited(self) -> None:
        if self.view is None:
            return
        try:
            action = self.editor.action()
        except ValueError as exc:
            self.error.setText(f"Not a valid action yet: {exc}")
            self.primary.setText("Approve  (Enter)")
            return
        self.error.setText("")
        changed = action != self.view.action
        self.primary.setText("Save correction  (Enter)" if changed else "Approve  (Enter)")
        self.reset.setEnabled(changed)
        self.image.show_action(action)

