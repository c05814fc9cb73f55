"""The Settings page: stop hotkey, target marker, deny rules, monitor and capture masks,
budgets, export redaction, the data folder.

The fields are the rows of one table (``app.gui.settings.table.SETTINGS``): key, label,
widget, hint, group. Save checks every field with its own config dataclass (the message
appears under the field and nothing is written while one is wrong), then writes only the
keys this page owns into ``config.toml`` (``app.gui.settings.config_file``: other tables stay
as they were), reloads the config into ``ctx.config`` and emits ``config_changed``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from agent.config import ConfigError
from app.gui.context import AppContext
from app.gui.settings.config_file import read_table, save_values
from app.gui.settings.table import SETTINGS


class SettingsPage(QWidget):
    config_changed = Signal(object)  # the new DeskhandConfig

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.fields = [setting.build() for setting in SETTINGS]
        self.by_key = {f.key: f for f in self.fields}
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._body())
        self.save_button = QPushButton("&Save")
        self.save_button.setToolTip("Save to config.toml (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("&Revert")
        self.revert_button.clicked.connect(self.load)
        self.status = QLabel()
        self.status.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(self.revert_button)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(bar)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        self.load()

    def _body(self) -> QWidget:
        """One group box per group of the table, in the table's order, then "Your data"."""
        body = QWidget()
        column = QVBoxLayout(body)
        forms: dict[str, QFormLayout] = {}
        for setting, field in zip(SETTINGS, self.fields, strict=True):
            if setting.group not in forms:
                box = QGroupBox(setting.group)
                forms[setting.group] = QFormLayout(box)
                column.addWidget(box)
            forms[setting.group].addRow(setting.label, field.box)
        column.addWidget(self._data_box())
        column.addStretch(1)
        return body

    def _data_box(self) -> QGroupBox:
        box = QGroupBox("Your data")
        form = QFormLayout(box)
        folder = QLineEdit(str(self.ctx.paths.data_dir))
        folder.setReadOnly(True)
        folder.setAccessibleName("Data folder")
        open_button = QPushButton("&Open in file manager")
        open_button.clicked.connect(self.open_data_folder)
        row = QHBoxLayout()
        row.addWidget(folder, 1)
        row.addWidget(open_button)
        form.addRow("Data folder", row)
        config = QLabel(f"Settings are saved in {self.ctx.paths.config_file}")
        config.setWordWrap(True)
        form.addRow("", config)
        return box

    def open_data_folder(self) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ctx.paths.data_dir)))

    def load(self) -> None:
        """Show the running config (Revert)."""
        for field in self.fields:
            field.set_value(field.current(self.ctx.config))
            field.show_error(None)
        self.status.setText("")

    def check(self) -> bool:
        ok = True
        for field in self.fields:
            message = field.check(self.ctx.config)
            field.show_error(message)
            ok = ok and message is None
        return ok

    def changes(self) -> dict[str, Any]:
        """Dotted keys to write: values that differ from the running config, and values the
        file already sets (so setting one back to its default is kept too)."""
        try:
            table = read_table(self.ctx.paths.config_file)
        except ConfigError:
            table = {}
        out = {}
        for field in self.fields:
            in_file = field.attr in (table.get(field.section) or {})
            if in_file or field.value() != field.current(self.ctx.config):
                out[field.key] = field.value()
        return out

    def save(self) -> bool:
        if not self.check():
            self.status.setText("Not saved: fix the fields marked in red.")
            self.status.setStyleSheet("color: #c0392b;")
            return False
        try:
            config = save_values(self.ctx.paths.config_file, self.changes(), self.ctx.overrides)
        except ConfigError as exc:
            self.status.setText(f"Not saved: {exc}")
            self.status.setStyleSheet("color: #c0392b;")
            return False
        self.ctx.config = config
        self.status.setStyleSheet("")
        self.status.setText("Saved. New episodes use these settings.")
        self.config_changed.emit(config)
        return True
