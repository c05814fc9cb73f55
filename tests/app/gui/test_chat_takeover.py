"""A takeover pause (the person's own input paused the agent): the chat page and the panel say
so and offer Resume and Stop; the episode goes on only when Resume is pressed.

The pause is the episode's ``paused`` event, set here by the test as the takeover monitor would
on real input (``FakeParts(paused=...)``)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.gui.chat.page import ChatPage
from app.gui.context import AppContext
from models.actions import Click, Done
from tests.app.gui.conftest import MakePage
from tests.fakes.chat_parts import FakeParts


@pytest.fixture
def ctx(chat_ctx: AppContext) -> AppContext:
    return chat_ctx


@pytest.fixture
def chat(chat: MakePage) -> MakePage:
    def make(parts: FakeParts, panel: bool = False) -> ChatPage:
        page = chat(parts, size=(1000, 650), move_aside=panel, show_panel=panel)
        page.approval.setCurrentIndex(page.approval.findData("never"))  # no reviews
        return page

    return make


def paused_parts() -> tuple[FakeParts, threading.Event]:
    paused = threading.Event()
    paused.set()  # the person touched the mouse before the first step
    return FakeParts([Click(40, 50), Done("finished")], paused=paused), paused


def test_resume_clears_the_pause_and_the_episode_continues(qtbot: QtBot, chat: MakePage
                                                          ) -> None:
    parts, paused = paused_parts()
    page = chat(parts)
    page.start_task("click the button")
    qtbot.waitUntil(lambda: page.question.kind == "paused", timeout=10_000)
    assert page.question.resume.isVisible() and page.question.stop.isVisible()
    assert "press Resume" in page.question.label.text()
    assert parts.actuator is not None and parts.actuator.executed == []
    assert page.running and paused.is_set(), "nothing goes on by itself"
    qtbot.mouseClick(page.question.resume, Qt.MouseButton.LeftButton)
    assert not paused.is_set() and not page.question.isVisible()
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert parts.actuator.executed == [Click(40, 50)]
    assert page.block is not None and "Done" in page.block.outcome.text()


def test_the_panel_offers_resume_too(qtbot: QtBot, chat: MakePage) -> None:
    parts, paused = paused_parts()
    page = chat(parts, panel=True)
    page.start_task("click the button")
    qtbot.waitUntil(lambda: page.question.kind == "paused", timeout=10_000)
    panel = page.panel()
    assert panel.isVisible() and panel.resume.isVisible()
    assert "Paused" in panel.status.text()
    qtbot.mouseClick(panel.resume, Qt.MouseButton.LeftButton)
    assert not paused.is_set() and not panel.resume.isVisible()
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert parts.actuator is not None and parts.actuator.executed == [Click(40, 50)]
    assert page.resume() is False, "nothing to resume once it has ended"


def test_stop_while_paused_ends_the_episode_with_nothing_done(qtbot: QtBot,
                                                             chat: MakePage) -> None:
    parts, _paused = paused_parts()
    page = chat(parts)
    page.start_task("click the button")
    qtbot.waitUntil(lambda: page.question.kind == "paused", timeout=10_000)
    qtbot.mouseClick(page.question.stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert parts.actuator is not None and parts.actuator.executed == []
    assert page.block is not None and "Stopped" in page.block.outcome.text()
    assert not page.question.isVisible()


def test_ctrl_r_resumes(qtbot: QtBot, chat: MakePage) -> None:
    parts, paused = paused_parts()
    page = chat(parts)
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page, timeout=5000)
    page.start_task("click the button")
    qtbot.waitUntil(lambda: page.question.kind == "paused", timeout=10_000)
    qtbot.keyClick(page.question.resume, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert not paused.is_set()
    assert parts.actuator is not None and parts.actuator.executed == [Click(40, 50)]


def test_a_pause_that_comes_back_right_after_resume_offers_resume_again(
        qtbot: QtBot, chat: MakePage) -> None:
    """The loop may never see the moment between a Resume and a new pause; the page still
    shows Resume for the new pause, here and on the panel, and the episode then goes on."""
    parts, paused = paused_parts()
    page = chat(parts, panel=True)
    page.start_task("click the button")
    qtbot.waitUntil(lambda: page.question.kind == "paused", timeout=10_000)
    panel = page.panel()
    qtbot.mouseClick(panel.resume, Qt.MouseButton.LeftButton)
    paused.set()  # the person's hand again, at once
    page.taken_over.emit("the pointer moved to (5, 5)")  # as the takeover monitor says it
    qtbot.waitUntil(lambda: page.question.kind == "paused" and panel.resume.isVisible(),
                    timeout=10_000)
    assert parts.actuator is not None and parts.actuator.executed == []
    qtbot.mouseClick(panel.resume, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.running, timeout=10_000)
    assert parts.actuator.executed == [Click(40, 50)]
