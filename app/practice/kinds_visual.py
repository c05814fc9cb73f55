"""Exercises answered by what the eye sees: ``swatch`` and ``lamp``, plain coloured squares.

The squares carry no text (their colour is their name, and their accessible name for a screen
reader) and sit at the same places in both kinds. ``swatch`` shuffles their colours and names
one in the task; ``lamp`` keeps them in one order and lights a lamp below them in one of their
colours. Both are answered from colour alone — the kinds a small model trained in minutes on a
CPU can learn from pixels (the demo model's suite).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from agent.practice.generators import SWATCH_COLOURS
from app.practice.common import GeometryBuilder, Kind, name

SQUARE = (88, 72)  # width, height in pixels
SPACING = 16
LAMP = (200, 96)  # width, height of the lamp


class SwatchKind(Kind):
    def build(self) -> QWidget:
        self.clicked: list[str] = []
        self.squares: dict[str, QPushButton] = {}
        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 8, 0, 0)
        self._squares(row)
        return body

    def _squares(self, row: QHBoxLayout) -> None:
        row.setSpacing(SPACING)
        for colour in self.params["colours"]:
            square = QPushButton()
            square.setFixedSize(*SQUARE)
            square.setAccessibleName(f"{colour} square")
            square.setToolTip(colour)
            square.setStyleSheet(f"QPushButton {{ background: {SWATCH_COLOURS[colour]}; "
                                 "border: 2px solid #202020; border-radius: 0px; }")
            square.clicked.connect(lambda _=False, c=colour: self._click(c))
            self.squares[colour] = name(square, f"swatch:{colour}")
            row.addWidget(square)
        row.addStretch(1)

    def _click(self, colour: str) -> None:
        self.clicked.append(colour)
        self.changed.emit()

    def state(self) -> dict[str, Any]:
        return {"clicked": list(self.clicked)}

    def describe(self, geometry: GeometryBuilder) -> None:
        for square in self.squares.values():
            geometry.widget(square)


class LampKind(SwatchKind):
    """The squares in their one order, and a lamp below lit in the target's colour."""

    def build(self) -> QWidget:
        self.clicked = []
        self.squares = {}
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 8, 0, 0)
        column.setSpacing(SPACING)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self._squares(row)
        column.addLayout(row)
        self.lamp = QFrame()
        self.lamp.setFixedSize(*LAMP)
        self.lamp.setAccessibleName(f"lamp, lit {self.params['target']}")
        self.lamp.setStyleSheet(f"QFrame {{ background: {SWATCH_COLOURS[self.params['target']]}; "
                                "border: 2px solid #202020; border-radius: 24px; }")
        column.addWidget(self.lamp)
        return body
