"""Correcting a step from the chat: each kind of correction writes exactly the judgment rows
expected, and the corrected action — not the proposal — is what runs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from app.gui.chat.page import ChatPage
from app.gui.context import AppContext
from models.actions import Click, Done, Key, Type, to_json
from models.frames import Monitor
from tests.app.gui.conftest import MakePage
from tests.fakes.chat_parts import FakeParts, judgment_rows
from tests.fakes.recorder import FakeRecorder

MONITOR = Monitor(100, 50, 1280, 720)  # not at the origin: the conversion must add it


@pytest.fixture
def ctx(chat_ctx: AppContext) -> AppContext:
    return chat_ctx




def run_to_review(qtbot: QtBot, page: ChatPage) -> None:
    assert page.start_task("fix it")
    qtbot.waitUntil(lambda: page.review.isVisible() and page.review.view is not None,
                    timeout=10_000)


def finish(qtbot: QtBot, page: ChatPage) -> None:
    """Approve what is left (the scripted "done")."""
    while page.running:
        qtbot.waitUntil(lambda: not page.running or (page.review.isVisible()
                                                     and page.review.view is not None),
                        timeout=10_000)
        if page.running:
            page.review.accept()


def step_outcomes(ctx: AppContext) -> list[str]:
    return ctx.db.call(lambda store: [s.outcome for s in store.steps(
        store.list_episodes()[0].id)])


def test_clicking_the_big_screenshot_moves_the_target(qtbot: QtBot, chat: MakePage,
                                                     ctx: AppContext) -> None:
    parts = FakeParts([Click(300, 200), Done("ok")], monitor=MONITOR)
    page = chat(parts)
    run_to_review(qtbot, page)
    image = page.review.image
    target = image.widget_point(1000, 600)
    qtbot.mouseClick(image, Qt.MouseButton.LeftButton, pos=target)
    edited = page.review.edited_action()
    assert isinstance(edited, Click) and edited != Click(300, 200)
    assert abs(edited.x - 1000) <= 2 and abs(edited.y - 600) <= 2, edited
    assert "correction" in page.review.primary.text()
    qtbot.mouseClick(page.review.primary, Qt.MouseButton.LeftButton)
    finish(qtbot, page)
    assert parts.actuator is not None and parts.actuator.executed == [edited]
    rows = judgment_rows(ctx)
    assert rows == [("correct", 0, 1.0, to_json(edited), None), ("approve", 1, 1.0, None, None)]
    assert step_outcomes(ctx) == ["corrected", "executed"]


def test_a_click_outside_the_picture_changes_nothing(qtbot: QtBot, chat: MakePage) -> None:
    page = chat(FakeParts([Click(300, 200)], monitor=MONITOR))
    run_to_review(qtbot, page)
    image = page.review.image
    image.resize(900, 300)  # wider than the picture's aspect: bars left and right
    rect = image.image_rect()
    assert rect.left() > 5
    qtbot.mouseClick(image, Qt.MouseButton.LeftButton, pos=QPoint(int(rect.left()) - 3, 40))
    assert page.review.edited_action() == Click(300, 200)
    assert page.review.primary.text().startswith("Approve")


def test_editing_the_text_to_type(qtbot: QtBot, chat: MakePage, ctx: AppContext) -> None:
    parts = FakeParts([Type("helo wrld"), Done("ok")])
    page = chat(parts)
    run_to_review(qtbot, page)
    text = page.review.editor.text
    text.selectAll()
    qtbot.keyClicks(text, "hello world")
    qtbot.keyClick(text, Qt.Key.Key_Return)  # Enter saves the correction
    finish(qtbot, page)
    assert parts.actuator is not None and parts.actuator.executed == [Type("hello world")]
    assert judgment_rows(ctx) == [
        ("correct", 0, 1.0, {"type": "type", "text": "hello world"}, None),
        ("approve", 1, 1.0, None, None)]


def test_picking_another_action(qtbot: QtBot, chat: MakePage, ctx: AppContext) -> None:
    parts = FakeParts([Click(300, 200), Done("ok")])
    page = chat(parts)
    run_to_review(qtbot, page)
    editor = page.review.editor
    editor.kind.setCurrentIndex(editor.kind.findData("key"))
    assert editor.text.isVisible() and not editor.at_x.isVisible()
    qtbot.keyClicks(editor.text, "ctrl+s")
    qtbot.mouseClick(page.review.primary, Qt.MouseButton.LeftButton)
    finish(qtbot, page)
    assert parts.actuator is not None and parts.actuator.executed == [Key(("ctrl", "s"))]
    assert judgment_rows(ctx)[0] == ("correct", 0, 1.0, {"type": "key", "keys": ["ctrl", "s"]},
                                     None)
    assert len(judgment_rows(ctx)) == 2


def test_an_invalid_edit_is_refused_with_a_message(qtbot: QtBot, chat: MakePage,
                                                  ctx: AppContext) -> None:
    page = chat(FakeParts([Click(300, 200), Done("ok")]))
    run_to_review(qtbot, page)
    editor = page.review.editor
    editor.kind.setCurrentIndex(editor.kind.findData("key"))
    qtbot.keyClicks(editor.text, "ctrl+nosuchkey")
    page.review.accept()
    assert page.review.isVisible() and "nosuchkey" in page.review.error.text()
    assert judgment_rows(ctx) == []
    qtbot.mouseClick(page.review.reset, Qt.MouseButton.LeftButton)
    assert page.review.edited_action() == Click(300, 200)
    finish(qtbot, page)
    assert [row[0] for row in judgment_rows(ctx)] == ["approve", "approve"]


def test_let_me_do_it_records_the_persons_action_as_the_correction(
        qtbot: QtBot, chat: MakePage, ctx: AppContext) -> None:
    recorded = FakeRecorder([Click(11, 22), Type("by hand")])
    parts = FakeParts([Click(300, 200), Done("ok")], recorder=lambda: recorded)
    page = chat(parts)
    run_to_review(qtbot, page)
    qtbot.mouseClick(page.review.takeover, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.question.isVisible() and page.question.kind == "takeover",
                    timeout=10_000)
    assert recorded.started and judgment_rows(ctx) == [], "nothing saved before they finish"
    qtbot.mouseClick(page.question.done, Qt.MouseButton.LeftButton)
    finish(qtbot, page)
    assert parts.actuator is not None and parts.actuator.executed == [], \
        "the person did the step; the agent did not"
    # every action the person did is kept, each as the correction of a step of its own
    assert judgment_rows(ctx) == [("correct", 0, 1.0, {"type": "click", "x": 11, "y": 22,
                                                       "button": "left", "count": 1}, None),
                                  ("correct", 1, 1.0, {"type": "type", "text": "by hand"},
                                   None),
                                  ("approve", 2, 1.0, None, None)]
    assert step_outcomes(ctx) == ["corrected", "corrected", "executed"]


def test_skip_writes_one_reject_and_runs_nothing(qtbot: QtBot, chat: MakePage,
                                                 ctx: AppContext) -> None:
    parts = FakeParts([Click(300, 200), Done("ok")])
    page = chat(parts)
    run_to_review(qtbot, page)
    qtbot.mouseClick(page.review.skip, Qt.MouseButton.LeftButton)
    finish(qtbot, page)
    assert parts.actuator is not None and parts.actuator.executed == []
    assert judgment_rows(ctx) == [("reject", 0, 0.0, None, None),
                                  ("approve", 1, 1.0, None, None)]
    assert step_outcomes(ctx) == ["skipped", "executed"]
