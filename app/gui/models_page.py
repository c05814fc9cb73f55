"""The Models page: what the agent runs, how to get a model, and the trained adapters.

On first run (no actor model in the catalogue) the page says so plainly at the top and the
three ways to get one (download, local files, tiny demo) come first. Afterwards it shows the
installed models, which one the actor and the critic use (``Catalogue.use``), whether each can
be trained overnight (and the command that fetches its weights if not), removal, and the
adapter versions per role with promote / roll back.

The catalogue is a small JSON file (``models.hub.catalogue``), read and written on the UI
thread; everything slow (downloads, hashing, building the tiny model, the adapter registry's
verification) runs elsewhere. ``has_model()`` and ``model_changed`` are for the main window
(e.g. to send a first-time user here).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.context import AppContext
from app.gui.models.adapters_panel import AdaptersPanel
from app.gui.models.add_panel import AddPanel
from models.hub import Catalogue, CatalogueError
from models.hub.registry import human_size
from models.hub.weights import training_state

SAME_AS_ACTOR = "(same as the actor)"
FIRST_RUN = ("<h3>No model is set up yet</h3>Deskhand needs a vision-language model to see "
             "the screen and propose actions. Choose one of the three ways below: download a "
             "recommended model, use GGUF files you already have, or build the demo model "
             "to see how the app works.")


class ModelsPage(QWidget):
    model_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.catalogue = Catalogue(ctx.paths.models_dir, {}, {})
        self.first_run = QLabel(FIRST_RUN)
        self.first_run.setWordWrap(True)
        self.first_run.setStyleSheet("background: #fff8e1; color: #4a3b00; "
                                     "border: 1px solid #f0d98c; padding: 10px;")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b;")
        self.error.hide()
        self.installed = self._installed_box()
        self.add = AddPanel(ctx.paths.models_dir)
        self.add.added.connect(self._added)
        self.add.busy.connect(lambda busy: self.installed.setEnabled(not busy))
        self.adapters = AdaptersPanel(ctx.db, ctx.paths.adapters_dir,
                                      ctx.config.learner.registry.keep_versions)
        adapters_box = QGroupBox("Trained adapters")
        box_layout = QVBoxLayout(adapters_box)
        box_layout.addWidget(self.adapters)
        self.add_title = QLabel("<h3>Add a model</h3>")
        body = QWidget()
        self.body_layout = QVBoxLayout(body)
        self.body_layout.addWidget(self.first_run)
        self.body_layout.addWidget(self.error)
        self.body_layout.addWidget(self.installed)
        self.body_layout.addWidget(adapters_box)
        self.body_layout.addWidget(self.add_title)
        self.body_layout.addWidget(self.add)
        self.body_layout.addStretch(1)
        self.adapters_box = adapters_box
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.reload()
        self.adapters.refresh()

    # -- state -------------------------------------------------------------------------
    def has_model(self) -> bool:
        """Whether an actor model is configured (False: the first-run state)."""
        return self.catalogue.model_for("actor") is not None

    def reload(self) -> None:
        try:
            self.catalogue = Catalogue.load(self.ctx.paths.models_dir)
        except CatalogueError as exc:
            self.catalogue = Catalogue(self.ctx.paths.models_dir, {}, {})
            self._show_error(str(exc))
        first = not self.has_model()
        self.first_run.setVisible(first)
        self.installed.setVisible(bool(self.catalogue.models))
        self.adapters_box.setVisible(not first)
        # first run: the ways to get a model come right after the notice
        self.body_layout.removeWidget(self.add_title)
        self.body_layout.removeWidget(self.add)
        at = 2 if first else self.body_layout.indexOf(self.adapters_box) + 1
        self.body_layout.insertWidget(at, self.add_title)
        self.body_layout.insertWidget(at + 1, self.add)
        self._fill_installed()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    # -- installed models --------------------------------------------------------------
    def _installed_box(self) -> QGroupBox:
        box = QGroupBox("Installed models")
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Name", "Family", "Source", "Size", "Used as",
                                              "Training weights"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAccessibleName("Installed models")
        header = self.table.horizontalHeader()
        for col in range(5):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.actor_combo, self.critic_combo = QComboBox(), QComboBox()
        self.actor_combo.setAccessibleName("Actor model")
        self.critic_combo.setAccessibleName("Critic model")
        self.actor_combo.activated.connect(lambda _i: self._use("actor", self.actor_combo))
        self.critic_combo.activated.connect(lambda _i: self._use("critic", self.critic_combo))
        self.remove_button = QPushButton("&Remove selected…")
        self.remove_button.clicked.connect(self.remove_selected)
        form = QFormLayout()
        form.addRow("A&ctor model", self.actor_combo)
        form.addRow("Cr&itic model", self.critic_combo)
        row = QHBoxLayout()
        row.addLayout(form)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(box)
        layout.addWidget(self.table)
        layout.addLayout(row)
        return box

    def _fill_installed(self) -> None:
        cat = self.catalogue
        names = sorted(cat.models)
        self.table.setRowCount(len(names))
        for row, name in enumerate(names):
            m = cat.models[name]
            source = {"tiny": "test model (cannot act)",
                      "demo": "demo (practice desktop only)"}.get(m.source, m.source)
            roles = ", ".join(cat.roles_of(name))
            if not cat.in_use.get("critic") and cat.in_use.get("actor") == name:
                roles += " (critic too)"
            tip = f"{m.gguf}\n{m.mmproj}" + (f"\n{m.note}" if m.note else "")
            for col, text in enumerate((name, m.family, source, human_size(m.size), roles,
                                        training_state(m))):
                item = QTableWidgetItem(text)
                item.setToolTip(f"training weights: {m.hf}" if col == 5 and m.hf else tip)
                self.table.setItem(row, col, item)
        self.table.setFixedHeight(self.table.horizontalHeader().height()
                                  + self.table.verticalHeader().length() + 4)
        for combo, role in ((self.actor_combo, "actor"), (self.critic_combo, "critic")):
            combo.blockSignals(True)
            combo.clear()
            if role == "critic":
                combo.addItem(SAME_AS_ACTOR, "")
            elif not cat.in_use.get("actor"):
                combo.addItem("(choose a model)", "")
            for name in names:
                combo.addItem(name, name)
            index = combo.findData(cat.in_use.get(role, ""))
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        self.remove_button.setEnabled(bool(names))

    def _use(self, role: str, combo: QComboBox) -> None:
        name = combo.currentData()
        try:
            if name:
                self.catalogue.use(name, role)
            elif role == "critic":
                self.catalogue.in_use.pop("critic", None)
                self.catalogue.save()
            else:
                return
        except CatalogueError as exc:
            self._show_error(str(exc))
            return
        self._show_error("")
        self.reload()
        self.model_changed.emit()

    def remove_selected(self, confirm: bool = True) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self._show_error("Select a model in the table to remove it.")
            return
        item = self.table.item(rows[0].row(), 0)
        if item is None:
            return
        name = item.text()
        model = self.catalogue.models[name]
        what = "Its files stay where they are." if model.source == "local" else \
            "Its downloaded files are deleted."
        if confirm and QMessageBox.question(
                self, "Remove model", f"Remove {name}? {what}") != \
                QMessageBox.StandardButton.Yes:
            return
        from models.hub import remove_model

        try:
            remove_model(self.catalogue, name)
        except (CatalogueError, OSError) as exc:
            self._show_error(f"Could not remove {name}: {exc}")
            return
        self._show_error("")
        self.reload()
        self.model_changed.emit()

    def _added(self, _name: str) -> None:
        self.reload()
        self.model_changed.emit()

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self.reload()  # `deskhand models ...` may have changed it meanwhile
        self.adapters.refresh()
        super().showEvent(event)  # type: ignore[arg-type]
