"""The History page: browsing, keyboard grading after the fact (persisting), filters, delete.

A store holds four episodes (done / failed / stopped / done-without-steps, over several days,
some graded) with real screenshot files; every assertion reads the database back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from agent.store.config import StoreConfig
from agent.store.schema import Judgment, Step, utcnow
from app.config import DeskhandConfig
from app.gui.context import AppContext
from app.gui.history.page import HistoryPage
from app.gui.widgets.rating import RatingState
from app.gui.worker import DbWorker


def desktop(seed: int, width: int = 960, height: int = 600) -> np.ndarray:
    """A screen-like picture: a desktop colour, a window with a title bar, a few buttons."""
    rng = np.random.default_rng(seed)
    image = np.empty((height, width, 3), np.uint8)
    image[:] = rng.integers(40, 120, size=3)
    image[60:540, 120:840] = 235
    image[60:92, 120:840] = rng.integers(60, 200, size=3)
    for i in range(4):
        image[130 + i * 60:170 + i * 60, 160:360] = rng.integers(100, 255, size=3)
    return image


@dataclass
class Filled:
    editor: int  # done, 3 steps, step 0 approved, started 2 days ago
    report: int  # failed, 2 steps, ungraded, today
    email: int  # stopped, 1 step, episode rated 4, 10 days ago
    trash: int  # done, no steps, ungraded, today
    steps: dict[int, list[int]]


def fill(store: Any) -> Filled:
    now = utcnow()

    def episode(task: str, status: str, age: timedelta, actions: list[dict[str, Any]],
                seed: int) -> tuple[int, list[int]]:
        eid = store.create_episode(task, created_at=now - age, status="running",
                                   actor_model="/models/qwen2.5-vl-3b-q4_k_m.gguf")
        ids = [store.add_step(eid, screenshot=desktop(seed + i), action=a, outcome="executed",
                              reasoning=f"I will {a['type']} now, step {i}.")
               for i, a in enumerate(actions)]
        store.finish_episode(eid, status, summary=f"{task}: {status}")
        return eid, ids

    editor, e_steps = episode("Open the text editor and save notes", "done",
                              timedelta(days=2),
                              [{"type": "click", "x": 250, "y": 150},
                               {"type": "type", "text": "meeting notes"},
                               {"type": "key", "keys": ["ctrl", "s"]}], 10)
    store.add_judgment(kind="approve", value=1.0, step_id=e_steps[0])
    report, r_steps = episode("Rename the report file", "failed", timedelta(minutes=5),
                              [{"type": "click", "x": 600, "y": 300},
                               {"type": "drag", "x": 200, "y": 200, "to_x": 700, "to_y": 450}],
                              20)
    email, m_steps = episode("Send the weekly email", "stopped", timedelta(days=10),
                             [{"type": "scroll", "x": 480, "y": 300, "dx": 0, "dy": -3}], 30)
    store.add_judgment(kind="rate", value=4.0, episode_id=email)
    trash, _ = episode("Empty the trash", "done", timedelta(minutes=1), [], 40)
    return Filled(editor, report, email, trash,
                  {editor: e_steps, report: r_steps, email: m_steps})


@pytest.fixture
def db(home: Paths) -> Iterator[DbWorker]:
    worker = DbWorker(home, StoreConfig())
    yield worker
    worker.close()


@pytest.fixture
def filled(db: DbWorker) -> Filled:
    result: Filled = db.call(fill)
    return result


def open_page(qtbot: QtBot, home: Paths, db: DbWorker) -> HistoryPage:
    page = HistoryPage(AppContext(home, DeskhandConfig(), db))
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    settle(qtbot, page)
    return page


def settle(qtbot: QtBot, page: HistoryPage) -> None:
    qtbot.waitUntil(lambda: page.pending == 0, timeout=15_000)


def tasks(page: HistoryPage) -> list[str]:
    return [row.task for row in page.model.rows]


def select(qtbot: QtBot, page: HistoryPage, episode_id: int) -> None:
    row = page.model.row_of(episode_id)
    assert row is not None
    flags = QItemSelectionModel.SelectionFlag
    page.table.selectionModel().setCurrentIndex(page.model.index(row, 0),
                                                flags.ClearAndSelect | flags.Rows)
    settle(qtbot, page)
    assert page.episode is not None and page.episode.id == episode_id


def judgments(db: DbWorker, episode_id: int) -> list[tuple[Any, ...]]:
    return db.call(lambda s: [(j.kind, j.value, j.comment, j.step_id)
                              for j in s.get_episode(episode_id).judgments])


def counts(store: Any, episode_id: int) -> tuple[int, int]:
    """(steps, judgments) rows left for an episode id."""
    with store.session() as s:
        steps = s.scalar(sa.select(sa.func.count()).select_from(Step)
                         .where(Step.episode_id == episode_id))
        marks = s.scalar(sa.select(sa.func.count()).select_from(Judgment)
                         .where(Judgment.episode_id == episode_id))
    return steps or 0, marks or 0


def test_lists_episodes_newest_first_with_steps_and_grading(
        qtbot: QtBot, home: Paths, db: DbWorker, filled: Filled) -> None:
    page = open_page(qtbot, home, db)
    assert tasks(page) == ["Empty the trash", "Rename the report file",
                           "Open the text editor and save notes", "Send the weekly email"]
    texts = {r.task: (r.status, r.steps, page.model.data(page.model.index(i, 4)))
             for i, r in enumerate(page.model.rows)}
    assert texts["Open the text editor and save notes"] == ("done", 3, "1/3 steps")
    assert texts["Send the weekly email"] == ("stopped", 1, "episode")
    assert texts["Rename the report file"] == ("failed", 2, "—")
    select(qtbot, page, filled.editor)
    assert page.step_list.count() == 3 and page.step_view.step is not None
    assert page.step_view.rating.state() == RatingState(thumb=True)
    qtbot.waitUntil(lambda: page.step_view.picture.image is not None, timeout=15_000)
    assert "✓" in page.step_list.item(0).text() and "ungraded" in page.step_list.item(1).text()


def test_keyboard_only_grading_of_steps_writes_exactly_those_rows(
        qtbot: QtBot, home: Paths, db: DbWorker, filled: Filled) -> None:
    page = open_page(qtbot, home, db)
    select(qtbot, page, filled.report)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Right)  # into the steps
    assert page.step_list.hasFocus()
    for key in (Qt.Key.Key_Plus, Qt.Key.Key_4, Qt.Key.Key_Down, Qt.Key.Key_D, Qt.Key.Key_2,
                Qt.Key.Key_C):
        qtbot.keyClick(page.step_list, key)
    qtbot.keyClicks(page.step_view.rating.comment, "dragged the wrong file")
    qtbot.keyClick(page.step_view.rating.comment, Qt.Key.Key_Return)
    settle(qtbot, page)
    first, second = filled.steps[filled.report]
    assert judgments(db, filled.report) == [
        ("approve", 1.0, None, first), ("rate", 4.0, None, first),
        ("reject", 0.0, None, second), ("rate", 2.0, None, second),
        ("comment", None, "dragged the wrong file", second)]
    assert "✗ ★★ ✎" in page.step_list.item(1).text()
    assert page.model.data(page.model.index(page.model.row_of(filled.report) or 0, 4)) == \
        "2/2 steps"


def test_rating_keys_in_the_episode_list_grade_the_episode(
        qtbot: QtBot, home: Paths, db: DbWorker, filled: Filled) -> None:
    page = open_page(qtbot, home, db)
    select(qtbot, page, filled.report)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Minus)
    qtbot.keyClick(page.table, Qt.Key.Key_3)
    settle(qtbot, page)
    assert judgments(db, filled.report) == [("reject", 0.0, None, None),
                                            ("rate", 3.0, None, None)]


def test_a_changed_judgment_persists_and_shows_when_the_page_is_reopened(
        qtbot: QtBot, home: Paths, db: DbWorker, filled: Filled) -> None:
    page = open_page(qtbot, home, db)
    select(qtbot, page, filled.editor)
    page.step_list.setFocus()
    qtbot.keyClick(page.step_list, Qt.Key.Key_Minus)  # was approved: now thumbs down
    qtbot.keyClick(page.step_list, Qt.Key.Key_5)
    select(qtbot, page, filled.email)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_1)  # the episode's 4 stars become 1
    settle(qtbot, page)
    page.close()

    again = open_page(qtbot, home, db)
    select(qtbot, again, filled.editor)
    assert again.step_view.rating.state() == RatingState(thumb=False, stars=5)
    assert again.step_view.rating.down.isChecked()
    assert "✗ ★★★★★" in again.step_list.item(0).text()
    select(qtbot, again, filled.email)
    assert again.episode_rating.state().stars == 1
    rows = judgments(db, filled.editor)
    assert rows == [("approve", 1.0, None, filled.steps[filled.editor][0]),
                    ("reject", 0.0, None, filled.steps[filled.editor][0]),
                    ("rate", 5.0, None, filled.steps[filled.editor][0])]


def test_filters_narrow_the_list(qtbot: QtBot, home: Paths, db: DbWorker,
                                 filled: Filled) -> None:
    page = open_page(qtbot, home, db)
    bar = page.filters

    def shown() -> list[str]:
        qtbot.waitUntil(lambda: page.pending == 0, timeout=15_000)
        return tasks(page)

    bar.text.setText("REPORT")  # case does not matter
    qtbot.waitUntil(lambda: tasks(page) == ["Rename the report file"], timeout=15_000)
    bar.text.clear()
    qtbot.waitUntil(lambda: len(tasks(page)) == 4, timeout=15_000)
    bar.outcome.setCurrentIndex(bar.outcome.findData("done"))
    assert shown() == ["Empty the trash", "Open the text editor and save notes"]
    bar.graded.setCurrentIndex(bar.graded.findData("graded"))
    assert shown() == ["Open the text editor and save notes"]
    bar.outcome.setCurrentIndex(0)
    assert shown() == ["Open the text editor and save notes", "Send the weekly email"]
    bar.graded.setCurrentIndex(bar.graded.findData("ungraded"))
    assert shown() == ["Empty the trash", "Rename the report file"]
    bar.graded.setCurrentIndex(0)
    bar.dates.setCurrentIndex(bar.dates.findText("Last 7 days"))
    assert shown() == ["Empty the trash", "Rename the report file",
                       "Open the text editor and save notes"]
    ten_days_ago = (datetime.now() - timedelta(days=10)).date()
    bar.set_range(ten_days_ago, ten_days_ago)
    assert shown() == ["Send the weekly email"]
    bar.set_range(date.today() + timedelta(days=1), date.today() + timedelta(days=3))
    assert shown() == []
    assert page.episode is None and page.step_list.count() == 0
    assert not page.delete_button.isEnabled()


def test_ctrl_f_focuses_the_filter(qtbot: QtBot, home: Paths, db: DbWorker,
                                   filled: Filled) -> None:
    page = open_page(qtbot, home, db)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(page.filters.text.hasFocus)


def test_delete_asks_then_removes_rows_and_screenshot_files(
        qtbot: QtBot, home: Paths, db: DbWorker, filled: Filled) -> None:
    page = open_page(qtbot, home, db)
    files_before = {p for p in home.screens_dir.rglob("*") if p.is_file()}
    assert len(files_before) == 6
    select(qtbot, page, filled.editor)
    asked: list[str] = []
    page.confirm = lambda title, question: asked.append(question) is not None  # says no
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    settle(qtbot, page)
    assert len(asked) == 1 and "Open the text editor" in asked[0]
    assert len(tasks(page)) == 4, "cancelled: nothing deleted"

    page.confirm = lambda title, question: True
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    settle(qtbot, page)
    assert "Open the text editor and save notes" not in tasks(page)
    assert db.call(lambda s: [e.id for e in s.list_episodes(ids=[filled.editor])]) == []
    assert db.call(lambda s: counts(s, filled.editor)) == (0, 0)
    files_after = {p for p in home.screens_dir.rglob("*") if p.is_file()}
    assert len(files_after) == 3 and files_after < files_before


def test_delete_several_selected_episodes_at_once(
        qtbot: QtBot, home: Paths, db: DbWorker, filled: Filled) -> None:
    page = open_page(qtbot, home, db)
    select(qtbot, page, filled.report)
    qtbot.keyClick(page.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert sorted(page.selected_ids()) == sorted([filled.report, filled.editor])
    assert page.delete_button.text() == "Delete 2"
    page.confirm = lambda title, question: "2 episodes" in question
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert tasks(page) == ["Empty the trash", "Send the weekly email"]


def test_the_selected_step_is_shown_with_its_action_drawn(
        qtbot: QtBot, home: Paths, db: DbWorker, filled: Filled, tmp_path: Path) -> None:
    from app.gui.widgets.action_overlay import TARGET

    page = open_page(qtbot, home, db)
    select(qtbot, page, filled.editor)  # step 1 clicks at (250, 150) of a 960×600 screen
    qtbot.waitUntil(lambda: page.step_view.picture.image is not None, timeout=15_000)
    shot = page.grab()
    shot.save(str(tmp_path / "history.png"))
    view = page.step_view.picture
    image = view.grab().toImage()
    rect = view.image_rect()
    x = int(rect.left() + rect.width() * 250.5 / 960)
    y = int(rect.top() + rect.height() * 150.5 / 600)
    near = [image.pixelColor(x + dx, y + dy) for dx in range(-3, 4) for dy in range(-3, 4)]
    assert any(abs(c.red() - TARGET.red()) < 30 and abs(c.green() - TARGET.green()) < 30
               and abs(c.blue() - TARGET.blue()) < 30 for c in near), "the click is marked"
    assert "click at (250, 150)" in page.step_view.caption.text()
