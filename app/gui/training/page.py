"""The Training page: Train now / Cancel with live progress, the schedule, past runs' curves.

"Train now" starts ``deskhand learn --now`` as its own process (``runner.TrainerProcess``):
training never runs in the app's process. The live curves come from the trainer's step lines;
when it exits, the runs list is reloaded from the store's ``training_runs`` rows (through the
database worker), and ``run_finished`` carries a one-line summary for the tray or a banner.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.gui.context import AppContext
from app.gui.training.runner import TrainerProcess, package_root, trainer_command
from app.gui.training.runs import RunInfo, RunsView, load_runs
from app.gui.training.schedule_box import ScheduleBox

BANNER_OK = "background: #e6f4ea; color: #1e4620; border: 1px solid #9bd3ae; padding: 6px;"
BANNER_BAD = "background: #fdecea; color: #611a15; border: 1px solid #f5b7b1; padding: 6px;"


class TrainingPage(QWidget):
    run_finished = Signal(str)  # a one-line summary, when a run started here ends

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        #: argv of the trainer; tests point it at a fake trainer script
        self.command: Callable[[], list[str]] = lambda: trainer_command(
            ctx.paths, ctx.overrides)
        self.trainer = TrainerProcess(self)
        self.trainer.step.connect(self._on_step)
        self.trainer.line.connect(self._on_line)
        self.trainer.finished.connect(self._on_finished)
        self.live: dict[str, list[dict[str, float | None]]] = {}
        self.summaries: list[str] = []

        self.train_button = QPushButton("&Train now")
        self.train_button.setToolTip("Train the actor and the reward model from your "
                                     "judgments now (Ctrl+Shift+T)")
        self.train_button.clicked.connect(self.train_now)
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setToolTip("Stop after the current step; the run resumes next time")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("idle")
        self.state = QLabel("Not training.")
        top = QHBoxLayout()
        top.addWidget(self.train_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.progress, 1)
        top.addWidget(self.state, 1)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.log.setPlaceholderText("The trainer's output appears here while it runs.")
        self.log.setAccessibleName("Trainer output")
        self.schedule = ScheduleBox(ctx)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.schedule)
        left_layout.addWidget(QLabel("Trainer output"))
        left_layout.addWidget(self.log, 1)
        self.runs = RunsView()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.runs)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        QShortcut(QKeySequence("Ctrl+Shift+T"), self, self.train_now)
        self.refresh()

    # -- runs from the store ---------------------------------------------------------
    def refresh(self) -> None:
        self.ctx.db.submit(load_runs, self._got_runs,
                           lambda m: self.state.setText(f"Could not read the runs: {m}"))

    def _got_runs(self, runs: list[RunInfo]) -> None:
        self.runs.set_runs(runs)

    # -- the trainer process -----------------------------------------------------------
    def train_now(self) -> None:
        if self.trainer.running:
            return
        self.live, self.summaries = {}, []
        self.log.clear()
        self.banner.hide()
        self.progress.setRange(0, 0)  # busy until the first step says how many there are
        self.progress.setFormat("starting…")
        self.state.setText("Starting the trainer (loading the model can take a while)…")
        self.train_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.trainer.start(self.command(), cwd=package_root())

    def cancel(self) -> None:
        if self.trainer.running:
            self.state.setText("Stopping after the current step (a checkpoint is saved)…")
            self.cancel_button.setEnabled(False)
            self.trainer.cancel()

    def _on_step(self, role: str, step: int, total: int, metrics: dict[str, float]) -> None:
        steps = self.live.setdefault(role, [])
        steps.append(dict(metrics))
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(step)
        self.progress.setFormat(f"{role}: step %v of %m")
        figures = ", ".join(f"{k} {metrics[k]:.3f}" for k in ("reward", "kl", "entropy")
                            if k in metrics)
        self.state.setText(f"Training the {'actor' if role == 'actor' else 'reward model'}: "
                           f"{figures}")
        self.runs.show_live(role, steps)

    def _on_line(self, text: str) -> None:
        self.log.appendPlainText(text)
        lowered = text.lower()
        if lowered.startswith(("actor:", "reward:")):
            self.summaries.append(text.strip())

    def _on_finished(self, code: int, cancelled: bool) -> None:
        self.train_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if code == 0 and not cancelled else 0)
        self.progress.setFormat("finished" if code == 0 else "stopped")
        if cancelled:
            summary = "Training stopped; it resumes from its checkpoint next time."
        elif code == 0:
            summary = "Training finished. " + (" ".join(self.summaries) or
                                               "Nothing to train on yet.")
        else:
            summary = f"Training failed (exit status {code}); see the trainer output."
        self.state.setText("Not training.")
        self.banner.setText(summary)
        self.banner.setStyleSheet(BANNER_OK if code == 0 and not cancelled else BANNER_BAD)
        self.banner.show()
        self.run_finished.emit(summary)
        self.refresh()

    def shutdown(self) -> None:
        """When the app quits: stop a running trainer politely (it checkpoints)."""
        self.trainer.cancel()
