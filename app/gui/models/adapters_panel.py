"""Adapter versions per role, their evaluation figures and the gate's verdict; promote or roll
back with one click.

Reading and switching go through the database worker (``AdapterRegistry`` with the store, so
the ``adapters`` table's statuses follow ``active.json``). The gate's reasons live in each
version's store row (``metrics["gate"]``, written by ``AdapterRegistry.record_decision``);
the evaluation figures in its ``metadata.json`` (``metrics.candidate`` / ``baseline``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.worker import DbWorker

ROLES = (("actor", "Actor (acts on the screen)"), ("reward", "Reward model (judges steps)"))


@dataclass(frozen=True)
class VersionInfo:
    role: str
    version: int
    status: str
    created: str
    figures: str
    promote: bool | None = None
    reasons: list[str] = field(default_factory=list)


def _figures(metrics: dict[str, Any]) -> str:
    candidate = metrics.get("candidate") or {}
    shown = [f"{k} {v:.3f}" for k, v in candidate.items()
             if isinstance(v, (int, float)) and k not in ("n",)]
    n = candidate.get("n")
    return ", ".join(shown) + (f" (n={int(n)})" if isinstance(n, (int, float)) else "") \
        if shown else "—"


def load_versions(store: Any, adapters_dir: Path) -> dict[str, list[VersionInfo]]:
    """Every role's versions, newest first, with the gate's reasons (on the db worker)."""
    from sqlalchemy import select

    from agent.store.schema import Adapter
    from learner.adapters import AdapterRegistry

    registry = AdapterRegistry(adapters_dir, store)
    with store.session() as s:
        rows = {(row.role, row.version): (row.status, (row.metrics or {}).get("gate") or {})
                for row in s.scalars(select(Adapter))}
    out: dict[str, list[VersionInfo]] = {}
    for role, _title in ROLES:
        versions = []
        for v in reversed(registry.list(role)):
            # the store's status remembers "retired" after a rollback; the files decide active
            status, gate = rows.get((role, v.version), (v.status, {}))
            if v.status == "active" or status == "active":
                status = v.status
            versions.append(VersionInfo(
                role, v.version, status, v.created_at[:16].replace("T", " "),
                _figures(v.metrics), gate.get("promote"),
                [str(r) for r in gate.get("reasons", [])]))
        out[role] = versions
    return out


class RoleTable(QGroupBox):
    """One role's versions with Promote and Roll back."""

    promote = Signal(str, int)
    rollback = Signal(str)

    def __init__(self, role: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.role = role
        self.versions: list[VersionInfo] = []
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Version", "Status", "Created",
                                              "Held-out evaluation", "Gate"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName(f"{role} adapter versions")
        header = self.table.horizontalHeader()
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMaximumHeight(160)
        self.table.itemSelectionChanged.connect(self._selected)
        self.promote_button = QPushButton("Promote selected")
        self.promote_button.clicked.connect(self._promote)
        self.rollback_button = QPushButton("Roll back")
        self.rollback_button.setToolTip("Switch back to the previously active version")
        self.rollback_button.clicked.connect(lambda: self.rollback.emit(self.role))
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.empty = QLabel("No adapters yet: the base model runs. Training creates them.")
        buttons = QHBoxLayout()
        buttons.addWidget(self.promote_button)
        buttons.addWidget(self.rollback_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.reasons)
        self.set_versions([])

    def set_versions(self, versions: list[VersionInfo]) -> None:
        self.versions = versions
        self.table.setRowCount(len(versions))
        for row, v in enumerate(versions):
            gate = "—" if v.promote is None else ("passed" if v.promote else "refused")
            for col, text in enumerate((f"v{v.version}", v.status, v.created, v.figures, gate)):
                item = QTableWidgetItem(text)
                if v.reasons:
                    item.setToolTip("\n".join(v.reasons))
                self.table.setItem(row, col, item)
        self.empty.setVisible(not versions)
        self.table.setVisible(bool(versions))
        self.promote_button.setEnabled(bool(versions))
        self.rollback_button.setEnabled(bool(versions))
        if versions:
            self.table.selectRow(0)
        self._selected()

    def selected(self) -> VersionInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.versions[rows[0].row()] if rows else None

    def _selected(self) -> None:
        v = self.selected()
        if v is None:
            self.reasons.setText("")
            return
        if v.promote is None:
            self.reasons.setText(f"v{v.version}: the gate has not judged it.")
        else:
            verdict = "passed the gate" if v.promote else "did not pass the gate"
            lines = "".join(f"<br>&nbsp;• {html.escape(r)}" for r in v.reasons)
            self.reasons.setText(f"v{v.version} {verdict}:{lines}")
        self.promote_button.setEnabled(v.status != "active")

    def _promote(self) -> None:
        v = self.selected()
        if v is not None:
            self.promote.emit(self.role, v.version)


class AdaptersPanel(QWidget):
    """Both roles' tables; every change goes through the database worker, then reloads."""

    changed = Signal()

    def __init__(self, db: DbWorker, adapters_dir: Path, keep: int = 5,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.adapters_dir, self.keep = db, adapters_dir, keep
        self.tables = {role: RoleTable(role, title) for role, title in ROLES}
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for table in self.tables.values():
            table.promote.connect(self.promote)
            table.rollback.connect(self.rollback)
            layout.addWidget(table)
        layout.addWidget(self.message)
        self.loaded = False

    def refresh(self) -> None:
        adapters_dir = self.adapters_dir
        self.db.submit(lambda store: load_versions(store, adapters_dir), self._loaded,
                       self._error)

    def _loaded(self, versions: dict[str, list[VersionInfo]]) -> None:
        for role, table in self.tables.items():
            table.set_versions(versions.get(role, []))
        self.loaded = True

    def _error(self, message: str) -> None:
        self.message.setText(message)
        self.message.setStyleSheet("color: #c0392b;")

    def promote(self, role: str, version: int) -> None:
        from learner.adapters import AdapterRegistry

        adapters_dir, keep = self.adapters_dir, self.keep
        self.message.setStyleSheet("")
        self.message.setText(f"Promoting {role} v{version}…")
        self.db.submit(lambda store: AdapterRegistry(adapters_dir, store, keep=keep)
                       .promote(role, version),
                       lambda _a: self._done(f"{role} v{version} is now active."), self._error)

    def rollback(self, role: str) -> None:
        from learner.adapters import AdapterRegistry

        adapters_dir, keep = self.adapters_dir, self.keep

        def said(adapter: Any) -> None:
            now = f"v{adapter.version}" if adapter is not None else "the base model (no adapter)"
            self._done(f"{role}: rolled back to {now}.")

        self.message.setStyleSheet("")
        self.db.submit(lambda store: AdapterRegistry(adapters_dir, store, keep=keep)
                       .rollback(role), said,
                       self._error)

    def _done(self, text: str) -> None:
        self.message.setText(text)
        self.changed.emit()
        self.refresh()
