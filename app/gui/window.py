"""The main window. For now a status window: data folder, store contents, what works."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from agent.paths import Paths

WORKING_NOW = (
    "deskhand models add-tiny · deskhand models list · deskhand parse · "
    "deskhand export · deskhand import · deskhand doctor"
)


class MainWindow(QMainWindow):
    def __init__(self, paths: Paths, store_summary: str) -> None:
        super().__init__()
        self.setWindowTitle("Deskhand")
        self.resize(720, 420)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(14)
        title = QLabel("<h1>Deskhand</h1>")
        intro = QLabel(
            "A local desktop agent that learns from you. The chat window, where you give a "
            "task and approve, correct and rate each step, is not built yet.")
        intro.setWordWrap(True)
        self.store_label = QLabel(f"<b>Your data</b><br>{paths.data_dir}<br>{store_summary}")
        self.store_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.store_label.setWordWrap(True)
        commands = QLabel(f"<b>Working today, from a terminal</b><br>{WORKING_NOW}")
        commands.setWordWrap(True)
        for widget in (title, intro, self.store_label, commands):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.setCentralWidget(body)
