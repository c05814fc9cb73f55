"""What the History page does with the selected episodes: delete them (after asking) and
export them (the export dialog), with the buttons saying how many.

The one design choice a reader must know: a delete goes through the store (screenshots no
other step shows are removed with the rows), and the list is reread afterwards, never patched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from agent.store.redact import redactor
from app.gui.history.export_dialog import ExportDialog
from app.gui.history.text import shorten

if TYPE_CHECKING:
    from app.gui.history.page import HistoryPage


class Selection(QObject):
    """Delete and export for one History page's selected episodes (a child of the page)."""

    def __init__(self, page: HistoryPage) -> None:
        super().__init__(page)
        self.page = page
        self.export_dialog: ExportDialog | None = None
        self.confirm: Callable[[str, str], bool] = lambda title, question: ask(
            page, title, question)

    def ids(self) -> list[int]:
        page = self.page
        rows = sorted({i.row() for i in page.table.selectionModel().selectedRows()})
        return [page.model.rows[r].id for r in rows if r < len(page.model.rows)]

    def delete(self) -> None:
        page, ids = self.page, self.ids()
        if not ids:
            return
        if len(ids) == 1:
            row = page.model.rows[page.model.row_of(ids[0]) or 0]
            question = (f"Delete the episode “{shorten(row.task)}” with its {row.steps} "
                        "step(s), their judgments and screenshots? This cannot be undone.")
        else:
            question = (f"Delete {len(ids)} episodes with their steps, judgments and "
                        "screenshots? This cannot be undone.")
        if not self.confirm("Delete episodes", question):
            return

        def delete(store: Any) -> int:
            return sum(store.delete_episode(i) for i in ids)

        def deleted(files: int) -> None:
            page.count.setText(f"Deleted {len(ids)} episode(s) and {files} screenshot(s)")
            page.episode = None
            page.reload()

        page.job(delete, deleted)

    def export(self) -> ExportDialog | None:
        page = self.page
        ids = self.ids() or [r.id for r in page.model.rows]
        if not ids:
            return None
        stamp = datetime.now().strftime("%Y-%m-%d-%H%M")
        folder = Path.home() / "Deskhand exports" / stamp
        self.export_dialog = ExportDialog(page.db, ids, folder, page,
                                          redact=redactor(page.ctx.config.export))
        self.export_dialog.open()
        return self.export_dialog

    def update_buttons(self) -> None:
        page, selected = self.page, len(self.ids())
        page.delete_button.setEnabled(selected > 0)
        page.export_button.setEnabled(page.model.rowCount() > 0)
        page.export_button.setText(f"Export {selected}…" if selected > 1 else "Export…")
        page.delete_button.setText(f"Delete {selected}" if selected > 1 else "Delete")


def ask(parent: QWidget, title: str, question: str) -> bool:
    answer = QMessageBox.question(
        parent, title, question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes
