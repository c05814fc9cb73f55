"""The practice window: the task sentence, the exercise's widgets, and the state channel.

The one design choice a reader must know: every change (a click, a keystroke, a scroll, the
window moving) schedules one write of the whole state document, coalesced on the next turn of
the event loop, so the file always describes the screen as it is; the verdict in it comes from
the same Qt-free verifier (``agent.practice.verify``) that tests and the learner use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QMainWindow, QSizePolicy, QVBoxLayout, QWidget

from agent.practice.channel import STATE_VERSION, geometry_of, write_state
from agent.practice.replay import write_solution
from agent.practice.solve import targets
from agent.practice.spec import ExerciseError, ExerciseSpec
from agent.practice.verify import verify
from app.gui.widgets.text import breakable
from app.practice.common import NAME_PROPERTY, GeometryBuilder, Kind
from app.practice.kinds_basic import ButtonKind, CheckboxesKind, ComboKind, FormKind, SliderKind
from app.practice.kinds_more import DialogKind, EditorKind, MenuKind, ScrollListKind
from app.practice.kinds_visual import LampKind, SwatchKind

KIND_CLASSES: dict[str, type[Kind]] = {
    "button": ButtonKind, "form": FormKind, "checkboxes": CheckboxesKind, "menu": MenuKind,
    "combo": ComboKind, "slider": SliderKind, "dialog": DialogKind, "editor": EditorKind,
    "scroll_list": ScrollListKind, "swatch": SwatchKind, "lamp": LampKind,
}
SETTLE_MS = 150  # after show: let the window be placed before measuring and publishing


class PracticeWindow(QMainWindow):
    def __init__(self, spec: ExerciseSpec, state_file: Path | None = None,
                 solution_file: Path | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.state_file = state_file
        self.solution_file = solution_file
        self.seq = 0
        self.settled = False
        self.last_press: dict[str, Any] | None = None
        self.setWindowTitle(spec.title)
        self.kind = KIND_CLASSES[spec.kind](spec, self)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(14)
        self.task_label = QLabel(spec.task)
        self.task_label.setWordWrap(True)
        self.task_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.task_label.setMargin(10)
        font = self.task_label.font()
        font.setBold(True)
        self.task_label.setFont(font)
        layout.addWidget(self.task_label)
        layout.addWidget(self.kind.build(), 1 if self.kind.fills else 0)
        if not self.kind.fills:
            layout.addStretch(1)
        # the verdict under the exercise, wrapped: a long one never runs off the window, and
        # never widens it either (the exercise's widgets stay where the solver measured them)
        self.verdict_label = QLabel()
        self.verdict_label.setTextFormat(Qt.TextFormat.PlainText)
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                         QSizePolicy.Policy.Preferred)
        layout.addWidget(self.verdict_label)
        self.setCentralWidget(body)
        look = spec.look
        self.setGeometry(look.x, look.y, look.width, look.height)
        self._pending = QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self.publish)
        self.kind.changed.connect(self._pending.start)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self.settled:
            QTimer.singleShot(SETTLE_MS, self._settle)

    def _settle(self) -> None:
        self.kind.settle()
        self.settled = True
        if self.solution_file is not None:
            write_solution(self.solution_file, self.spec, geometry_of(self.document()))
        self._pending.start()

    def event(self, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Move, QEvent.Type.Resize) and self.settled:
            self._pending.start()
        return super().event(event)

    def record_press(self, widget: QWidget, event: QMouseEvent) -> None:
        """Note which named widget a press landed on and where, in its own pixels."""
        named: QWidget | None = widget
        while named is not None and named.property(NAME_PROPERTY) is None:
            named = named.parentWidget()
        if named is None:
            return
        local = widget.mapTo(named, event.position().toPoint())
        here = event.globalPosition().toPoint()
        self.last_press = {"widget": str(named.property(NAME_PROPERTY)),
                           "local": [local.x(), local.y()], "global": [here.x(), here.y()]}
        self._pending.start()

    def document(self) -> dict[str, Any]:
        """The state document (see ``agent.practice.channel``)."""
        builder = GeometryBuilder()
        self.kind.describe(builder)
        geometry = builder.build()
        state = self.kind.state()
        verdict = verify(self.spec, state)
        try:
            boxes = {n: b.to_json() for n, b in targets(self.spec, geometry)}
        except ExerciseError:  # e.g. the dialog was closed: its buttons are gone
            boxes = {}
        frame = self.frameGeometry()
        return {"version": STATE_VERSION, "seq": self.seq, "spec": self.spec.to_json(),
                "settled": self.settled,
                "window": {"title": self.windowTitle(),
                           "box": [frame.x(), frame.y(), frame.width(), frame.height()]},
                "state": state, "geometry": geometry.to_json(), "targets": boxes,
                "solved": verdict.ok, "details": verdict.details,
                "last_press": self.last_press}

    def publish(self) -> None:
        document = self.document()
        mark = "✓ Solved — " if document["solved"] else "Not solved yet — "
        self.verdict_label.setText(breakable(mark + document["details"]))
        if self.state_file is not None and self.settled:
            self.seq += 1
            document["seq"] = self.seq
            write_state(self.state_file, document)


class PressRecorder(QObject):
    """Application-wide filter: reports each mouse press once, to the practice window."""

    def __init__(self, window: PracticeWindow) -> None:
        super().__init__(window)
        self.window = window
        self._last: tuple[int, int, int] | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.MouseButtonPress and isinstance(watched, QWidget):
            assert isinstance(event, QMouseEvent)
            here = event.globalPosition().toPoint()
            key = (int(event.timestamp()), here.x(), here.y())
            if key != self._last:  # the same press propagating to a parent
                self._last = key
                self.window.record_press(watched, event)
        return False
