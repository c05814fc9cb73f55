"""Exercises with menus, dialogs, an editor and a long list.

The one design choice a reader must know: what the solver must click before it exists is
reported ahead of time — a menu's rows from where the menu bar will pop it up (just below its
title, ``QMenu.actionGeometry``), the dialog by opening it as soon as the window is placed,
and every list row at the current scroll (rows below the viewport have boxes below it) with
how many rows one wheel notch scrolls.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent.practice.spec import Box
from app.practice.common import GeometryBuilder, Kind, box_of, name


class MenuKind(Kind):
    fills = True

    def build(self) -> QWidget:
        self.chosen: list[str] = []
        self.menus: dict[str, QMenu] = {}
        bar = self.window.menuBar()
        for title, items in self.params["menus"].items():
            menu = bar.addMenu(title)
            for item in items:
                action = menu.addAction(item)
                action.triggered.connect(lambda _=False, c=f"{title}/{item}": self._chose(c))
            self.menus[title] = menu
        self.note = QLabel("Nothing chosen yet.")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return self.note

    def _chose(self, choice: str) -> None:
        self.chosen.append(choice)
        self.note.setText(f"Last chosen: {choice.replace('/', ' → ')}")
        self.changed.emit()

    def state(self) -> dict[str, Any]:
        return {"chosen": list(self.chosen)}

    def describe(self, geometry: GeometryBuilder) -> None:
        bar = self.window.menuBar()
        for title, menu in self.menus.items():
            title_rect = bar.actionGeometry(menu.menuAction())
            geometry.box(f"menu:{title}", box_of(bar, title_rect))
            # QMenuBar pops the menu up at the bottom-left corner of its title
            origin = bar.mapToGlobal(QPoint(title_rect.left(), title_rect.bottom() + 1))
            for action in menu.actions():
                r = menu.actionGeometry(action)
                geometry.box(f"menu_item:{title}/{action.text()}",
                             Box(origin.x() + r.x(), origin.y() + r.y(), r.width(), r.height()))


class DialogKind(Kind):
    fills = True

    def build(self) -> QWidget:
        self.answer: str | None = None
        self.buttons: dict[str, QPushButton] = {}
        self.dialog = QDialog(self.window)
        self.dialog.setWindowTitle("Deskhand practice — question")
        self.dialog.setModal(True)
        self.dialog.setObjectName("question")  # a border: without a window manager, no frame
        self.dialog.setStyleSheet("QDialog#question { border: 1px solid palette(mid); }")
        layout = QVBoxLayout(self.dialog)
        layout.setContentsMargins(24, 20, 24, 16)
        question = QLabel(self.params["question"])
        question.setWordWrap(True)
        layout.addWidget(question)
        row = QHBoxLayout()
        row.addStretch(1)
        for answer in self.params["answers"]:
            button = QPushButton(answer)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, a=answer: self._answer(a))
            self.buttons[answer] = name(button, f"answer:{answer}")
            row.addWidget(button)
        layout.addLayout(row)
        self.note = QLabel("Answer the question in the dialog.")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return self.note

    def settle(self) -> None:
        self.dialog.show()
        self.changed.emit()

    def _answer(self, answer: str) -> None:
        self.answer = answer
        self.dialog.accept()
        self.note.setText(f"You answered: {answer}")
        self.changed.emit()

    def state(self) -> dict[str, Any]:
        return {"answer": self.answer}

    def describe(self, geometry: GeometryBuilder) -> None:
        if self.dialog.isVisible():
            geometry.widget(self.dialog, "dialog")
            for button in self.buttons.values():
                geometry.widget(button)


class EditorKind(Kind):
    fills = True

    def build(self) -> QWidget:
        self.saved: str | None = None
        body = QWidget()
        layout = QVBoxLayout(body)
        bar = QHBoxLayout()
        self.file_label = QLabel(self.params["file"])
        self.save_button = name(QPushButton("Save"), "save_button")
        self.save_button.clicked.connect(self._save)
        bar.addWidget(self.file_label, 1)
        bar.addWidget(self.save_button)
        layout.addLayout(bar)
        self.editor = name(QPlainTextEdit(self.params["initial"]), "editor")
        self.editor.textChanged.connect(self._edited)
        layout.addWidget(self.editor, 1)
        shortcut = QShortcut(QKeySequence.StandardKey.Save, self.window)
        shortcut.activated.connect(self._save)
        return body

    def _edited(self) -> None:
        self.file_label.setText(f"{self.params['file']} •")  # unsaved changes
        self.changed.emit()

    def _save(self) -> None:
        self.saved = self.editor.toPlainText()
        self.file_label.setText(f"{self.params['file']} — saved")
        self.changed.emit()

    def state(self) -> dict[str, Any]:
        return {"text": self.editor.toPlainText(), "saved": self.saved}

    def describe(self, geometry: GeometryBuilder) -> None:
        geometry.widget(self.editor)
        geometry.widget(self.save_button)


class ScrollListKind(Kind):
    fills = True

    def build(self) -> QWidget:
        self.clicked: list[str] = []
        self.list = name(QListWidget(), "list")
        self.list.setUniformItemSizes(True)
        self.list.setStyleSheet("QListWidget::item { padding: 3px 6px; }")
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.list.addItems(self.params["items"])
        self.list.itemClicked.connect(lambda item: self._click(item.text()))
        self.list.verticalScrollBar().valueChanged.connect(self.changed)
        return self.list

    def _click(self, text: str) -> None:
        self.clicked.append(text)
        self.changed.emit()

    def state(self) -> dict[str, Any]:
        return {"clicked": list(self.clicked)}

    def describe(self, geometry: GeometryBuilder) -> None:
        view, bar = self.list.viewport(), self.list.verticalScrollBar()
        geometry.widget(view, "list_viewport")
        for row in range(self.list.count()):
            rect = self.list.visualItemRect(self.list.item(row))
            geometry.box(f"list_item:{self.list.item(row).text()}", box_of(view, rect))
        first, second = (self.list.visualItemRect(self.list.item(i)) for i in (0, 1))
        geometry.number("list_row_height", second.y() - first.y())  # the pitch of rows
        geometry.number("list_scroll", bar.value())
        geometry.number("list_max_scroll", bar.maximum())
        geometry.number("list_rows_per_notch",
                        min(QApplication.wheelScrollLines() * bar.singleStep(), bar.pageStep()))
