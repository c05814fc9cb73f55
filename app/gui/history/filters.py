"""The filter row of the History page: task text, date range, outcome, graded / ungraded.

Emits ``changed`` with a ``HistoryFilter`` (typing in the text box waits for a short pause, so a
query is not run per keystroke). Date presets cover the usual cases; "Between…" shows two
calendar fields.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from agent.store.schema import EPISODE_STATUSES
from app.gui.history.data import GRADED_ANY, GRADED_NO, GRADED_YES, HistoryFilter

DATE_PRESETS = (("Any time", None), ("Today", 0), ("Last 7 days", 6), ("Last 30 days", 29),
                ("Between…", -1))
OUTCOME_LABELS = {"done": "Done", "failed": "Failed", "stopped": "Stopped",
                  "interrupted": "Interrupted", "running": "Running"}


class FilterBar(QWidget):
    changed = Signal(object)  # HistoryFilter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.text = QLineEdit()
        self.text.setPlaceholderText("Filter by task (Ctrl+F)")
        self.text.setClearButtonEnabled(True)
        self.text.setMinimumWidth(180)
        row.addWidget(self.text, 2)
        self.dates = QComboBox()
        for label, days in DATE_PRESETS:
            self.dates.addItem(label, days)
        self.dates.setToolTip("When the episode was started")
        row.addWidget(self.dates)
        self.first = self._date_edit("From (inclusive)")
        self.dash = QLabel("–")
        self.last = self._date_edit("To (inclusive)")
        for widget in (self.first, self.dash, self.last):
            widget.setVisible(False)
            row.addWidget(widget)
        self.outcome = QComboBox()
        self.outcome.addItem("Any outcome", None)
        for status in EPISODE_STATUSES:
            self.outcome.addItem(OUTCOME_LABELS.get(status, status.title()), status)
        row.addWidget(self.outcome)
        self.graded = QComboBox()
        for label, key in (("Graded or not", GRADED_ANY), ("Graded", GRADED_YES),
                           ("Ungraded", GRADED_NO)):
            self.graded.addItem(label, key)
        row.addWidget(self.graded)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(250)
        self._typing.timeout.connect(self._emit)
        self.text.textChanged.connect(lambda _t: self._typing.start())
        self.text.returnPressed.connect(self._emit)
        self.dates.currentIndexChanged.connect(self._dates_changed)
        for combo in (self.outcome, self.graded):
            combo.currentIndexChanged.connect(lambda _i: self._emit())
        for edit in (self.first, self.last):
            edit.dateChanged.connect(lambda _d: self._emit())

    def _date_edit(self, tip: str) -> QDateEdit:
        edit = QDateEdit(QDate.currentDate())
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setToolTip(tip)
        return edit

    def _dates_changed(self) -> None:
        custom = self.dates.currentData() == -1
        for widget in (self.first, self.dash, self.last):
            widget.setVisible(custom)
        self._emit()

    def current(self) -> HistoryFilter:
        days = self.dates.currentData()
        first: date | None = None
        last: date | None = None
        if days == -1:
            first, last = _day(self.first.date()), _day(self.last.date())
            if first > last:
                first, last = last, first
        elif days is not None:
            first = date.today() - timedelta(days=int(days))
        return HistoryFilter(text=self.text.text(), first_day=first, last_day=last,
                             outcome=self.outcome.currentData(),
                             graded=str(self.graded.currentData()))

    def set_range(self, first: date, last: date) -> None:
        """Choose "Between…" with these days (for people and tests alike)."""
        self.first.blockSignals(True)
        self.last.blockSignals(True)
        self.first.setDate(QDate(first.year, first.month, first.day))
        self.last.setDate(QDate(last.year, last.month, last.day))
        self.first.blockSignals(False)
        self.last.blockSignals(False)
        self.dates.setCurrentIndex(self.dates.findData(-1))
        self._emit()

    def focus_text(self) -> None:
        self.text.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text.selectAll()

    def _emit(self) -> None:
        self._typing.stop()
        self.changed.emit(self.current())


def _day(qdate: QDate) -> date:
    return date(qdate.year(), qdate.month(), qdate.day())
