"""Edit an action by hand: pick another action from the vocabulary, change its fields.

Part of the review view (``app.gui.chat.review``). The one design choice a reader must know:
the editor holds *fields*, not an action, and ``action()`` builds the action through
``models.actions.from_json`` — the same validation every other action passes — so whatever
the person types is either a valid action or a clear message, never a half-built one.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from models.actions import Action, Click, Done, Drag, Fail, Key, Move, Scroll, Type, Wait, from_json

# (kind, label) in the order of the picker; shell and ask_user are the model's, not a fix
KINDS: tuple[tuple[str, str], ...] = (
    ("click", "Click"), ("move", "Move the pointer"), ("drag", "Drag"), ("scroll", "Scroll"),
    ("type", "Type text"), ("key", "Press keys"), ("wait", "Wait"), ("done", "Done (finished)"),
    ("fail", "Give up"))
# which rows each kind shows
ROWS: dict[str, tuple[str, ...]] = {
    "click": ("point", "button"), "move": ("point",), "drag": ("point", "to"),
    "scroll": ("point", "amount"), "type": ("text",), "key": ("text",), "wait": ("text",),
    "done": ("text",), "fail": ("text",)}
TEXT_LABEL = {"type": "Text to type", "key": "Keys (e.g. ctrl+s)", "wait": "Seconds",
              "done": "Summary", "fail": "Reason"}


def _text_of(action: Action) -> str:
    if isinstance(action, Type):
        return action.text
    if isinstance(action, Key):
        return "+".join(action.keys)
    if isinstance(action, Wait):
        return f"{action.seconds:g}"
    if isinstance(action, Done):
        return action.summary
    if isinstance(action, Fail):
        return action.reason
    return ""


def _spin(low: int = -100_000, high: int = 100_000) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setAccelerated(True)
    return spin


def _pair(a: QSpinBox, b: QSpinBox) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(a)
    row.addWidget(b)
    row.addStretch(1)
    return box


class ActionEditor(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        for kind, label in KINDS:
            self.kind.addItem(label, kind)
        self.kind.setToolTip("Pick a different action (Alt+T)")
        self.at_x, self.at_y, self.to_x, self.to_y = _spin(), _spin(), _spin(), _spin()
        self.dx, self.dy = _spin(-50, 50), _spin(-50, 50)
        for spin, tip in ((self.at_x, "x (screen pixels)"), (self.at_y, "y (screen pixels)"),
                          (self.to_x, "to x"), (self.to_y, "to y"),
                          (self.dx, "wheel clicks right"), (self.dy, "wheel clicks up")):
            spin.setToolTip(tip)
            spin.setAccessibleName(tip)
        self.button = QComboBox()
        for value, label in (("left", "left"), ("right", "right"), ("middle", "middle")):
            self.button.addItem(label, value)
        self.count = _spin(1, 3)
        self.count.setPrefix("× ")
        self.text = QLineEdit()
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Ac&tion", self.kind)
        self.form.addRow("At (x, y)", _pair(self.at_x, self.at_y))
        self.form.addRow("To (x, y)", _pair(self.to_x, self.to_y))
        self.form.addRow("Wheel (right, up)", _pair(self.dx, self.dy))
        button_row = QWidget()
        row = QHBoxLayout(button_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.count)
        row.addStretch(1)
        self.form.addRow("Button", button_row)
        self.form.addRow("Text", self.text)
        self._rows = {"point": 1, "to": 2, "amount": 3, "button": 4, "text": 5}
        self.kind.currentIndexChanged.connect(self._kind_changed)
        for spin in (self.at_x, self.at_y, self.to_x, self.to_y, self.dx, self.dy, self.count):
            spin.valueChanged.connect(self.changed)
        self.button.currentIndexChanged.connect(self.changed)
        self.text.textChanged.connect(self.changed)
        self._show_rows()

    # -- the action <-> the fields --------------------------------------------------------
    def set_action(self, action: Action) -> None:
        self.blockSignals(True)
        try:
            index = self.kind.findData(action.kind)
            self.kind.setCurrentIndex(max(0, index))
            if isinstance(action, (Click, Move, Drag, Scroll)):
                self.at_x.setValue(action.x)
                self.at_y.setValue(action.y)
            if isinstance(action, Drag):
                self.to_x.setValue(action.to_x)
                self.to_y.setValue(action.to_y)
            if isinstance(action, Scroll):
                self.dx.setValue(action.dx)
                self.dy.setValue(action.dy)
            if isinstance(action, Click):
                self.button.setCurrentIndex(max(0, self.button.findData(action.button)))
                self.count.setValue(action.count)
            self.text.setText(_text_of(action))
            self._show_rows()
        finally:
            self.blockSignals(False)
        self.changed.emit()

    def current_kind(self) -> str:
        return str(self.kind.currentData())

    def action(self) -> Action:
        """The action the fields describe; raises ``ActionError`` (a ``ValueError``)."""
        kind = self.current_kind()
        data: dict[str, Any] = {"type": kind}
        if kind in ("click", "move", "drag", "scroll"):
            data.update(x=self.at_x.value(), y=self.at_y.value())
        if kind == "click":
            data.update(button=self.button.currentData(), count=self.count.value())
        elif kind == "drag":
            data.update(to_x=self.to_x.value(), to_y=self.to_y.value())
        elif kind == "scroll":
            data.update(dx=self.dx.value(), dy=self.dy.value())
        elif kind == "type":
            data["text"] = self.text.text()
        elif kind == "key":
            data["keys"] = self.text.text()
        elif kind == "wait":
            try:
                data["seconds"] = float(self.text.text() or "1")
            except ValueError:
                raise ValueError("Seconds must be a number, e.g. 1.5") from None
        elif kind == "done":
            data["summary"] = self.text.text()
        elif kind == "fail":
            data["reason"] = self.text.text()
        return from_json(data)

    def move_point(self, x: int, y: int, start: bool = False) -> None:
        """A point picked on the screenshot: a pointer action moves there (a drag's drop
        point, or its start with ``start``); any other action becomes a click there."""
        kind = self.current_kind()
        self.blockSignals(True)
        try:
            if kind not in ("click", "move", "drag", "scroll"):
                self.kind.setCurrentIndex(self.kind.findData("click"))
                self.button.setCurrentIndex(0)
                self.count.setValue(1)
                self._show_rows()
            if kind == "drag" and not start:
                self.to_x.setValue(x)
                self.to_y.setValue(y)
            else:
                self.at_x.setValue(x)
                self.at_y.setValue(y)
        finally:
            self.blockSignals(False)
        self.changed.emit()

    def _kind_changed(self) -> None:
        self._show_rows()
        self.changed.emit()

    def _show_rows(self) -> None:
        kind = self.current_kind()
        wanted = ROWS.get(kind, ())
        for name, row in self._rows.items():
            self.form.setRowVisible(row, name in wanted)
        label = self.form.labelForField(self.text)
        if label is not None and kind in TEXT_LABEL:
            label.setText(TEXT_LABEL[kind])  # type: ignore[attr-defined]
