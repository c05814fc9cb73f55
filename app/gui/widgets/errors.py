"""The red message shown under a field whose value was refused (hidden until there is one)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

ERROR_COLOUR = "#c0392b"


def error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOUR};")
    label.hide()
    return label
