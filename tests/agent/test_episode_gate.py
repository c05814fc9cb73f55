"""The gate inside the episode loop: what the screen says of windows reaches it, and it sees
the action before (a command typed into a terminal, then Enter, is a shell command)."""

from __future__ import annotations

import os

from agent.safety import SafetyConfig
from agent.screen import FocusInfo, Rect, WindowInfo
from agent.store.repo import Store
from models.actions import Click, Done, Key, Type
from tests.agent.test_episode import outcomes, rig
from tests.fakes.gate import ScriptedGate

FULL = Rect(0, 0, 1920, 1080)
XTERM = WindowInfo("bob@box: ~", FULL, "XTerm", "xterm", "xterm", 4101)
VAULT = WindowInfo("Passwords.kdbx", Rect(0, 0, 800, 600), "KeePassXC", "keepassxc",
                   "keepassxc", 4102)
EDITOR = WindowInfo("notes.txt", FULL, "Gedit", "gedit", "gedit", 4103)


def test_a_typed_command_then_enter_in_a_terminal_is_blocked_with_shell_off(
        store: Store) -> None:
    gate = ScriptedGate()
    r = rig(store, [Type("rm -rf ~/photos"), Key(("Return",)), Type("ls\n"), Done()],
            gate=gate, approval="never")
    r.screen.active_window, r.screen.windows = XTERM, (XTERM,)
    result = r.run()
    assert r.actuator.executed == [Type("rm -rf ~/photos")]
    assert outcomes(store, result.episode_id) == ["executed", "blocked", "blocked", "executed"]
    blocked = store.steps(result.episode_id)[1]
    assert blocked.extra is not None and "shell commands are off" in blocked.extra["blocked"]


def test_with_shell_on_the_person_is_asked_before_enter_runs_the_command(store: Store) -> None:
    gate = ScriptedGate()
    r = rig(store, [Type("make install"), Key(("KP_Enter",)), Done()], gate=gate,
            approval="never", safety=SafetyConfig(allow_shell=True))
    r.screen.active_window = XTERM
    r.run()
    assert [v.action for v in gate.reviewed] == [Key(("KP_Enter",))]
    assert any("'make install'" in flag for flag in gate.reviewed[0].flags)


def test_deny_apps_is_checked_on_the_window_under_the_click_and_the_focused_one(
        store: Store) -> None:
    r = rig(store, [Click(100, 100), Click(1000, 900), Type("hello"), Done()],
            approval="never", safety=SafetyConfig(deny_apps=("keepassxc",)))
    r.screen.active_window, r.screen.windows = EDITOR, (VAULT, EDITOR)
    result = r.run()
    assert r.actuator.executed == [Click(1000, 900), Type("hello")]
    assert outcomes(store, result.episode_id)[0] == "blocked"
    r2 = rig(store, [Type("hello"), Done()], approval="never",
             safety=SafetyConfig(deny_apps=("keepassxc",)))
    r2.screen.active_window = VAULT
    r2.run()
    assert r2.actuator.executed == []


def test_deskhands_own_window_is_never_acted_on_while_it_has_the_focus(store: Store) -> None:
    own = WindowInfo("Deskhand", FULL, "Deskhand", "deskhand", "python3", os.getpid())
    r = rig(store, [Click(10, 10), Type("x"), Key(("enter",)), Done()], approval="never")
    r.screen.active_window = own
    r.run()
    assert r.actuator.executed == []


def test_a_password_field_the_desktop_reports_is_asked_about(store: Store) -> None:
    gate = ScriptedGate()
    r = rig(store, [Type("hunter2"), Done()], gate=gate, approval="never")
    r.screen.active_window = EDITOR
    r.screen.focus = FocusInfo("password text", "Mot de passe")
    r.run()
    assert [v.action for v in gate.reviewed] == [Type("hunter2")]


def test_a_run_dialog_opened_steps_ago_still_makes_enter_a_shell_command(store: Store) -> None:
    gate = ScriptedGate()  # approves what it is asked
    r = rig(store, [Key(("alt", "F2")), Type("rm -rf "), Type("~/photos"), Key(("enter",)),
                    Done()], gate=gate, approval="never")
    r.screen.active_window = EDITOR  # the desktop shell draws the dialog: focus unchanged
    result = r.run()
    assert [v.action for v in gate.reviewed] == [Key(("alt", "F2"))]
    # executed as the gate decided on it: in canonical key names
    assert r.actuator.executed == [Key(("alt", "f2")), Type("rm -rf "), Type("~/photos")]
    blocked = store.steps(result.episode_id)[3]
    assert blocked.extra is not None and "'rm -rf ~/photos'" in blocked.extra["blocked"]
