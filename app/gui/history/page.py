"""The History page: browse past episodes and their steps, grade them after the fact, delete
and export them. This file lays the page out and loads what it shows; ``grading.py`` saves
the grades, ``selection.py`` deletes and exports.

Layout: the filter row on top; the episodes on the left; on the right the chosen episode (its
own rating bar), its steps, and the selected step large (``StepView``). Every database call is a
job on ``ctx.db``; ``pending`` counts the page's jobs in flight (tests wait for it to reach 0).

Keyboard: ↑/↓ move in the list that has focus; → or Enter goes from the episodes to their steps,
← or Esc back; rating keys (+ − U D 1–5 C) grade what has focus — the selected step in the
steps list, the whole episode in the episodes list; Delete deletes the selected episodes (after
asking); Ctrl+F filters; Ctrl+E exports the selection; F5 reloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.context import AppContext
from app.gui.history.data import (
    EpisodeRow,
    HistoryFilter,
    StepRow,
    query_episodes,
    query_steps,
)
from app.gui.history.episodes import EpisodeModel
from app.gui.history.export_dialog import ExportDialog
from app.gui.history.filters import FilterBar
from app.gui.history.grading import Grading
from app.gui.history.selection import Selection
from app.gui.history.step_view import StepView
from app.gui.history.text import episode_html, step_item_text
from app.gui.widgets.rating import RatingBar
from app.gui.widgets.text import rich_label

KEYS_HINT = ("↑↓ move · → steps · ← episodes · + − 1–5 C grade what has focus · "
             "Del delete · Ctrl+F filter · Ctrl+E export")


class HistoryPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.db = ctx, ctx.db
        self.pending = 0
        self.filter = HistoryFilter()
        self.steps: list[StepRow] = []
        self.episode: EpisodeRow | None = None
        self._query = 0  # the newest episode query; older answers are dropped
        self._wanted: int | None = None  # select this episode when the list arrives
        self._shown_once = False
        self._resetting = False
        self._build()
        self.selection = Selection(self)
        self.grading = Grading(self)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.selection.update_buttons())
        self.reload()

    # -- building ---------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.setSpacing(8)
        self.filters = FilterBar()
        self.filters.changed.connect(self._filter_changed)
        layout.addWidget(self.filters)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._left())
        split.addWidget(self._right())
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setSizes([470, 830])
        split.setChildrenCollapsible(False)
        layout.addWidget(split, 1)
        hint = QLabel(KEYS_HINT)
        hint.setStyleSheet("color: gray;")
        layout.addWidget(hint)
        for keys, slot in (("Ctrl+F", self.filters.focus_text), ("Ctrl+E", self.export_selected),
                           ("F5", self.reload)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _left(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        self.model = EpisodeModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)  # a long task takes more lines, never loses words
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column_no in range(1, 5):
            header.setSectionResizeMode(column_no, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumWidth(380)
        self.table.selectionModel().currentRowChanged.connect(self._episode_changed)
        self.table.installEventFilter(self)
        column.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.count = QLabel("")
        self.count.setStyleSheet("color: gray;")
        row.addWidget(self.count, 1)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Export the selected episodes (Ctrl+E)")
        self.export_button.clicked.connect(self.export_selected)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected episodes and their screenshots (Del)")
        self.delete_button.clicked.connect(self.delete_selected)
        row.addWidget(self.export_button)
        row.addWidget(self.delete_button)
        column.addLayout(row)
        return box

    def _right(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        self.header = rich_label(wrap=True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.header)
        self.episode_rating = RatingBar("Episode")
        self.episode_rating.watch(self.table)
        column.addWidget(self.episode_rating)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.step_list = QListWidget()
        self.step_list.setMinimumWidth(170)
        self.step_list.setWordWrap(True)
        self.step_list.setSpacing(1)
        self.step_list.setAlternatingRowColors(True)
        self.step_list.currentRowChanged.connect(self._step_changed)
        self.step_list.installEventFilter(self)
        self.step_view = StepView(self.db)
        self.step_view.rating.watch(self.step_list)
        split.addWidget(self.step_list)
        split.addWidget(self.step_view)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([210, 700])
        split.setChildrenCollapsible(False)
        column.addWidget(split, 1)
        return box

    # -- loading ----------------------------------------------------------------------
    def job(self, fn: Callable[[Any], Any], done: Callable[[Any], None]) -> None:
        """Submit a database job, counting it in ``pending`` until it answers."""
        self.pending += 1

        def ok(result: Any) -> None:
            self.pending -= 1
            done(result)

        def failed(message: str) -> None:
            self.pending -= 1
            self.count.setText(f"Could not read the history: {message}")

        self.db.submit(fn, on_done=ok, on_error=failed)

    def reload(self) -> None:
        self._query += 1
        query, filt = self._query, self.filter
        self.job(lambda store: query_episodes(store, filt),
                  lambda rows: self._episodes_loaded(query, rows))

    def show_episode(self, episode_id: int) -> None:
        """Select that episode (the chat's "Show in History"), once the list is reread."""
        self._wanted = episode_id
        self.reload()

    def _filter_changed(self, filt: HistoryFilter) -> None:
        self.filter = filt
        self.reload()

    def _episodes_loaded(self, query: int, rows: list[EpisodeRow]) -> None:
        if query != self._query:
            return
        keep = set(self.selected_ids())
        current = self.episode.id if self.episode else None
        self._resetting = True
        try:
            self.model.set_rows(rows)
        finally:
            self._resetting = False
        total = len(rows)
        self.count.setText(f"{total} episode{'s' if total != 1 else ''}")
        selection = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag
        for i, row in enumerate(rows):
            if row.id in keep:
                selection.select(self.model.index(i, 0), flags.Select | flags.Rows)
        target = self.model.row_of(current) if current is not None else None
        wanted, self._wanted = self._wanted, None
        if wanted is not None:
            keep = set()
            target = self.model.row_of(wanted)
            if target is None:
                self.count.setText(f"{total} episodes; the one asked for is hidden by the "
                                   "filter")
        if target is None and rows:
            target = 0
        if target is not None:
            command = flags.NoUpdate if keep & {r.id for r in rows} else (
                flags.ClearAndSelect | flags.Rows)
            selection.setCurrentIndex(self.model.index(target, 0), command)
        else:
            self._show_episode(None)
        self.selection.update_buttons()

    def _episode_changed(self, current: Any, _previous: Any) -> None:
        if self._resetting:
            return  # the rows are being replaced; the current row is set right after
        row = self.model.rows[current.row()] if current.isValid() else None
        self._show_episode(row)

    def _show_episode(self, row: EpisodeRow | None) -> None:
        self.episode = row
        self.episode_rating.setEnabled(row is not None)
        if row is None:
            self.header.setText("<span style='color:gray'>No episode selected. Run a task in "
                                "the Chat page, or change the filter.</span>")
            self.episode_rating.clear()
            self._set_steps([])
            return
        self.header.setText(episode_html(row))
        self.episode_rating.set_state(row.rating)
        episode_id = row.id  # reread even for the same episode: the chat may have added steps
        self.job(lambda store: query_steps(store, episode_id),
                  lambda steps: self._steps_loaded(episode_id, steps))

    def _steps_loaded(self, episode_id: int, steps: list[StepRow]) -> None:
        if self.episode is None or self.episode.id != episode_id:
            return
        self._set_steps(steps)

    def _set_steps(self, steps: list[StepRow]) -> None:
        keep = self.step_list.currentRow()
        same_episode = bool(steps and self.steps and steps[0].episode_id ==
                            self.steps[0].episode_id)
        self.steps = steps
        self.step_list.blockSignals(True)
        self.step_list.clear()
        for step in steps:
            item = QListWidgetItem(step_item_text(step))
            item.setToolTip(step.description)
            self.step_list.addItem(item)
        self.step_list.blockSignals(False)
        if not steps:
            self.step_view.show_step(None)
            if self.episode is not None:
                self.step_view.picture.set_image(None, "This episode has no steps")
            return
        row = keep if same_episode and 0 <= keep < len(steps) else 0
        self.step_list.setCurrentRow(row)
        self._step_changed(row)

    def _step_changed(self, row: int) -> None:
        self.step_view.show_step(self.steps[row] if 0 <= row < len(self.steps) else None)

    # -- delete, export, grades (selection.py, grading.py) ------------------------------
    @property
    def confirm(self) -> Callable[[str, str], bool]:
        """Asks the person before a delete (tests answer in its place)."""
        return self.selection.confirm

    @confirm.setter
    def confirm(self, ask: Callable[[str, str], bool]) -> None:
        self.selection.confirm = ask

    @property
    def export_dialog(self) -> ExportDialog | None:
        return self.selection.export_dialog

    def selected_ids(self) -> list[int]:
        return self.selection.ids()

    def delete_selected(self) -> None:
        self.selection.delete()

    def export_selected(self) -> ExportDialog | None:
        return self.selection.export()

    # -- Qt plumbing ------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key, plain = event.key(), event.modifiers() == Qt.KeyboardModifier.NoModifier
        if watched is self.table and plain:
            if key in (Qt.Key.Key_Right, Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.steps:
                self.step_list.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
            if key == Qt.Key.Key_Delete:
                self.delete_selected()
                return True
        if watched is self.step_list and plain and key in (Qt.Key.Key_Left, Qt.Key.Key_Escape):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._shown_once:
            self.reload()  # the chat may have recorded episodes meanwhile
        self._shown_once = True
