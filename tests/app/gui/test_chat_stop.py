"""Stop works from every state of an episode: thinking, waiting for approval, acting — from
the Stop button, Esc, and the global hotkey (which fires the episode's stop token)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.gui.context import AppContext
from models.actions import Click, Type
from tests.app.gui.conftest import MakePage
from tests.fakes.chat_parts import FakeParts, judgment_rows


@pytest.fixture
def ctx(chat_ctx: AppContext) -> AppContext:
    return chat_ctx


@pytest.fixture
def chat(chat: MakePage) -> MakePage:
    return lambda parts: chat(parts, size=(1000, 650))


def episode(ctx: AppContext) -> tuple[str, str, list[str]]:
    def read(store: object) -> tuple[str, str, list[str]]:
        e = store.list_episodes()[0]  # type: ignore[attr-defined]
        return e.status, e.summary, [s.outcome for s in store.steps(e.id)]  # type: ignore

    return ctx.db.call(read)  # type: ignore[no-any-return]


def test_stop_while_thinking(qtbot: QtBot, chat: MakePage, ctx: AppContext) -> None:
    hold = threading.Event()  # the actor never finishes thinking on its own
    parts = FakeParts([Click(1, 1)], hold=hold)
    page = chat(parts)
    page.start_task("think forever")
    qtbot.waitUntil(lambda: page.status.text() == "Thinking", timeout=10_000)
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    status, summary, outcomes = episode(ctx)
    assert (status, summary, outcomes) == ("stopped", "stopped by the user", ["interrupted"])
    assert parts.actuator is not None and parts.actuator.executed == []
    assert page.task.isEnabled() and not page.stop_button.isEnabled()


def test_esc_while_waiting_for_approval(qtbot: QtBot, chat: MakePage, ctx: AppContext) -> None:
    parts = FakeParts([Click(1, 1)])
    page = chat(parts)
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page, timeout=5000)
    page.start_task("wait for me")
    qtbot.waitUntil(page.review.isVisible, timeout=10_000)
    qtbot.keyClick(page.review.primary, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert episode(ctx) == ("stopped", "stopped by the user", ["interrupted"])
    assert parts.actuator is not None and parts.actuator.executed == []
    assert judgment_rows(ctx) == [], "a stop is not a judgment of the step"
    assert not page.review.isVisible()


def test_the_hotkey_while_waiting_for_approval(qtbot: QtBot, chat: MakePage,
                                               ctx: AppContext) -> None:
    parts = FakeParts([Click(1, 1)])
    page = chat(parts)
    page.start_task("wait for me")
    qtbot.waitUntil(page.review.isVisible, timeout=10_000)
    page.worker.stop.stop("hotkey")  # what StopHotkey does, from its listener thread
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    status, summary, outcomes = episode(ctx)
    assert status == "stopped" and outcomes == ["interrupted"]
    assert not page.review.isVisible(), "the question closes when the episode stops"
    assert parts.actuator is not None and parts.actuator.executed == []


def test_stop_while_acting(qtbot: QtBot, chat: MakePage, ctx: AppContext) -> None:
    long_text = "a fairly long sentence to type, chunk after chunk " * 12
    parts = FakeParts([Type(long_text)], event_delay=0.05)
    page = chat(parts)
    page.approval.setCurrentIndex(page.approval.findData("never"))
    page.start_task("type a lot")
    qtbot.waitUntil(lambda: parts.actuator is not None and len(parts.actuator.sent) >= 2,
                    timeout=10_000)
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert episode(ctx) == ("stopped", "stopped by the user", ["interrupted"])
    sent = "".join(event.detail[0] for event in parts.actuator.sent)
    assert 0 < len(sent) < len(long_text), "typing stopped part-way"
    assert parts.actuator.executed == []


def test_a_new_task_runs_after_a_stop(qtbot: QtBot, chat: MakePage, ctx: AppContext) -> None:
    parts = FakeParts([Click(1, 1)])
    page = chat(parts)
    page.start_task("first")
    qtbot.waitUntil(page.review.isVisible, timeout=10_000)
    page.stop()
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    page.approval.setCurrentIndex(page.approval.findData("never"))
    assert page.start_task("second")
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert parts.actuator is not None and parts.actuator.executed == [Click(1, 1)]
    statuses = ctx.db.call(lambda store: [(e.task, e.status) for e in store.list_episodes()])
    assert statuses == [("second", "done"), ("first", "stopped")]
