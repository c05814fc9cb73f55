"""The nightly schedule: its time and conditions (``[learner.schedule]``) and the OS timer.

Values are checked by building ``ScheduleConfig`` itself, so a bad value shows the
dataclass's own message next to its field and nothing is written. Installing or removing the
timer (``learner.schedule.install``) runs service-manager commands, so it runs off the UI
thread.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from agent.config import ConfigError
from app.gui.context import AppContext
from app.gui.models.background import BackgroundJob
from app.gui.settings.config_file import save_values
from app.gui.widgets.errors import error_label
from learner.config import ScheduleConfig


def field_row(widget: QWidget, error: QLabel) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(widget)
    layout.addWidget(error)
    return box


class ScheduleBox(QGroupBox):
    """Edit and save the schedule; install or remove the nightly timer."""

    saved = Signal(object)  # the new DeskhandConfig

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Nightly training", parent)
        self.ctx = ctx
        self._job: BackgroundJob | None = None
        form = QFormLayout()
        self.at = QLineEdit()
        self.at.setPlaceholderText("HH:MM")
        self.at.setMaximumWidth(90)
        self.window_hours = QSpinBox()
        self.window_hours.setRange(1, 23)
        self.window_hours.setSuffix(" h")
        self.idle = QDoubleSpinBox()
        self.idle.setRange(0, 1440)
        self.idle.setDecimals(0)
        self.idle.setSuffix(" min")
        self.ac_only = QCheckBox("Only on mains power (AC)")
        self.min_judgments = QSpinBox()
        self.min_judgments.setRange(0, 100_000)
        self.errors: dict[str, QLabel] = {}
        for key, label, widget in (
                ("at", "Start &at", self.at), ("window_hours", "&Window", self.window_hours),
                ("idle_minutes", "Idle for at &least", self.idle),
                ("require_ac_power", "", self.ac_only),
                ("min_new_judgments", "New &judgments at least", self.min_judgments)):
            self.errors[key] = error_label()
            form.addRow(label, field_row(widget, self.errors[key]))
        self.save_button = QPushButton("&Save schedule")
        self.save_button.clicked.connect(self.save)
        self.install_button = QPushButton("&Install timer")
        self.install_button.setToolTip("Run `deskhand learn --nightly` every night at the time "
                                       "above (the conditions are checked each time)")
        self.install_button.clicked.connect(lambda: self._timer("install"))
        self.remove_button = QPushButton("Remo&ve timer")
        self.remove_button.clicked.connect(lambda: self._timer("remove"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.install_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.load(ctx.config.learner.schedule)
        self._timer("status")

    def load(self, schedule: ScheduleConfig) -> None:
        self.at.setText(schedule.at)
        self.window_hours.setValue(schedule.window_hours)
        self.idle.setValue(schedule.idle_minutes)
        self.ac_only.setChecked(schedule.require_ac_power)
        self.min_judgments.setValue(schedule.min_new_judgments)

    def values(self) -> dict[str, Any]:
        return {"at": self.at.text().strip(), "window_hours": self.window_hours.value(),
                "idle_minutes": float(self.idle.value()),
                "require_ac_power": self.ac_only.isChecked(),
                "min_new_judgments": self.min_judgments.value()}

    def check(self) -> ScheduleConfig | None:
        """The schedule as edited, or None with a message by each bad field."""
        for label in self.errors.values():
            label.hide()
        current = self.ctx.config.learner.schedule
        values = self.values()
        bad = False
        for key, value in values.items():  # one field at a time: the message lands by it
            try:
                dataclasses.replace(current, **{key: value})
            except ValueError as exc:
                self._show(key, str(exc))
                bad = True
        if bad:
            return None
        try:
            return dataclasses.replace(current, **values)
        except ValueError as exc:  # a combination (retry longer than the window, ...)
            self._show("window_hours", str(exc))
            return None

    def _show(self, key: str, message: str) -> None:
        self.errors[key].setText(message)
        self.errors[key].show()

    def save(self) -> bool:
        schedule = self.check()
        if schedule is None:
            self.status.setText("Not saved: fix the fields marked in red.")
            return False
        values = {f"learner.schedule.{k}": v for k, v in self.values().items()}
        try:
            config = save_values(self.ctx.paths.config_file, values, self.ctx.overrides)
        except ConfigError as exc:
            self.status.setText(f"Not saved: {exc}")
            return False
        self.ctx.config = config
        self.status.setText(f"Saved to {self.ctx.paths.config_file}. An installed timer "
                            "picks up a new time when you install it again.")
        self.saved.emit(config)
        return True

    def _timer(self, what: str) -> None:
        """Install / remove / ask the status of the OS timer, off the UI thread."""
        if self._job is not None and self._job.running:
            return
        if what == "install" and not self.save():
            return
        from learner.schedule.install import Installer, default_job

        schedule = self.ctx.config.learner.schedule
        installer = Installer(unit_dir=schedule.unit_dir)
        logs = self.ctx.paths.logs_dir

        def work(_report: Any) -> str:
            if what == "install":
                files, messages = installer.install(default_job(logs), schedule)
                return "Timer installed: " + "; ".join(messages or [str(f) for f in files])
            if what == "remove":
                removed, _ = installer.remove()
                return "Timer removed." if removed else "No timer was installed."
            now = installer.status()
            if not now.installed:
                return "No nightly timer is installed: training runs only when you press " \
                       "Train now."
            where = "active" if now.activated else "files written, not activated"
            return f"Nightly timer installed for {now.at} ({where})."

        self._job = BackgroundJob(work, self)
        self._job.done.connect(self.status.setText)
        self._job.failed.connect(lambda m: self.status.setText(f"Timer: {m}"))
        for button in (self.install_button, self.remove_button):
            button.setEnabled(False)
            self._job.done.connect(lambda _r, b=button: b.setEnabled(True))
            self._job.failed.connect(lambda _m, b=button: b.setEnabled(True))
        self._job.start()
