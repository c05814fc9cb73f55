"""Past training runs: the rows of ``training_runs``, their curves and the gate's decision.

``load_runs`` runs on the database worker and returns plain ``RunInfo`` values (no ORM
objects cross threads). A row's ``metrics`` JSON, as ``learner.runs`` writes it, is
``{"steps": [{"reward", "kl", "entropy", "loss", ...} per step], "candidate": {...},
"baseline": {...}, "version": N, "gate": {"promote", "reasons", ...}}``. For a reward-model
run the per-step reward *is* the agreement with the person's labels (``1 - |s - label|``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.training.plot import Plot

CURVES = ("reward", "kl", "entropy", "agreement")
TITLES = {"reward": "Reward (actor)", "kl": "KL to the base model", "entropy": "Entropy",
          "agreement": "Reward-model agreement with you"}


@dataclass(frozen=True)
class RunInfo:
    id: int
    role: str
    status: str
    started: str
    ended: str
    reason: str
    steps: list[dict[str, float | None]] = field(default_factory=list)
    version: int | None = None
    promote: bool | None = None
    reasons: list[str] = field(default_factory=list)
    candidate: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)  # the gate's n, p, ...
    needed: int = 0  # judged held-out steps still missing for a decision

    def curves(self) -> dict[str, list[float | None]]:
        """The four curves; a reward-model run's reward is its agreement."""
        def series(key: str) -> list[float | None]:
            return [s.get(key) for s in self.steps]

        reward = series("reward")
        return {"reward": reward if self.role == "actor" else [],
                "kl": series("kl"), "entropy": series("entropy"),
                "agreement": reward if self.role == "reward" else []}

    def title(self) -> str:
        what = "actor" if self.role == "actor" else "reward model"
        verdict = ""
        if self.promote is not None:
            verdict = f" · v{self.version} promoted" if self.promote else \
                f" · v{self.version} kept out"
        return f"#{self.id} {what}: {self.status}\n{self.started}{verdict}"


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def run_info(row: Any) -> RunInfo:
    metrics = row.metrics or {}
    gate = metrics.get("gate") or {}
    return RunInfo(
        id=row.id, role=row.role, status=row.status, started=_when(row.started_at),
        ended=_when(row.ended_at), reason=row.reason or "",
        steps=[s for s in metrics.get("steps", []) if isinstance(s, dict)],
        version=metrics.get("version"), promote=gate.get("promote"),
        reasons=[str(r) for r in gate.get("reasons", [])],
        candidate=dict(metrics.get("candidate") or {}),
        baseline=dict(metrics.get("baseline") or {}),
        figures=dict(gate.get("figures") or {}), needed=int(gate.get("needed") or 0))


def load_runs(store: Any, limit: int = 50) -> list[RunInfo]:
    """The newest ``limit`` runs, newest first (runs on the database worker)."""
    from sqlalchemy import select

    from agent.store.schema import TrainingRun

    with store.session() as s:
        rows = s.scalars(select(TrainingRun).order_by(TrainingRun.id.desc()).limit(limit))
        return [run_info(row) for row in rows]


def _test(run: RunInfo) -> str:
    """The decision's n and p (and what is missing), as one parenthesis."""
    f = run.figures
    if run.needed:
        return f" (too little held-out data: n={f.get('n', 0):g}; {run.needed} more judged steps)"
    bits = [f"n={f['n']:g}"] if isinstance(f.get("n"), (int, float)) else []
    if isinstance(f.get("p"), (int, float)):
        bits.append(f"p={f['p']:.3g}")
    return f" ({', '.join(bits)})" if bits else ""


def _figures(values: dict[str, Any]) -> str:
    shown = [f"{k} {v:.3f}" for k, v in values.items()
             if isinstance(v, (int, float)) and k not in ("n", "role")]
    return ", ".join(shown) or "—"


class RunsView(QWidget):
    """A list of runs; the selected one's curves and its promotion decision."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunInfo] = []
        self.list = QListWidget()
        self.list.setAccessibleName("Training runs")
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setMinimumWidth(150)
        self.list.setMaximumWidth(200)
        self.list.hide()  # shown once there are runs: an empty column helps nobody
        self.list.currentRowChanged.connect(self._show)
        self.plots = {key: Plot(TITLES[key]) for key in CURVES}
        grid = QGridLayout()
        grid.setSpacing(8)
        for i, key in enumerate(CURVES):
            grid.addWidget(self.plots[key], i // 2, i % 2)
        self.decision = QLabel("No training runs yet. Press Train now, or install the "
                               "nightly timer.")
        self.decision.setWordWrap(True)
        self.decision.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        right = QVBoxLayout()
        right.addLayout(grid, 1)
        right.addWidget(self.decision)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(right, 1)

    def set_runs(self, runs: list[RunInfo]) -> None:
        current = self.current()
        keep = current.id if current is not None else None
        self.runs = runs
        self.list.blockSignals(True)
        self.list.clear()
        for run in runs:
            item = QListWidgetItem(run.title())
            item.setToolTip(run.title() + (f"\n{run.reason}" if run.reason else ""))
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.list.setVisible(bool(runs))
        row = next((i for i, r in enumerate(runs) if r.id == keep), 0)
        if runs:
            self.list.setCurrentRow(row)
            self._show(row)

    def current(self) -> RunInfo | None:
        row = self.list.currentRow()
        return self.runs[row] if 0 <= row < len(self.runs) else None

    def show_live(self, role: str, steps: list[dict[str, float | None]]) -> None:
        """Curves of the run in progress (from the trainer's output, before its row ends)."""
        live = RunInfo(0, role, "running", "", "", "", steps)
        self._plot(live)

    def _plot(self, run: RunInfo) -> None:
        other = "a reward-model run" if run.role == "actor" else "an actor run"
        for key, values in run.curves().items():
            self.plots[key].set_series({key: values} if values else {},
                                       f"shown for {other}" if run.steps else "no steps yet")

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.runs):
            return
        run = self.runs[row]
        self._plot(run)
        lines = [f"<b>Run #{run.id}</b> ({run.role}): {run.status}"
                 + (f" — {html.escape(run.reason)}" if run.reason else "")]
        if run.promote is not None:
            verdict = "promoted: it is now the active adapter" if run.promote else \
                "not promoted: the active adapter stays"
            lines.append(f"<b>Decision</b> on v{run.version}: {verdict}{_test(run)}")
            lines += [f"&nbsp;• {html.escape(reason)}" for reason in run.reasons]
        if run.candidate:
            lines.append(f"Held-out: candidate {_figures(run.candidate)}; "
                         f"baseline {_figures(run.baseline)}")
        self.decision.setText("<br>".join(lines))
