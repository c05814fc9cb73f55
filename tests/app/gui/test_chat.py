"""The chat page: approving, live reasoning, Enter / Esc, and grading steps and episodes.

Real episodes run (the loop, the GUI gate, the store through the ``DbWorker``) on fake parts
(``FakeScreen``, ``RecordingActuator``, a scripted actor); the person is simulated through
the page's own widgets.
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from agent.policy import OnToken, PolicyRequest, Proposal
from app.gui.chat.page import ChatPage
from app.gui.context import AppContext
from models.actions import Click, Done, Type, dumps
from tests.app.gui.conftest import MakePage
from tests.fakes.chat_parts import FakeParts, judgment_rows


@pytest.fixture
def ctx(chat_ctx: AppContext) -> AppContext:
    return chat_ctx




def activate(qtbot: QtBot, page: ChatPage) -> None:
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page, timeout=5000)


def test_approving_writes_exactly_one_approve_judgment(qtbot: QtBot, chat: MakePage,
                                                       ctx: AppContext) -> None:
    parts = FakeParts([Click(40, 50), Done("finished")])
    page = chat(parts)
    qtbot.keyClicks(page.task, "click the button")
    qtbot.keyClick(page.task, Qt.Key.Key_Return)
    qtbot.waitUntil(page.review.isVisible, timeout=10_000)
    assert parts.actuator is not None and parts.actuator.executed == [], "nothing before yes"
    qtbot.mouseClick(page.review.primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: parts.actuator is not None and bool(parts.actuator.executed))
    assert parts.actuator.executed == [Click(40, 50)]
    assert judgment_rows(ctx) == [("approve", 0, 1.0, None, None)]
    qtbot.waitUntil(page.review.isVisible, timeout=10_000)  # the "done" is asked too
    qtbot.mouseClick(page.review.primary, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert judgment_rows(ctx) == [("approve", 0, 1.0, None, None),
                                  ("approve", 1, 1.0, None, None)]
    assert page.block is not None and len(page.block.cards) == 2
    assert "Done" in page.block.outcome.text() and "finished" in page.block.outcome.text()
    episode = ctx.db.call(lambda store: store.list_episodes()[0])
    assert (episode.task, episode.status, episode.approval_mode) == (
        "click the button", "done", "each")


class DripPolicy:
    """Streams its reasoning one token at a time, each token released by the test."""

    def __init__(self, tokens: list[str], action: Click) -> None:
        self.tokens, self.action = tokens, action
        self.release = threading.Semaphore(0)
        self.cancelled = threading.Event()

    def propose(self, request: PolicyRequest, on_token: OnToken | None = None) -> Proposal:
        if self.action is None:
            return Proposal(dumps(Done("ok")), "", Done("ok"))
        for token in self.tokens:
            while not self.release.acquire(timeout=0.02):
                if self.cancelled.is_set():
                    return Proposal("", "", None, "cancelled", cancelled=True)
            if on_token is not None:
                on_token(token)
        action, self.action = self.action, None  # type: ignore[assignment]
        return Proposal("".join(self.tokens), "".join(self.tokens), action)

    def cancel(self) -> None:
        self.cancelled.set()


def test_reasoning_streams_into_the_view_token_by_token(qtbot: QtBot, chat: MakePage) -> None:
    policy = DripPolicy(["The ", "blue ", "button ", "is ", "the ", "target."], Click(5, 5))
    page = chat(FakeParts([], policy_factory=lambda: policy), flush_ms=10)
    page.approval.setCurrentIndex(page.approval.findData("never"))
    assert page.start_task("press the blue button")
    block = page.block
    assert block is not None
    policy.release.release(2)
    qtbot.waitUntil(lambda: block.live.toPlainText() == "The blue ", timeout=10_000)
    assert block.cards == [], "the step is not over: only its reasoning so far"
    policy.release.release(1)
    qtbot.waitUntil(lambda: block.live.toPlainText() == "The blue button ", timeout=10_000)
    policy.release.release(3)
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert "The blue button is the target." in block.cards[0].reasoning.text()


def test_enter_approves_and_esc_stops(qtbot: QtBot, chat: MakePage, ctx: AppContext) -> None:
    parts = FakeParts([Click(40, 50), Type("never typed")])
    page = chat(parts)
    activate(qtbot, page)
    page.start_task("two steps")
    qtbot.waitUntil(page.review.isVisible, timeout=10_000)
    qtbot.keyClick(page.review.primary, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: parts.actuator is not None and bool(parts.actuator.executed))
    qtbot.waitUntil(lambda: page.review.isVisible() and page.review.view is not None
                    and page.review.view.index == 1, timeout=10_000)
    qtbot.keyClick(page.review.image, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert parts.actuator is not None and parts.actuator.executed == [Click(40, 50)]
    assert judgment_rows(ctx) == [("approve", 0, 1.0, None, None)]
    episode = ctx.db.call(lambda store: store.list_episodes()[0])
    assert (episode.status, episode.summary) == ("stopped", "stopped by the user")
    assert not page.review.isVisible()


def test_each_grade_writes_exactly_its_row_during_and_after_the_run(
        qtbot: QtBot, chat: MakePage, ctx: AppContext) -> None:
    parts = FakeParts([Click(40, 50), Type("hi"), Done("ok")])
    page = chat(parts)
    activate(qtbot, page)
    page.start_task("grade me")
    qtbot.waitUntil(page.review.isVisible, timeout=10_000)
    page.review.accept()
    qtbot.waitUntil(lambda: page.review.isVisible() and page.review.view is not None
                    and page.review.view.index == 1, timeout=10_000)
    block = page.block
    assert block is not None and len(block.cards) == 1
    bar = block.cards[0].rating  # grade step 1 while step 2 waits for approval
    bar.setFocus()
    qtbot.keyClick(bar, Qt.Key.Key_Plus)
    qtbot.keyClick(bar, Qt.Key.Key_3)
    qtbot.keyClick(bar, Qt.Key.Key_Plus)  # the same grade again: no new row
    qtbot.keyClick(bar, Qt.Key.Key_C)
    qtbot.keyClicks(bar.comment, "right spot")
    assert QApplication.activeWindow() is page, "else Enter could not reach the shortcut"
    qtbot.keyClick(bar.comment, Qt.Key.Key_Return)  # saves the comment; does not approve
    qtbot.waitUntil(lambda: len(judgment_rows(ctx)) == 4, timeout=10_000)
    qtbot.waitUntil(lambda: bar.status.text() == "Saved", timeout=10_000)
    assert page.review.isVisible() and parts.actuator is not None
    assert parts.actuator.executed == [Click(40, 50)], "Enter in the comment approved nothing"
    block.rating.setFocus()
    qtbot.keyClick(block.rating, Qt.Key.Key_5)  # the whole episode, during the run
    page.review.accept()
    qtbot.waitUntil(lambda: page.review.isVisible() and page.review.view is not None
                    and page.review.view.index == 2, timeout=10_000)
    page.review.accept()
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    qtbot.mouseClick(block.cards[1].rating.down, Qt.MouseButton.LeftButton)  # after the run
    qtbot.waitUntil(lambda: len(judgment_rows(ctx)) == 8, timeout=10_000)
    assert judgment_rows(ctx) == [
        ("approve", 0, 1.0, None, None),  # the approval before it ran
        ("approve", 0, 1.0, None, None),  # thumbs up after
        ("rate", 0, 3.0, None, None),
        ("comment", 0, None, None, "right spot"),
        ("rate", None, 5.0, None, None),  # the episode
        ("approve", 1, 1.0, None, None),
        ("approve", 2, 1.0, None, None),
        ("reject", 1, 0.0, None, None),
    ]


def test_an_episode_grade_is_on_the_episode(qtbot: QtBot, chat: MakePage,
                                             ctx: AppContext) -> None:
    page = chat(FakeParts([Done("nothing to do")]))
    page.approval.setCurrentIndex(page.approval.findData("never"))
    page.start_task("nothing")
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    block = page.block
    assert block is not None and block.rating.isEnabled()
    qtbot.mouseClick(block.rating.up, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: block.rating.status.text() == "Saved", timeout=10_000)
    rows = ctx.db.call(lambda store: [(j.kind, j.value, j.step_id, j.episode_id)
                                      for j in store.list_episodes()[0].judgments])
    assert rows == [("approve", 1.0, None, block.episode_id)]
