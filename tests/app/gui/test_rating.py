"""The rating bar: every way of grading (keys and clicks) emits exactly one judgment of the
store's kinds, and written through the worker it becomes exactly one row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from agent.store.config import StoreConfig
from app.gui.widgets.rating import RatingBar, RatingState, submit_rating
from app.gui.worker import DbWorker


@pytest.fixture
def bar(qtbot: QtBot) -> RatingBar:
    widget = RatingBar("Step")
    qtbot.addWidget(widget)
    widget.show()
    widget.setFocus()
    return widget


@pytest.fixture
def db(home: Paths) -> Iterator[DbWorker]:
    worker = DbWorker(home, StoreConfig())
    yield worker
    worker.close()


def record(bar: RatingBar) -> list[tuple[str, Any, Any]]:
    seen: list[tuple[str, Any, Any]] = []
    bar.rated.connect(lambda kind, value, comment: seen.append((kind, value, comment)))
    return seen


@pytest.mark.parametrize(("key", "expected"), [
    (Qt.Key.Key_Plus, ("approve", 1.0, None)),
    (Qt.Key.Key_U, ("approve", 1.0, None)),
    (Qt.Key.Key_Minus, ("reject", 0.0, None)),
    (Qt.Key.Key_D, ("reject", 0.0, None)),
    (Qt.Key.Key_1, ("rate", 1.0, None)),
    (Qt.Key.Key_3, ("rate", 3.0, None)),
    (Qt.Key.Key_5, ("rate", 5.0, None)),
])
def test_each_rating_key_emits_its_judgment(qtbot: QtBot, bar: RatingBar, key: Qt.Key,
                                             expected: tuple[str, Any, Any]) -> None:
    seen = record(bar)
    qtbot.keyClick(bar, key)
    assert seen == [expected]


def test_the_same_grade_twice_emits_once_and_a_change_emits_again(qtbot: QtBot,
                                                                  bar: RatingBar) -> None:
    seen = record(bar)
    for key in (Qt.Key.Key_Plus, Qt.Key.Key_Plus, Qt.Key.Key_4, Qt.Key.Key_4,
                Qt.Key.Key_Minus, Qt.Key.Key_2):
        qtbot.keyClick(bar, key)
    assert seen == [("approve", 1.0, None), ("rate", 4.0, None), ("reject", 0.0, None),
                    ("rate", 2.0, None)]
    assert bar.state() == RatingState(thumb=False, stars=2)
    assert bar.down.isChecked() and not bar.up.isChecked()
    assert [s.isChecked() for s in bar.stars] == [True, True, False, False, False]


def test_c_focuses_the_comment_enter_saves_it_escape_leaves(qtbot: QtBot,
                                                            bar: RatingBar) -> None:
    seen = record(bar)
    qtbot.keyClick(bar, Qt.Key.Key_C)
    qtbot.waitUntil(bar.comment.hasFocus)
    qtbot.keyClicks(bar.comment, "wrong 5 button")  # digits typed here are text, not stars
    qtbot.keyClick(bar.comment, Qt.Key.Key_Return)
    assert seen == [("comment", None, "wrong 5 button")]
    qtbot.keyClick(bar.comment, Qt.Key.Key_Return)  # unchanged: no second row
    qtbot.keyClicks(bar.comment, " etc")
    qtbot.keyClick(bar.comment, Qt.Key.Key_Escape)
    qtbot.waitUntil(bar.hasFocus)
    assert bar.comment.text() == "wrong 5 button", "Esc throws the unsaved edit away"
    assert len(seen) == 1


def test_clicks_grade_too(qtbot: QtBot, bar: RatingBar) -> None:
    seen = record(bar)
    qtbot.mouseClick(bar.up, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.stars[2], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.stars[2], Qt.MouseButton.LeftButton)  # same again: nothing
    assert seen == [("approve", 1.0, None), ("rate", 3.0, None)]
    assert bar.stars[2].isChecked(), "clicking a lit star again does not unlight it"


def test_ctrl_digits_are_left_to_the_window_and_disabled_bar_ignores_keys(
        qtbot: QtBot, bar: RatingBar) -> None:
    seen = record(bar)
    qtbot.keyClick(bar, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    bar.setEnabled(False)
    qtbot.keyClick(bar, Qt.Key.Key_Plus)
    assert seen == []


def test_watched_widget_forwards_rating_keys(qtbot: QtBot, bar: RatingBar) -> None:
    from PySide6.QtWidgets import QListWidget

    listing = QListWidget()
    qtbot.addWidget(listing)
    listing.addItems(["a", "b"])
    bar.watch(listing)
    seen = record(bar)
    qtbot.keyClick(listing, Qt.Key.Key_D)
    qtbot.keyClick(listing, Qt.Key.Key_5)
    assert seen == [("reject", 0.0, None), ("rate", 5.0, None)]


def test_state_shows_the_latest_of_each_kind(bar: RatingBar) -> None:
    bar.set_judgments([{"kind": "rate", "value": 5.0}, {"kind": "reject", "value": 0.0},
                       {"kind": "approve", "value": 1.0}, {"kind": "rate", "value": 2.0},
                       {"kind": "comment", "comment": "ok"}, {"kind": "correct"}])
    assert bar.state() == RatingState(thumb=True, stars=2, comment="ok")
    assert bar.up.isChecked() and bar.comment.text() == "ok"
    assert bar.state().graded and not RatingState().graded


def test_keyboard_grading_writes_exactly_one_row_per_grade(qtbot: QtBot, bar: RatingBar,
                                                          db: DbWorker) -> None:
    episode = db.call(lambda s: s.create_episode("grade me"))
    step = db.call(lambda s: s.add_step(episode, action={"type": "wait", "seconds": 1}))
    bar.rated.connect(lambda kind, value, comment: submit_rating(
        db, kind, value, comment, step_id=step, bar=bar))
    for key in (Qt.Key.Key_U, Qt.Key.Key_U, Qt.Key.Key_4):
        qtbot.keyClick(bar, key)
    qtbot.keyClick(bar, Qt.Key.Key_C)
    qtbot.keyClicks(bar.comment, "fine")
    qtbot.keyClick(bar.comment, Qt.Key.Key_Enter)
    qtbot.waitUntil(lambda: bar.status.text() == "Saved", timeout=10_000)

    def rows(store: Any) -> list[tuple[Any, ...]]:
        return [(j.kind, j.value, j.comment, j.step_id, j.episode_id)
                for j in store.steps(episode)[0].judgments]

    qtbot.waitUntil(lambda: len(db.call(rows)) == 3, timeout=10_000)
    assert db.call(rows) == [("approve", 1.0, None, step, episode),
                             ("rate", 4.0, None, step, episode),
                             ("comment", None, "fine", step, episode)]


def test_an_episode_rating_is_stored_without_a_step(qtbot: QtBot, bar: RatingBar,
                                                    db: DbWorker) -> None:
    episode = db.call(lambda s: s.create_episode("whole"))
    bar.rated.connect(lambda kind, value, comment: submit_rating(
        db, kind, value, comment, episode_id=episode, bar=bar))
    qtbot.keyClick(bar, Qt.Key.Key_Minus)
    qtbot.waitUntil(lambda: bar.status.text() == "Saved", timeout=10_000)
    rows = db.call(lambda s: [(j.kind, j.value, j.step_id)
                              for j in s.get_episode(episode).judgments])
    assert rows == [("reject", 0.0, None)]


def test_a_failed_write_says_not_saved(qtbot: QtBot, bar: RatingBar, db: DbWorker) -> None:
    bar.rated.connect(lambda kind, value, comment: submit_rating(
        db, kind, value, comment, step_id=987654, bar=bar))
    qtbot.keyClick(bar, Qt.Key.Key_Plus)
    qtbot.waitUntil(lambda: bar.status.text() == "Not saved", timeout=10_000)
    assert bar.status.toolTip()
