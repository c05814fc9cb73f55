"""The chat's conversation view of earlier tasks: stored episodes are listed (bounded, oldest
at the top, newest at the bottom) with outcome and step count, the list is reread after a run,
and "Show in History" opens the History page on that episode."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot

from agent.store.schema import utcnow
from app.gui.chat.page import ChatOptions, ChatPage
from app.gui.chat.past import PAST_LIMIT
from app.gui.context import AppContext
from app.gui.window import MainWindow
from models.actions import Click, Done
from tests.fakes.chat_parts import FakeParts


@pytest.fixture
def ctx(chat_ctx: AppContext) -> AppContext:
    return chat_ctx


def stored(ctx: AppContext, task: str, status: str, steps: int, minutes_ago: int) -> int:
    def write(store: object) -> int:
        eid = int(store.create_episode(  # type: ignore[attr-defined]
            task, created_at=utcnow() - timedelta(minutes=minutes_ago), status="running"))
        for i in range(steps):
            store.add_step(eid, action={"type": "click", "x": i, "y": i},  # type: ignore
                           outcome="executed", reasoning="r")
        store.finish_episode(eid, status, summary=f"{task}: {status}")  # type: ignore
        return eid

    return int(ctx.db.call(write))


def open_chat(qtbot: QtBot, ctx: AppContext, parts: FakeParts | None = None) -> ChatPage:
    page = ChatPage(ctx, parts or FakeParts([]), ChatOptions(move_aside=False,
                                                             target_marker_s=0))
    qtbot.addWidget(page)
    page.resize(1000, 650)
    page.show()
    qtbot.waitUntil(lambda: page.past_loads == 0, timeout=10_000)
    return page


def test_stored_episodes_are_listed_oldest_first_with_outcome_and_steps(
        qtbot: QtBot, ctx: AppContext) -> None:
    stored(ctx, "open the editor", "done", 3, minutes_ago=30)
    stored(ctx, "rename the report", "failed", 1, minutes_ago=20)
    stored(ctx, "empty the trash", "stopped", 0, minutes_ago=10)
    page = open_chat(qtbot, ctx)
    try:
        past = page.conversation.past
        assert [p.row.task for p in past] == ["open the editor", "rename the report",
                                              "empty the trash"]
        texts = [p.outcome.text() for p in past]
        assert "Done" in texts[0] and "3 steps" in texts[0] and "Show in History" in texts[0]
        assert "Failed" in texts[1] and "1 step " in texts[1] + " "
        assert "Stopped" in texts[2] and "0 steps" in texts[2]
        # shown by the layout on a later event: wait for it rather than race it
        qtbot.waitUntil(lambda: all(p.isVisibleTo(page) for p in past), timeout=10_000)
        qtbot.waitUntil(lambda: page.conversation.hint.isVisibleTo(page), timeout=10_000)
    finally:
        page.shutdown()


def test_the_list_is_bounded(qtbot: QtBot, ctx: AppContext) -> None:
    for n in range(PAST_LIMIT + 5):
        stored(ctx, f"task {n}", "done", 0, minutes_ago=100 - n)
    page = open_chat(qtbot, ctx)
    try:
        tasks = [p.row.task for p in page.conversation.past]
        assert tasks == [f"task {n}" for n in range(5, PAST_LIMIT + 5)]
        assert "History" in page.conversation.past_header.text()
    finally:
        page.shutdown()


def test_after_a_run_the_conversation_holds_it_once_and_rereads_the_store(
        qtbot: QtBot, ctx: AppContext) -> None:
    stored(ctx, "an old task", "done", 1, minutes_ago=60)
    parts = FakeParts([Click(40, 50), Done("finished")])
    page = open_chat(qtbot, ctx, parts)
    try:
        page.approval.setCurrentIndex(page.approval.findData("never"))
        assert [p.row.task for p in page.conversation.past] == ["an old task"]
        stored(ctx, "run from the terminal meanwhile", "done", 2, minutes_ago=0)
        page.start_task("click the button")
        qtbot.waitUntil(lambda: not page.running and page.past_loads == 0, timeout=10_000)
        block = page.conversation.blocks[0]
        assert block.episode_id is not None
        assert "2 steps" in block.outcome.text() and "Show in History" in block.outcome.text()
        assert [p.row.task for p in page.conversation.past] == [
            "an old task", "run from the terminal meanwhile"], "this run stays a block, once"
    finally:
        page.shutdown()
    again = open_chat(qtbot, ctx)  # the next session lists it among the earlier tasks
    try:
        assert [p.row.task for p in again.conversation.past][-1] == "click the button"
        assert "Done" in again.conversation.past[-1].outcome.text()
    finally:
        again.shutdown()


def test_show_in_history_opens_that_episode(qtbot: QtBot, ctx: AppContext) -> None:
    wanted = stored(ctx, "the one to look at", "done", 2, minutes_ago=30)
    stored(ctx, "a newer one", "done", 1, minutes_ago=5)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    window.show_page("chat")
    chat, history = window.pages["chat"], window.pages["history"]
    try:
        qtbot.waitUntil(lambda: len(chat.conversation.past) == 2, timeout=10_000)
        entry = chat.conversation.past[0]
        assert entry.row.id == wanted
        entry.outcome.linkActivated.emit(f"history:{wanted}")
        assert window.current_key() == "history"
        qtbot.waitUntil(lambda: history.pending == 0 and history.episode is not None
                        and history.episode.id == wanted, timeout=10_000)
        assert history.selected_ids() == [wanted]
    finally:
        window.close()
