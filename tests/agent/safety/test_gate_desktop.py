"""The gate on a real X display: the observation names each window's app, so deny rules,
own windows and terminals are decided on what the desktop says (Xvfb, and openbox for a
reparenting window manager with real focus)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from agent.control.xserver import private_display, using_display, xvfb_available
from agent.safety.config import SafetyConfig
from agent.safety.gate import GateContext, SafetyGate
from agent.screen import MssScreen, Observation
from models.actions import Click, Key, Type
from tests.fixtures.display import XDisplay

TK_WINDOW = """
import sys, tkinter as tk
root = tk.Tk(className=sys.argv[1]); root.title(sys.argv[2]); root.geometry(sys.argv[3])
entry = tk.Entry(root); entry.pack()
root.after(200, lambda: (entry.focus_force(), print("ready", flush=True)))
root.mainloop()
"""
QT_WINDOW = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv[:1]); app.setApplicationName(sys.argv[1])
w = QWidget(); w.setWindowTitle(sys.argv[2]); w.setGeometry(*map(int, sys.argv[3:7])); w.show()
QTimer.singleShot(300, lambda: print("ready", flush=True))
app.exec()
"""
GATE = SafetyGate(SafetyConfig(deny_apps=("KeePassXC",)))


class Windows:
    """Windows in other processes, closed at the end."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[str]] = []

    def tk(self, app: str, title: str, geometry: str) -> None:
        self._start([sys.executable, "-c", TK_WINDOW, app, title, geometry], {}, title)

    def qt(self, app: str, title: str, rect: tuple[int, int, int, int]) -> None:
        self._start([sys.executable, "-c", QT_WINDOW, app, title, *map(str, rect)],
                    {"QT_QPA_PLATFORM": "xcb"}, title)

    def _start(self, argv: list[str], env: dict[str, str], title: str) -> None:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                                env={**os.environ, **env})
        self.procs.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", title],
                       check=True, timeout=20, stdout=subprocess.DEVNULL)

    def close(self) -> None:
        for proc in self.procs:
            proc.terminate()
            proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()


@pytest.fixture
def windows(xdisplay: XDisplay) -> Iterator[Windows]:
    made = Windows()
    yield made
    made.close()


def focus(title: str, how: str = "windowfocus") -> None:
    """Give the window the focus and wait until the X server says it has it."""
    subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title, how, "--sync"],
                   check=True, timeout=20)


def capture() -> Observation:
    screen = MssScreen()
    try:
        return screen.capture()
    finally:
        screen.close()


def verdict(action: Any, obs: Observation) -> str:
    return GATE.check(action, GateContext.from_observation(obs)).verdict


@pytest.mark.display
def test_deny_apps_sees_the_focused_window_and_the_window_under_the_click(
        windows: Windows) -> None:
    windows.tk("keepassxc", "Passwords.kdbx", "400x300+100+100")
    windows.tk("gedit", "notes.txt", "400x300+700+100")
    focus("Passwords.kdbx")
    obs = capture()
    assert obs.active_window is not None and obs.active_window.title == "Passwords.kdbx"
    assert obs.active_window.app == "Keepassxc" and obs.active_window.instance == "keepassxc"
    under = obs.window_at(300, 250)
    assert under is not None and under.app == "Keepassxc"
    assert verdict(Type("hello"), obs) == "block"  # typing goes to the password manager
    assert verdict(Key(("ctrl", "c")), obs) == "block"
    assert verdict(Click(300, 250), obs) == "block"  # on the password manager
    assert verdict(Click(900, 250), obs) == "allow"  # on the editor
    focus("notes.txt")
    obs = capture()
    assert verdict(Type("hello"), obs) == "allow"
    assert verdict(Click(300, 250), obs) == "block"  # the window under the point decides
    reasons = GATE.check(Click(300, 250), GateContext.from_observation(obs)).reasons
    assert any("'Keepassxc'" in r and "deny_apps" in r for r in reasons), reasons


@pytest.mark.display
def test_a_window_of_deskhand_is_refused_by_its_app_class_even_untitled(
        windows: Windows) -> None:
    windows.qt("Deskhand", "Chat", (200, 200, 500, 400))
    windows.tk("gedit", "notes.txt", "400x300+900+200")
    obs = capture()
    ours = obs.window_at(400, 400)
    assert ours is not None and ours.app == "Deskhand" and ours.pid is not None
    assert verdict(Click(400, 400), obs) == "block"
    assert verdict(Click(1000, 300), obs) == "allow"
    focus("Chat")
    obs = capture()
    assert verdict(Type("hi"), obs) == "block"
    assert verdict(Key(("enter",)), obs) == "block"


@pytest.mark.display
def test_a_window_of_this_process_is_refused_whatever_it_is_called(xdisplay: XDisplay) -> None:
    from Xlib import X, Xatom, display

    disp = display.Display()
    try:
        root = disp.screen().root
        window = root.create_window(300, 300, 400, 300, 0, X.CopyFromParent)
        window.set_wm_name("Untitled")
        window.set_wm_class("helper", "Helper")
        window.change_property(disp.intern_atom("_NET_WM_PID"), Xatom.CARDINAL, 32,
                               [os.getpid()])
        window.map()
        disp.sync()
        time.sleep(0.2)
        obs = capture()
        mine = obs.window_at(500, 450)
        assert mine is not None and mine.pid == os.getpid() and mine.app == "Helper"
        assert mine.process is not None
        decision = GATE.check(Click(500, 450), GateContext.from_observation(obs))
        assert decision.verdict == "block" and "Deskhand's process" in decision.reasons[0]
        window.set_input_focus(X.RevertToParent, X.CurrentTime)
        disp.sync()
        time.sleep(0.1)
        obs = capture()
        assert obs.active_window is not None and obs.active_window.pid == os.getpid()
        assert verdict(Type("x"), obs) == "block"
        window.destroy()
        disp.sync()
    finally:
        disp.close()


@pytest.mark.display
def test_a_line_and_enter_in_a_terminal_window_is_a_shell_command(windows: Windows) -> None:
    windows.tk("xterm", "bob@box: ~", "500x300+100+100")
    focus("bob@box: ~")
    obs = capture()
    assert obs.active_window is not None and obs.active_window.instance == "xterm"
    ctx = GateContext.from_observation(obs)
    assert GATE.is_terminal(ctx)
    assert GATE.check(Type("ls -la\n"), ctx).verdict == "block"
    assert GATE.check(Type("ls -la"), ctx).verdict == "allow"
    then = GateContext.from_observation(obs, previous_action=Type("ls -la"))
    assert GATE.check(Key(("Return",)), then).verdict == "block"
    assert GATE.check(Key(("ctrl", "c")), ctx).verdict == "ask"


# -- under a reparenting window manager ---------------------------------------------------
@pytest.fixture
def openbox_display() -> Iterator[str]:
    if not xvfb_available():
        pytest.skip("Xvfb is not installed (scripts/setup.sh installs it when run as root)")
    if shutil.which("openbox") is None:
        pytest.skip("openbox is not installed (scripts/setup.sh installs it when run as root)")
    with private_display(1280, 800) as name, using_display(name):
        wm = subprocess.Popen(["openbox", "--sm-disable"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        try:
            _wait_for_wm()
            yield name
        finally:
            wm.terminate()
            wm.wait(timeout=10)


def _wait_for_wm(timeout: float = 10) -> None:
    from Xlib import display

    disp = display.Display()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            check = disp.screen().root.get_full_property(
                disp.intern_atom("_NET_SUPPORTING_WM_CHECK"), 0)
            if check is not None and check.value:
                return
            time.sleep(0.1)
        raise AssertionError("openbox did not start")
    finally:
        disp.close()


@pytest.mark.display
def test_under_openbox_the_frame_belongs_to_the_app_it_frames(openbox_display: str) -> None:
    made = Windows()
    try:
        made.tk("keepassxc", "Vault", "400x300+100+100")
        made.tk("gedit", "notes.txt", "400x300+700+100")
        focus("Vault", "windowactivate")
        obs = capture()
        assert obs.active_window is not None and obs.active_window.app == "Keepassxc"
        vault = next(w for w in obs.windows if w.title == "Vault")
        assert vault.app == "Keepassxc"
        assert vault.rect.height > 300  # the frame, title bar and borders included
        top = vault.rect.top
        assert verdict(Click(300, top + 2), obs) == "block"  # on the title bar
        assert verdict(Click(300, 250), obs) == "block"
        assert verdict(Click(900, 250), obs) == "allow"
        assert verdict(Type("x"), obs) == "block"
        focus("notes.txt", "windowactivate")
        obs = capture()
        assert obs.active_window is not None and obs.active_window.title == "notes.txt"
        assert verdict(Type("x"), obs) == "allow"
    finally:
        made.close()
