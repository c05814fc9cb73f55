"""The three ways to get a model: download a recommended one, add local GGUF files, or the demo
demo model. Each runs as a ``BackgroundJob`` (downloading, hashing a 5 GB file and building
the tiny model all take long), one at a time; ``added`` fires with the model's name.

A download that is cancelled or broken keeps its ``.part`` file; pressing Download again
continues from there (``models.hub.download``), and the button says "Resume" when it will.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.models.background import BackgroundJob
from app.gui.widgets.errors import error_label
from models.hub import RECOMMENDED, Catalogue, Recommended
from models.hub.registry import human_size


def partial_bytes(models_dir: Path, rec: Recommended) -> int:
    """Bytes already on disk from an interrupted download of ``rec``."""
    folder = models_dir / rec.name
    return sum(p.stat().st_size for name in (rec.gguf_file, rec.mmproj_file)
               for p in (folder / f"{name}.part", folder / name) if p.is_file())


class AddPanel(QWidget):
    """Download / local files / tiny demo. ``busy`` tells the page to lock its other edits."""

    added = Signal(str)
    busy = Signal(bool)

    def __init__(self, models_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.models_dir = models_dir
        self.endpoint: str | None = None  # the hub; None: $HF_ENDPOINT or huggingface.co
        self.recommended: tuple[Recommended, ...] = RECOMMENDED
        self.job: BackgroundJob | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._download_box())
        layout.addWidget(self._local_box())
        layout.addWidget(self._tiny_box())

    # -- download ---------------------------------------------------------------------
    def _download_box(self) -> QGroupBox:
        box = QGroupBox("Download a recommended model")
        self.table = QTableWidget(len(self.recommended), 4)
        self.table.setHorizontalHeaderLabels(["Model", "Family", "Download", "Notes"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName("Recommended models")
        header = self.table.horizontalHeader()
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for row, rec in enumerate(self.recommended):
            for col, text in enumerate((rec.name, rec.family, f"~{human_size(rec.approx_bytes)}",
                                        rec.note)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.setFixedHeight(self.table.verticalHeader().length()
                                  + header.height() + 4)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.activated.connect(lambda _i: self.download())
        self.download_button = QPushButton("&Download")
        self.download_button.clicked.connect(self.download)
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.hide()
        self.download_status = QLabel("Files come from the Hugging Face hub; nothing else "
                                      "leaves this machine.")
        self.download_status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        buttons.addStretch(1)
        layout = QVBoxLayout(box)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.download_status)
        self.table.selectRow(0)
        return box

    def selected(self) -> Recommended | None:
        rows = self.table.selectionModel().selectedRows()
        return self.recommended[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        rec = self.selected()
        resume = rec is not None and partial_bytes(self.models_dir, rec) > 0 and \
            rec.name not in Catalogue.load(self.models_dir).models
        self.download_button.setText("&Resume download" if resume else "&Download")

    def download(self) -> None:
        rec = self.selected()
        if rec is None or self._running():
            return
        endpoint, models_dir = self.endpoint, self.models_dir
        sizes: dict[str, int | None] = {}

        def work(report: Callable[..., None]) -> str:
            from models.hub import download_recommended

            def progress(filename: str, done: int, total: int | None) -> None:
                sizes[filename] = total
                report(filename, done, total)

            catalogue = Catalogue.load(models_dir)
            return download_recommended(catalogue, rec, endpoint=endpoint,
                                        progress=progress).name

        self.progress.setValue(0)
        self.progress.show()
        self.progress.setFormat(f"{rec.name}: starting…")
        self.download_status.setText(f"Downloading {rec.name} (~{human_size(rec.approx_bytes)})"
                                     f" from {rec.repo}…")
        job = self._start(work, self.download_status, "Download")
        job.progress.connect(lambda args: self._on_progress(rec, *args))
        job.cancelled.connect(lambda: self.download_status.setText(
            "Download paused. Press Resume download to continue where it stopped."))
        job.failed.connect(lambda _m: self.progress.setFormat("stopped"))
        job.done.connect(lambda name: self.download_status.setText(
            f"{name} is installed."))
        self._go(job)
        self.cancel_button.setEnabled(True)

    def _on_progress(self, rec: Recommended, filename: str, done: int, total: int | None
                     ) -> None:
        part = 1 if filename == rec.mmproj_file else 0
        fraction = done / total if total else 0.0
        percent = int(100 * (part + fraction) / 2)  # two files: the model, then its projector
        self.progress.setValue(percent)
        size = f"{human_size(done)} of {human_size(total)}" if total else human_size(done)
        self.progress.setFormat(f"{filename}: {size} — %p%")

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)

    # -- local files ------------------------------------------------------------------
    def _local_box(self) -> QGroupBox:
        box = QGroupBox("Use model files you already have")
        form = QFormLayout(box)
        self.gguf_edit, self.gguf_error = QLineEdit(), error_label()
        self.mmproj_edit, self.mmproj_error = QLineEdit(), error_label()
        self.gguf_edit.setPlaceholderText("the quantized text model, e.g. …-Q4_K_M.gguf")
        self.mmproj_edit.setPlaceholderText("its vision projector, e.g. mmproj-….gguf")
        for label, edit, error, title in (
                ("&Model (.gguf)", self.gguf_edit, self.gguf_error, "Choose the text model"),
                ("&Projector (mmproj)", self.mmproj_edit, self.mmproj_error,
                 "Choose the vision projector")):
            browse = QPushButton("Browse…")
            browse.clicked.connect(lambda _c=False, e=edit, t=title: self._browse(e, t))
            line = QHBoxLayout()
            line.addWidget(edit, 1)
            line.addWidget(browse)
            holder = QVBoxLayout()
            holder.addLayout(line)
            holder.addWidget(error)
            buddy = QLabel(label)
            buddy.setBuddy(edit)
            form.addRow(buddy, holder)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("optional; the file name otherwise")
        self.local_error = error_label()
        form.addRow("&Name", self.name_edit)
        self.add_button = QPushButton("&Add these files")
        self.add_button.clicked.connect(self.add_local)
        form.addRow("", self.add_button)
        form.addRow("", self.local_error)
        return box

    def _browse(self, edit: QLineEdit, title: str) -> None:
        start = str(Path(edit.text()).parent) if edit.text() else str(Path.home())
        chosen, _ = QFileDialog.getOpenFileName(self, title, start,
                                                "GGUF files (*.gguf);;All files (*)")
        if chosen:
            edit.setText(chosen)

    def add_local(self) -> None:
        if self._running():
            return
        for label in (self.gguf_error, self.mmproj_error, self.local_error):
            label.hide()
        gguf, mmproj = self.gguf_edit.text().strip(), self.mmproj_edit.text().strip()
        missing = False
        for text, error in ((gguf, self.gguf_error), (mmproj, self.mmproj_error)):
            if not text:
                error.setText("Choose a file.")
            elif not Path(text).expanduser().is_file():
                error.setText("No such file.")
            else:
                continue
            error.show()
            missing = True
        if missing:
            return
        name, models_dir = self.name_edit.text().strip() or None, self.models_dir

        def work(_report: Callable[..., None]) -> str:
            from models.hub import add_local

            return add_local(Catalogue.load(models_dir), Path(gguf), Path(mmproj),
                             name=name).name

        job = self._start(work, self.local_error, "Adding")
        job.failed.connect(self._local_failed)
        self._go(job)

    def _local_failed(self, message: str) -> None:
        """Put the core's message by the field it is about."""
        self.local_error.hide()
        gguf = Path(self.gguf_edit.text().strip()).expanduser()
        mmproj = Path(self.mmproj_edit.text().strip()).expanduser()
        if "not a vision projector" in message:
            target = self.mmproj_error
        elif "not a text model" in message:
            target = self.gguf_error
        elif str(gguf.resolve()) in message or f" {gguf.name} " in f" {message} ":
            target = self.gguf_error
        elif str(mmproj.resolve()) in message or f" {mmproj.name} " in f" {message} ":
            target = self.mmproj_error
        else:
            target = self.local_error
        target.setText(message)
        target.show()

    # -- the demo model -------------------------------------------------------------------
    def _tiny_box(self) -> QGroupBox:
        box = QGroupBox("Try the demo model")
        text = QLabel("<b>For the practice desktop.</b> A small model built and taught on this "
                      "machine in a few minutes: it does the practice desktop's colour "
                      "exercises (Deskhand ▸ practice, lamp and swatch), often wrongly at "
                      "first — judge its steps and it learns overnight. It cannot do other "
                      "tasks.")
        text.setWordWrap(True)
        self.tiny_button = QPushButton("Build the &demo model")
        self.tiny_status = QLabel()
        self.tiny_status.setWordWrap(True)
        self.tiny_button.clicked.connect(self.add_demo)
        layout = QVBoxLayout(box)
        layout.addWidget(text)
        row = QHBoxLayout()
        row.addWidget(self.tiny_button)
        row.addWidget(self.tiny_status, 1)
        layout.addLayout(row)
        return box

    def add_demo(self) -> None:
        """``deskhand models add-demo`` in its own process (it draws practice windows
        offscreen and trains; neither may happen on this app's threads)."""
        if self._running():
            return
        models_dir = self.models_dir

        def work(_report: Callable[..., None]) -> str:
            import os
            import subprocess
            import sys

            home = models_dir.parent.parent  # <home>/data/models
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
            done = subprocess.run([sys.executable, "-m", "app.cli", "--home", str(home),
                                   "models", "add-demo"], env=env, capture_output=True,
                                  text=True, stdin=subprocess.DEVNULL, check=False)
            if done.returncode != 0:
                raise RuntimeError((done.stderr or done.stdout).strip().splitlines()[-1:][0]
                                   if (done.stderr or done.stdout).strip() else
                                   f"exit status {done.returncode}")
            catalogue = Catalogue.load(models_dir)
            return str(catalogue.in_use.get("actor") or "demo")

        self.tiny_status.setText("Building and teaching the demo model (a few minutes)…")
        job = self._start(work, self.tiny_status, "Building")
        job.done.connect(lambda name: self.tiny_status.setText(f"{name} is installed."))
        self._go(job)

    # -- one job at a time ------------------------------------------------------------
    def _running(self) -> bool:
        return self.job is not None and self.job.running

    def _start(self, work: Callable[[Callable[..., None]], Any], errors: QLabel,
               what: str) -> BackgroundJob:
        job = BackgroundJob(work, self)
        self.job = job
        for button in (self.download_button, self.add_button, self.tiny_button):
            button.setEnabled(False)
        self.busy.emit(True)

        def failed(message: str) -> None:
            errors.setText(f"{what} failed: {message}")
            errors.setStyleSheet("color: #c0392b;")
            errors.show()

        job.failed.connect(failed)
        return job

    def _go(self, job: BackgroundJob) -> None:
        """Start ``job`` once the caller connected its own slots (those run first)."""
        for signal in (job.done, job.failed, job.cancelled):
            signal.connect(self._finished)
        job.done.connect(self.added.emit)
        job.start()

    def _finished(self, *_args: object) -> None:
        for button in (self.download_button, self.add_button, self.tiny_button):
            button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self._selection_changed()
        self.busy.emit(False)


__all__ = ["AddPanel", "partial_bytes"]
