"""Export from the History page: the chosen episodes in the chosen format, the progress bar
reaching 100 %, off the UI thread; cancel and bad folders are told plainly."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from agent.store.config import StoreConfig
from agent.store.redact import ExportConfig
from app.config import DeskhandConfig
from app.gui.context import AppContext
from app.gui.history.export_dialog import ExportDialog
from app.gui.history.page import HistoryPage
from app.gui.worker import DbWorker
from tests.app.gui.test_history import Filled, fill, open_page, settle


@pytest.fixture
def db(home: Paths) -> Iterator[DbWorker]:
    worker = DbWorker(home, StoreConfig())
    yield worker
    worker.close()


@pytest.fixture
def filled(db: DbWorker) -> Filled:
    result: Filled = db.call(fill)
    return result


def records(folder: Path, fmt: str) -> list[dict[str, object]]:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_table(folder / "data.parquet").to_pylist())
    name = {"jsonl": "steps.jsonl", "messages": "messages.jsonl"}[fmt]
    return [json.loads(line) for line in (folder / name).read_text().splitlines()]


@pytest.mark.parametrize("fmt", ["jsonl", "messages", "parquet"])
def test_export_of_a_selection_writes_the_format_and_reaches_100(
        qtbot: QtBot, home: Paths, db: DbWorker, filled: Filled, tmp_path: Path,
        fmt: str) -> None:
    page = open_page(qtbot, home, db)
    flags = QItemSelectionModel.SelectionFlag
    selection = page.table.selectionModel()
    selection.clear()
    for episode_id in (filled.editor, filled.email):
        row = page.model.row_of(episode_id)
        assert row is not None
        selection.select(page.model.index(row, 0), flags.Select | flags.Rows)
    assert page.export_button.text() == "Export 2…"
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = page.export_dialog
    assert isinstance(dialog, ExportDialog) and dialog.isVisible()
    assert sorted(dialog.episode_ids) == sorted([filled.editor, filled.email])
    seen: list[int] = []
    dialog.bar.valueChanged.connect(seen.append)
    out = tmp_path / "out"
    dialog.folder.setText(str(out))
    dialog.set_format(fmt)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=60_000)
    assert dialog.bar.value() == 100 and seen[-1] == 100
    assert any(0 < v < 100 for v in seen), "the bar moved through the export, not in one jump"
    assert dialog.summary is not None and dialog.summary.records == 4  # 3 + 1 steps
    assert len(records(out, fmt)) == 4
    assert len(list((out / "images").glob("*"))) == (0 if fmt == "parquet" else 4)
    assert "Exported 4 step(s)" in dialog.message.text()
    assert dialog.export_button.isEnabled()
    settle(qtbot, page)


def test_export_without_selection_takes_every_listed_episode(
        qtbot: QtBot, home: Paths, db: DbWorker, filled: Filled) -> None:
    page = open_page(qtbot, home, db)
    page.filters.outcome.setCurrentIndex(page.filters.outcome.findData("done"))
    settle(qtbot, page)
    page.table.selectionModel().clearSelection()
    dialog = page.export_selected()
    assert dialog is not None and sorted(dialog.episode_ids) == sorted([filled.editor,
                                                                       filled.trash])
    dialog.close()


def test_a_file_as_folder_is_refused_and_cancel_stops_an_export(
        qtbot: QtBot, home: Paths, db: DbWorker, filled: Filled, tmp_path: Path) -> None:
    page = open_page(qtbot, home, db)
    dialog = ExportDialog(db, [filled.editor], tmp_path / "x", page)
    qtbot.addWidget(dialog)
    (tmp_path / "file").write_text("not a folder")
    dialog.folder.setText(str(tmp_path / "file"))
    dialog.start()
    assert "is a file" in dialog.message.text() and not dialog.running()

    out = tmp_path / "cancelled"
    dialog.folder.setText(str(out))
    gate = threading.Event()
    db.submit(lambda store: gate.wait(30))  # the export waits behind this job
    dialog.show()
    dialog.start()
    assert dialog.running() and dialog.close_button.text() == "Cancel"
    dialog.reject()  # cancel while it waits
    assert dialog.isVisible(), "the dialog stays until the export has really stopped"
    gate.set()
    qtbot.waitUntil(lambda: not dialog.running(), timeout=30_000)
    assert dialog.summary is None and "cancelled" in dialog.message.text()
    assert not (out / "steps.jsonl").exists() or (out / "steps.jsonl").read_text() == ""
    assert dialog.close_button.text() == "Close"
    dialog.reject()
    assert not dialog.isVisible()


@pytest.mark.parametrize("redact", [True, False])
def test_export_with_redaction_on_writes_no_email_address_of_a_task(
        qtbot: QtBot, home: Paths, db: DbWorker, tmp_path: Path, redact: bool) -> None:
    address = "ada.lovelace@example.org"
    episode_id = db.call(lambda store: store.create_episode(f"Write to {address} about Monday"))
    db.call(lambda store: store.add_step(episode_id, action={"type": "type", "text": address},
                                         outcome="executed", reasoning=f"Mail {address}."))
    config = DeskhandConfig(export=ExportConfig(redact=redact))
    page = HistoryPage(AppContext(home, config, db))
    qtbot.addWidget(page)
    page.show()
    settle(qtbot, page)
    dialog = page.export_selected()
    assert dialog is not None and dialog.episode_ids == [episode_id]
    assert ("replaced by [redacted]" in dialog.redaction.text()) is redact
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=60_000)
    written = (tmp_path / "out" / "steps.jsonl").read_text(encoding="utf-8")
    assert (address in written) is not redact
    assert ("[redacted]" in written) is redact
    dialog.close()
