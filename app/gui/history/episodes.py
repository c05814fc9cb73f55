"""The table of episodes on the History page: task, date, outcome, steps, graded.

A small ``QAbstractTableModel`` over ``EpisodeRow``s; rows are replaced wholesale after each
query and one row is swapped in place after a grade, so the selection survives grading.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.gui.history.data import EpisodeRow

COLUMNS = ("Task", "Started", "Outcome", "Steps", "Graded")
STATUS_COLOURS = {"done": QColor("#2e7d32"), "failed": QColor("#c62828"),
                  "stopped": QColor("#8d6e00"), "interrupted": QColor("#8d6e00"),
                  "running": QColor("#1565c0")}

Index = QModelIndex | QPersistentModelIndex


def graded_text(row: EpisodeRow) -> str:
    """How much of the episode is graded, in a few characters.

    >>> from app.gui.widgets.rating import RatingState
    >>> graded_text(EpisodeRow(1, "t", "done", None, 4, 2, 3, RatingState()))
    '2/4 steps'
    >>> graded_text(EpisodeRow(1, "t", "done", None, 0, 0, 0, RatingState()))
    '—'
    """
    if not row.judgments:
        return "—"
    episode = "episode" if row.rating.graded else ""
    steps = f"{row.graded_steps}/{row.steps} steps" if row.graded_steps else ""
    return " + ".join(p for p in (steps, episode) if p) or "yes"


class EpisodeModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[EpisodeRow] = []

    def set_rows(self, rows: list[EpisodeRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def replace(self, row: EpisodeRow) -> None:
        for i, old in enumerate(self.rows):
            if old.id == row.id:
                self.rows[i] = row
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
                return

    def row_of(self, episode_id: int) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r.id == episode_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == 1 and row.created_at:
            return row.created_at.strftime("%Y-%m-%d %H:%M:%S")
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return row.task + (f"\n\n{row.summary}" if row.summary else "")
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            return STATUS_COLOURS.get(row.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None

    @staticmethod
    def _text(row: EpisodeRow, column: int) -> str:
        if column == 0:
            return " ".join(row.task.split())
        if column == 1:
            return row.created_at.strftime("%d %b %H:%M") if row.created_at else ""
        if column == 2:
            return row.status
        if column == 3:
            return str(row.steps)
        return graded_text(row)
