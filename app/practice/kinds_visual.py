"""An exercise answered by what the eye sees: ``swatch``, a row of plain coloured squares.

The squares carry no text (their colour is their name, and their accessible name for a screen
reader), sit at the same places in every exercise and differ only in colour, so the answer to
"click the red square" is on the screen in colour alone — the one kind a small model trained
in minutes on a CPU can learn from pixels (the demo model's suite).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from agent.practice.generators import SWATCH_COLOURS
from app.practice.common import GeometryBuilder, Kind, name

SQUARE = (88, 72)  # width, height in pixels
SPACING = 16


class SwatchKind(Kind):
    def build(self) -> QWidget:
        self.clicked: list[str] = []
        self.squares: dict[str, QPushButton] = {}
        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 8, 0, 0)
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
        return body

    def _click(self, colour: str) -> None:
        self.clicked.append(colour)
        self.changed.emit()

    def state(self) -> dict[str, Any]:
        return {"clicked": list(self.clicked)}

    def describe(self, geometry: GeometryBuilder) -> None:
        for square in self.squares.values():
            geometry.widget(square)
