"""The agent panel says what is going on now: a pause offers Resume, a takeover offers
"I'm done", and neither leaves its words behind once it is over."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.gui.panel import AgentPanel


def test_pause_and_takeover_words_never_outlive_them(qtbot: QtBot) -> None:
    panel = AgentPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_step("Step 2: click at (10, 20)")
    panel.set_paused(True)
    assert panel.resume.isVisible() and "Resume" in panel.step.text()
    panel.set_paused(False)
    assert not panel.resume.isVisible() and panel.step.text() == "Step 2: click at (10, 20)"
    panel.set_paused(True)
    panel.set_paused(False)
    panel.set_takeover(True)
    assert panel.done.isVisible() and not panel.resume.isVisible()
    assert "Resume" not in panel.step.text() and "correction" in panel.step.text()
    panel.set_takeover(False)
    assert not panel.done.isVisible() and panel.step.text() == "Step 2: click at (10, 20)"
