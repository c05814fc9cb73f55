"""One editable setting: its widget, the config key it writes, and its message label.

A ``Field`` reads and writes its widget as a plain value (text, int, float, list of lines);
``check`` validates it with the owning config dataclass itself (``dataclasses.replace`` on the
section, which runs its ``__post_init__``), so the page never re-implements a rule and the
message a user sees is the dataclass's own. ``RegionsField`` adds the one parse a dataclass
cannot do for the page: ``x,y,width,height`` lines into ``agent.screen.Rect`` values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from agent.screen import Rect
from app.config import DeskhandConfig
from app.gui.widgets.errors import error_label


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
        self.box.setFocusProxy(self.widget)  # the row's label mnemonic reaches the widget
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
        if isinstance(w, QCheckBox):
            return w.isChecked()
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
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
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


def parse_region(line: str) -> Rect:
    """One ``x,y,width,height`` line (virtual-screen pixels) as a ``Rect``.

    >>> parse_region(" 10, 20 ,300,40")
    Rect(left=10, top=20, width=300, height=40)
    >>> parse_region("10,20,0,40")
    Traceback (most recent call last):
    ValueError: “10,20,0,40”: width and height must be at least 1
    """
    parts = [p.strip() for p in line.split(",")]
    try:
        x, y, width, height = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"“{line.strip()}” is not x,y,width,height (four whole numbers "
                         "separated by commas)") from None
    if width < 1 or height < 1:
        raise ValueError(f"“{line.strip()}”: width and height must be at least 1")
    return Rect(x, y, width, height)


class RegionsField(Field):
    """Capture regions, one ``x,y,width,height`` per line, as a tuple of ``Rect``."""

    def lines(self) -> list[str]:
        assert isinstance(self.widget, QPlainTextEdit)
        return [line for line in self.widget.toPlainText().splitlines() if line.strip()]

    def value(self) -> tuple[Rect, ...]:
        out = []
        for line in self.lines():
            try:
                out.append(parse_region(line))
            except ValueError:
                continue  # ``check`` names the bad line; nothing is saved while it is there
        return tuple(out)

    def set_value(self, value: Any) -> None:
        assert isinstance(self.widget, QPlainTextEdit)
        self.widget.setPlainText("\n".join(f"{r.left},{r.top},{r.width},{r.height}"
                                           for r in value))

    def check(self, config: DeskhandConfig) -> str | None:
        for number, line in enumerate(self.lines(), start=1):
            try:
                parse_region(line)
            except ValueError as exc:
                return f"Line {number}: {exc}"
        return None
