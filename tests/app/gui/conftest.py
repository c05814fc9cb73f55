"""Fixtures of the chat tests: an app context on a fresh home with fake parts, and a factory
of chat pages (options default to no moving aside and no target marker, so tests run fast)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from app.gui.chat.page import ChatOptions, ChatPage
from app.gui.context import AppContext
from tests.fakes.chat_parts import FakeParts, fake_context

MakePage = Callable[..., ChatPage]


@pytest.fixture
def chat_ctx(home: Paths) -> Iterator[AppContext]:
    context = fake_context(home)
    yield context
    context.db.close()


@pytest.fixture
def chat(qtbot: QtBot, chat_ctx: AppContext) -> Iterator[MakePage]:
    """``chat(parts, **ChatOptions fields)`` builds, sizes and shows a page; all are shut down
    at the end of the test."""
    pages: list[ChatPage] = []

    def make(parts: FakeParts, size: tuple[int, int] = (1100, 700),
             **options: object) -> ChatPage:
        chosen = {"move_aside": False, "target_marker_s": 0, **options}
        page = ChatPage(chat_ctx, parts, ChatOptions(**chosen))  # type: ignore[arg-type]
        qtbot.addWidget(page)
        page.resize(*size)
        page.show()
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.shutdown()


@pytest.fixture
def ctx(home: Paths, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppContext]:
    """The app's context on a fresh home with its real config and database worker; pages
    that start ``deskhand`` subprocesses (Train now) find the package through PYTHONPATH."""
    from app.config import load_config
    from app.gui.worker import DbWorker

    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[3]))
    config = load_config(home.config_file)
    worker = DbWorker(home, config.store)
    yield AppContext(home, config, worker)
    worker.close()
