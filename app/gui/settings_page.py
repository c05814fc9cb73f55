"""The Settings page: stop hotkey, target marker, deny rules, monitor and capture masks,
budgets, export redaction, the data folder.

Save checks every field with its own config dataclass (the message appears under the field
and nothing is written while one is wrong), then writes only the keys this page owns into
``config.toml`` (``app.gui.settings.config_file``: other tables stay as they were), reloads
the config into ``ctx.config`` and emits ``config_changed``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from agent.config import ConfigError
from app.gui.context import AppContext
from app.gui.settings.config_file import read_table, save_values
from app.gui.settings.fields import Field, RegionsField


def _lines(placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(72)
    return edit


class SettingsPage(QWidget):
    config_changed = Signal(object)  # the new DeskhandConfig

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        hotkey = QLineEdit()
        hotkey.setPlaceholderText("<ctrl>+<alt>+<esc>")
        steps, minutes, monitor = QSpinBox(), QDoubleSpinBox(), QSpinBox()
        marker, redact = QDoubleSpinBox(), QCheckBox("Redact text that matches the patterns")
        marker.setRange(0, 10)
        marker.setDecimals(1)
        marker.setSingleStep(0.1)
        marker.setSuffix(" s")
        steps.setRange(0, 100_000)
        minutes.setRange(0, 24 * 60)
        minutes.setDecimals(1)
        minutes.setSuffix(" min")
        monitor.setRange(0, 16)
        hotkey.setMaximumWidth(360)
        for spin in (steps, minutes, monitor, marker):
            spin.setMaximumWidth(140)
        screens = len(QGuiApplication.screens())
        self.fields = [
            Field("control.stop_hotkey", hotkey, "Stops the agent from any window. pynput "
                  "syntax: modifiers in angle brackets, e.g. <ctrl>+<alt>+<esc> or <ctrl>+q."),
            Field("control.target_marker_s", marker, "Before a click, the target is marked on "
                  "the screen this long so you can see it coming (0 = never)."),
            Field("safety.deny_apps", _lines("one app name per line, e.g. keepassxc"),
                  "The agent never acts in these apps (whole name; re: for a regex)."),
            Field("safety.deny_titles", _lines("one per line, e.g. Online Banking"),
                  "…nor in windows whose title contains this text (re: for a regex)."),
            Field("safety.deny_text", _lines(r"one regex per line, e.g. rm\s+-rf"),
                  "Typing or running text that matches asks you first."),
            Field("agent.monitor", monitor, f"1 = the first monitor, 0 = all of them "
                  f"(this session has {screens} screen{'s' if screens != 1 else ''})."),
            Field("capture.window_titles", _lines("one per line, e.g. Password Manager"),
                  "Windows whose title contains this text are blacked out of every "
                  "screenshot (and so never stored or shown to the model)."),
            RegionsField("capture.regions", _lines("one per line: x,y,width,height, e.g. "
                                                   "0,0,400,60"),
                         "Screen rectangles blacked out of every screenshot, in pixels of "
                         "the whole desktop: left, top, width, height."),
            Field("safety.max_steps", steps, "An episode stops after this many steps."),
            Field("safety.max_minutes", minutes, "…or after this much time."),
            Field("export.redact", redact, "Applies to every export from the History page "
                  "(texts only: task, reasoning, typed text, comments)."),
            Field("export.patterns", _lines(r"one regex per line, e.g. \b\d{6}\b"),
                  "What is replaced by [redacted]; the defaults catch e-mail addresses, long "
                  "numbers and “password: …”."),
        ]
        self.by_key = {f.key: f for f in self.fields}
        labels = {"control.stop_hotkey": "&Stop hotkey", "safety.deny_apps": "Never act in &apps",
                  "safety.deny_titles": "Never act in &windows titled",
                  "safety.deny_text": "Ask before typing &text", "agent.monitor": "&Monitor",
                  "safety.max_steps": "Ma&x steps", "safety.max_minutes": "Max &time",
                  "control.target_marker_s": "Mar&k click targets for",
                  "capture.window_titles": "&Hide windows titled",
                  "capture.regions": "Hide screen re&gions",
                  "export.redact": "R&edaction", "export.patterns": "Redact &patterns"}
        groups = {"Controls": ["control.stop_hotkey", "control.target_marker_s"],
                  "Deny rules": ["safety.deny_apps", "safety.deny_titles", "safety.deny_text"],
                  "Screen and capture masks": ["agent.monitor", "capture.window_titles",
                                               "capture.regions"],
                  "Budgets per episode": ["safety.max_steps", "safety.max_minutes"],
                  "Export": ["export.redact", "export.patterns"]}
        body = QWidget()
        column = QVBoxLayout(body)
        for title, keys in groups.items():
            box = QGroupBox(title)
            form = QFormLayout(box)
            for key in keys:
                form.addRow(labels[key], self.by_key[key].box)
            column.addWidget(box)
        column.addWidget(self._data_box())
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
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
