"""One editable setting: its widget, the config key it writes, and its message label.

A ``Field`` reads and writes its widget as a plain value (text, int, float, list of lines);
``check`` validates it with the owning config dataclass itself (``dataclasses.replace`` on the
section, which runs its ``__post_init__``), so the page never re-implements a rule and the
message a user sees is the dataclass's own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.config import DeskhandConfig


def error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: #c0392b;")
    label.hide()
    return label


@dataclass
class Field:
    key: str  # dotted: "safety.max_steps"
    widget: QWidget
    hint: str = ""

    def __post_init__(self) -> None:
        self.error = error_label()
        self.box = QWidget()
        layout = QVBoxLayout(self.box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.widget)
        if self.hint:
            hint = QLabel(self.hint)
            hint.setWordWrap(True)
            hint.setStyleSheet("color: palette(placeholder-text);")
            layout.addWidget(hint)
        layout.addWidget(self.error)

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def attr(self) -> str:
        return self.key.split(".", 1)[1]

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QPlainTextEdit):
            return tuple(line.strip() for line in w.toPlainText().splitlines() if line.strip())
        if isinstance(w, QSpinBox):
            return w.value()
        if isinstance(w, QDoubleSpinBox):
            return float(w.value())
        if isinstance(w, QLineEdit):
            return w.text().strip()
        raise TypeError(f"no value for {type(w).__name__}")

    def set_value(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QPlainTextEdit):
            w.setPlainText("\n".join(value))
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(value)
        elif isinstance(w, QLineEdit):
            w.setText(str(value))

    def current(self, config: DeskhandConfig) -> Any:
        section = config
        for part in self.key.split("."):
            section = getattr(section, part)
        return section

    def check(self, config: DeskhandConfig) -> str | None:
        """The dataclass's message when this value is invalid (shown by the field)."""
        owner: Any = config
        *parents, last = self.key.split(".")
        for part in parents:
            owner = getattr(owner, part)
        try:
            dataclasses.replace(owner, **{last: self.value()})
        except (ValueError, TypeError) as exc:
            return str(exc)
        return None

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.widget.setProperty("invalid", bool(message))
        if isinstance(self.widget, (QLineEdit, QPlainTextEdit)):  # spin boxes lose their arrows
            self.widget.setStyleSheet("border: 1px solid #c0392b;" if message else "")
