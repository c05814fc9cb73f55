"""Every page at the window's default size, read back: each task, summary, reasoning, typed
text and note is shown whole and exactly as written (no ``&#x27;``, no lost ``<word>``, no
task cut to its first line), and no text on any page is elided or clipped.

The store holds episodes whose words are made to break naive display code: quotes, ``&``,
things in angle brackets, a line break, a long sentence; one more episode runs in the chat
(the real loop, with fake parts) so live step cards are on the page too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from agent.policy import Proposal
from app.gui.context import AppContext
from app.gui.window import DEFAULT_SIZE, MainWindow
from models.actions import Click, Done, Type
from tests.app.gui.readback import problems, visible_texts, words
from tests.app.gui.test_history import desktop
from tests.fakes.chat_parts import FakeParts, fake_context

TASKS = ["Open the settings menu",
         "Click 'OK' and then \"Save\"",
         "Rename notes & drafts to <archive>",
         "Write a note:\nfirst line, then a second one",
         "Find the invoice from March in the mail, download its PDF attachment and move it "
         "into the Documents folder called Taxes 2024, then tell me the total amount"]
SUMMARIES = ["opened it & closed 'the' <menu>", "pressed \"OK\"", "done", "written", "moved"]
LIVE_TASK = "Open the settings menu and check it's \"dark\" & <on>"
TYPED = "it's <bold> & done"  # angle brackets, but no tag: a real tag shown is a leak
REASONING = "The menu's at the top <left> & it's 'Settings' there"


def _seed(store: Any) -> None:
    for n, (task, summary) in enumerate(zip(TASKS, SUMMARIES, strict=True)):
        episode = store.create_episode(task, status="running")
        step = store.add_step(episode, screenshot=desktop(n), outcome="executed",
                              action={"type": "type", "text": TYPED}, reasoning=REASONING)
        store.add_judgment(kind="approve", value=1.0, step_id=step)
        store.add_judgment(kind="rate", value=4.0, step_id=step)
        store.finish_episode(episode, "done", summary=summary)


@pytest.fixture
def ctx(home: Paths) -> Iterator[AppContext]:
    context = fake_context(home)
    context.db.call(_seed)
    yield context
    context.db.close()


@pytest.fixture
def window(qtbot: QtBot, ctx: AppContext) -> Iterator[MainWindow]:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(*DEFAULT_SIZE)
    window.show()
    chat = window.chat
    chat.set_parts_factory(FakeParts([Proposal("", REASONING, Click(100, 100)), Type(TYPED),
                                      Done("finished 'it' & more")]))
    chat.approval.setCurrentIndex(chat.approval.findData("never"))
    window.show_page("chat")
    qtbot.waitUntil(lambda: chat.past_loads == 0 and len(chat.conversation.past) == len(TASKS),
                    timeout=15_000)
    chat.start_task(LIVE_TASK)
    qtbot.waitUntil(lambda: not chat.running, timeout=30_000)
    qtbot.waitUntil(lambda: chat.past_loads == 0, timeout=15_000)
    yield window
    window.close()


def _show(qtbot: QtBot, window: MainWindow, key: str) -> None:
    window.show_page(key)
    page = window.pages[key]
    qtbot.waitUntil(lambda: getattr(page, "pending", 0) == 0, timeout=15_000)
    qtbot.wait(200)  # layouts settle (wrapped labels take two passes)


def test_the_chat_shows_every_word_as_written(qtbot: QtBot, window: MainWindow) -> None:
    _show(qtbot, window, "chat")
    shown = visible_texts(window)
    for source in [*TASKS, *SUMMARIES, LIVE_TASK, REASONING]:
        assert any(words(source) in text for text in shown), f"{source!r} is not shown whole"
    assert any(words(f"type '{TYPED}'") in text or words(f'type "{TYPED}"') in text
               for text in shown), "the typed text in the step card"


def test_history_shows_every_word_as_written(qtbot: QtBot, window: MainWindow) -> None:
    _show(qtbot, window, "history")
    history = window.pages["history"]
    for row in range(len(history.model.rows)):
        history.table.selectRow(row)
        _show(qtbot, window, "history")
        shown = visible_texts(window)
        task = history.model.rows[row].task
        assert sum(words(task) in text for text in shown) >= 2, \
            f"{task!r} whole in the list and in the header"
        assert problems(window) == []


@pytest.mark.parametrize("key", ["chat", "history", "models", "training", "settings"])
def test_no_text_is_cut_or_escaped_at_the_default_size(qtbot: QtBot, window: MainWindow,
                                                        key: str) -> None:
    _show(qtbot, window, key)
    assert window.size().toTuple() == DEFAULT_SIZE
    assert problems(window) == []
