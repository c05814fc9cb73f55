"""The tray: its menu actions call the main window's hooks, Start/Stop follow the agent, the
"keep running" choice persists — and without a system tray (offscreen, bare Xvfb) nothing
breaks and closing the window still quits."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from app.gui.tray import Tray


def test_menu_actions_call_their_hooks(qtbot: QtBot, home: Paths) -> None:
    tray = Tray(home)
    calls: list[str] = []
    for name in ("show_requested", "start_requested", "stop_requested", "quit_requested"):
        getattr(tray, name).connect(lambda name=name: calls.append(name))
    tray.set_running(True, "step 3")
    tray.show_action.trigger()
    tray.stop_action.trigger()
    tray.set_running(False)
    tray.start_action.trigger()
    tray.quit_action.trigger()
    assert calls == ["show_requested", "stop_requested", "start_requested", "quit_requested"]


def test_start_and_stop_follow_the_agent_and_the_status_shows(qtbot: QtBot, home: Paths) -> None:
    tray = Tray(home)
    assert tray.start_action.isEnabled() and not tray.stop_action.isEnabled()
    tray.set_running(True)
    assert tray.stop_action.isEnabled() and not tray.start_action.isEnabled()
    tray.set_last_status("Last episode: done — rename the file (4 steps)")
    assert tray.status_action.text().startswith("Last episode: done")
    assert not tray.status_action.isEnabled(), "the status line is information, not a button"


def test_without_a_tray_messages_go_to_the_window_and_close_quits(qtbot: QtBot,
                                                                  home: Paths) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen
    tray = Tray(home)
    assert tray.icon is None and not tray.keep_action.isEnabled()
    tray.keep_action.setChecked(True)
    assert tray.keep_running() is False, "no tray to reopen from: closing must quit"
    with qtbot.waitSignal(tray.message) as got:
        tray.notify("Training finished", "actor v3 promoted")
    assert got.args == ["Training finished", "actor v3 promoted"]


def test_keep_running_persists_where_there_is_a_tray(qtbot: QtBot, home: Paths,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    tray = Tray(home)
    assert tray.icon is not None and tray.keep_running() is False
    tray.keep_action.trigger()  # check it
    assert tray.keep_running() is True
    tray.hide()
    again = Tray(home)
    assert again.keep_action.isChecked() and again.keep_running()
    assert (home.config_dir / "app.ini").is_file()
    again.keep_action.trigger()
    assert Tray(home).keep_running() is False
    again.hide()
