"""The main window: navigation (list and Ctrl+1..5), the first-run hint, and a Stop that
works from every page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from app.gui.chat.page import ChatOptions, ChatPage
from app.gui.context import AppContext
from app.gui.pages import PAGES
from app.gui.window import MainWindow
from models.actions import Click
from tests.fakes.chat_parts import FakeParts, fake_context


@pytest.fixture
def ctx(home: Paths) -> Iterator[AppContext]:
    context = fake_context(home)
    yield context
    context.db.close()


def fake_actor(home: Paths) -> None:
    """A catalogue naming an actor (the files are never opened by these tests)."""
    home.models_dir.mkdir(parents=True, exist_ok=True)
    (home.models_dir / "catalogue.json").write_text(json.dumps({
        "version": 1, "in_use": {"actor": "demo"},
        "models": {"demo": {"family": "qwen25vl", "gguf": "demo.gguf", "mmproj": "mm.gguf",
                            "source": "tiny", "size": 1, "sha256": "0" * 64}}}))


def make_window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    return window


def shut(window: MainWindow) -> None:
    window.close()


def test_first_run_without_a_model_opens_the_models_page(qtbot: QtBot, ctx: AppContext) -> None:
    window = make_window(qtbot, ctx)
    try:
        assert window.windowTitle() == "Deskhand"
        assert window.current_key() == "models"
        assert "No model is set up yet" in window.statusBar().currentMessage()
    finally:
        shut(window)


def test_with_a_model_the_chat_comes_first_and_ctrl_digits_switch(
        qtbot: QtBot, ctx: AppContext, home: Paths) -> None:
    fake_actor(home)
    window = make_window(qtbot, ctx)
    try:
        assert window.current_key() == "chat"
        assert "No model" not in window.statusBar().currentMessage()
        assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
            spec.title for spec in PAGES]
        for number, spec in reversed(list(enumerate(PAGES, start=1))):
            qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number),
                           Qt.KeyboardModifier.ControlModifier)
            assert window.current_key() == spec.key
            assert window.nav.currentRow() == number - 1
    finally:
        shut(window)


def test_stop_is_always_visible_and_works_from_any_page(qtbot: QtBot, ctx: AppContext,
                                                        home: Paths) -> None:
    fake_actor(home)
    window = make_window(qtbot, ctx)
    try:
        chat = window.chat
        assert isinstance(chat, ChatPage)
        chat.options = ChatOptions(move_aside=False, target_marker_s=0)
        chat.set_parts_factory(FakeParts([Click(1, 1)]))
        assert window.stop_button.isVisible() and not window.stop_button.isEnabled()
        chat.start_task("wait for approval")
        qtbot.waitUntil(chat.review.isVisible, timeout=10_000)
        assert window.stop_button.isEnabled()
        window.show_page("history")
        assert window.stop_button.isVisible()
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not chat.running, timeout=10_000)
        assert not window.stop_button.isEnabled()
        # Esc, from another page, stops the next one
        window.show_page("chat")
        chat.start_task("again")
        qtbot.waitUntil(chat.review.isVisible, timeout=10_000)
        window.show_page("settings")
        qtbot.keyClick(window, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not chat.running, timeout=10_000)
        statuses = ctx.db.call(lambda store: [e.status for e in store.list_episodes()])
        assert statuses == ["stopped", "stopped"]
    finally:
        shut(window)
