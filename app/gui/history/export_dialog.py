"""Export the selected episodes: pick a format and a folder, watch a progress bar.

The export itself is ``agent.store.export.export``, run as one job on the database worker (it
reads the store); its plain ``(done, total)`` progress callback is re-emitted as a Qt signal by
``ExportJob`` (the dangerzone habit), so the bar moves on the UI thread while the work runs off
it. Cancel is honoured at the next step: the callback raises, the job ends, the partial files
stay in the folder and the dialog says so (it stays open until closed again). Redaction
(``agent.store.redact``) is the caller's: the History page passes the redactor of the
``[export]`` settings, and the dialog says whether texts will be redacted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from agent.store.export import ExportSummary, export

FORMATS = (
    ("jsonl", "Deskhand JSONL + images (steps.jsonl)"),
    ("messages", "Chat messages JSONL + images (TRL, LLaMA-Factory, ms-swift)"),
    ("parquet", "Parquet with embedded images (Hugging Face datasets)"),
)


class ExportCancelled(Exception):
    """Raised from the progress callback to stop an export the person cancelled."""


class ExportJob(QObject):
    """One export on the worker thread; ``progress`` and ``finished`` reach the UI thread."""

    progress = Signal(int, int)  # done, total (steps)

    def __init__(self, episode_ids: list[int], folder: Path, fmt: str,
                 redact: Callable[[str], str] | None = None) -> None:
        super().__init__()
        self.episode_ids, self.folder, self.fmt = episode_ids, folder, fmt
        self.redact = redact
        self.cancelled = False

    def run(self, store: Any) -> ExportSummary:  # on the worker thread
        def report(done: int, total: int) -> None:
            if self.cancelled:
                raise ExportCancelled()
            self.progress.emit(done, total)

        return export(store, self.folder, self.fmt, episode_ids=self.episode_ids,
                      progress=report, redact=self.redact)


class ExportDialog(QDialog):
    """Format, folder, a progress bar; Export runs it, Close (or Esc) cancels a running one."""

    def __init__(self, db: Any, episode_ids: list[int], default_folder: Path,
                 parent: QWidget | None = None,
                 redact: Callable[[str], str] | None = None) -> None:
        super().__init__(parent)
        self.db, self.episode_ids, self.redact = db, list(episode_ids), redact
        self.job: ExportJob | None = None
        self.summary: ExportSummary | None = None
        self.setWindowTitle("Export episodes")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        count = len(self.episode_ids)
        layout.addWidget(QLabel(
            f"Export <b>{count} episode{'s' if count != 1 else ''}</b> with "
            f"{'their' if count != 1 else 'its'} steps, screenshots and judgments."))
        form = QFormLayout()
        self.format = QComboBox()
        for key, label in FORMATS:
            self.format.addItem(label, key)
        form.addRow("&Format:", self.format)
        self.folder = QLineEdit(str(default_folder))
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        folder_label = QLabel("F&older:")
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, row)
        layout.addLayout(form)
        self.redaction = QLabel(
            "Texts that match your redaction patterns are replaced by [redacted]."
            if redact is not None else "Texts are exported as they are (redaction is off in "
            "Settings → Export); screenshots are never redacted, only masked at capture.")
        self.redaction.setWordWrap(True)
        self.redaction.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(self.redaction)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.bar.setFormat("%p %")
        self.bar.setVisible(False)  # shown once an export starts
        layout.addWidget(self.bar)
        self.message = QLabel("Choose a format and a folder, then Export.")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            "&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)

    def set_format(self, fmt: str) -> None:
        self.format.setCurrentIndex(self.format.findData(fmt))

    def running(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        text = self.folder.text().strip()
        if not text:
            self.message.setText("Choose a folder to export to.")
            return
        folder = Path(text).expanduser()
        if folder.exists() and not folder.is_dir():
            self.message.setText(f"{folder} is a file, not a folder.")
            return
        self.job = ExportJob(self.episode_ids, folder, str(self.format.currentData()),
                             self.redact)
        self.job.progress.connect(self._progress)
        self.bar.setValue(0)
        self.bar.setVisible(True)
        self.message.setText(f"Exporting to {folder} …")
        for widget in (self.export_button, self.format, self.folder):
            widget.setEnabled(False)
        self.close_button.setText("Cancel")
        self.db.submit(self.job.run, on_done=self._done, on_error=self._failed)

    def reject(self) -> None:  # Esc, Close, Cancel
        if self.job is not None:
            self.job.cancelled = True
            self.message.setText("Cancelling…")
            return  # the job stops at its next step; then Close closes
        super().reject()

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Export to folder", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def _progress(self, done: int, total: int) -> None:
        self.bar.setValue(100 if total == 0 else round(100 * done / total))

    def _done(self, summary: ExportSummary) -> None:
        self.job, self.summary = None, summary
        self.bar.setValue(100)
        missing = (f"; {summary.without_image} step(s) had no screenshot"
                   if summary.without_image else "")
        self.message.setText(f"Exported {summary.records} step(s) and {summary.images} "
                             f"image(s) to {summary.path}{missing}.")
        self._idle()

    def _failed(self, message: str) -> None:
        cancelled = self.job is not None and self.job.cancelled
        self.job = None
        if cancelled:
            self.message.setText(f"Export cancelled; what was written so far is in "
                                 f"{self.folder.text()}.")
        else:
            self.message.setText(f"Export failed: {message}")
        self._idle()

    def _idle(self) -> None:
        for widget in (self.export_button, self.format, self.folder):
            widget.setEnabled(True)
        self.close_button.setText("Close")
