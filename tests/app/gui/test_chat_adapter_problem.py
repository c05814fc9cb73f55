"""The chat page: an active adapter that cannot be used is shown on the page (a note of the
task being run), never only logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from agent.settings import AgentConfig
from tests.app.adapter_problem import PROBLEM, break_active_adapter, stand_in_models
from tests.app.gui.conftest import MakePage
from tests.fakes.chat_parts import FakeParts


def test_the_chat_page_shows_an_adapter_that_cannot_be_used(
        qtbot: QtBot, chat: MakePage, home: Paths, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    break_active_adapter(home, tmp_path)
    stand_in_models(monkeypatch)
    page = chat(FakeParts([]))  # the page; its episodes are not run here
    page.block = page.conversation.add_task("open the editor")
    parts = page.desktop_parts()  # the app's real parts, wired to this page
    try:
        policy, meta = parts._actor(AgentConfig(critic="off"))
    finally:
        parts.close()
    assert meta.actor_adapter is None
    notes = [label.text() for label in page.block.findChildren(QLabel)]
    assert any(PROBLEM.capitalize() in text and "the base model acts" in text
               for text in notes), notes
