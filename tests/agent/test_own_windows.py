"""Which windows are the face's, on a real X display, and the focus given back to the person's.

Windows are made with python-xlib and carry ``_NET_WM_PID`` as real apps do: this process's
pid for "Deskhand's", another for "the person's"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.own_windows import FocusKeeper, OwnWindows, ancestors
from tests.fixtures.display import XDisplay


@pytest.fixture
def windows(xdisplay: XDisplay) -> Iterator[Any]:
    from Xlib import X, display

    disp = display.Display(xdisplay.name)
    made: list[Any] = []

    def make(x: int, y: int, pid: int) -> Any:
        root = disp.screen().root
        window = root.create_window(x, y, 200, 150, 0, disp.screen().root_depth,
                                    X.InputOutput, X.CopyFromParent,
                                    event_mask=X.StructureNotifyMask)
        window.change_property(disp.get_atom("_NET_WM_PID"), disp.get_atom("CARDINAL"), 32,
                               [pid])
        window.set_wm_class("test", "Test")
        window.map()
        disp.sync()
        made.append(window)
        return window

    yield make
    for window in made:
        window.destroy()
    disp.close()


def test_points_and_the_focus_on_the_faces_windows(windows: Any) -> None:
    mine = windows(100, 100, os.getpid())
    theirs = windows(500, 100, 1)
    own = OwnWindows.of_app()
    try:
        assert own.at(150, 150) and not own.at(550, 150) and not own.at(900, 900)
        assert own.owns((150, 150)) and not own.owns((550, 150))
        assert own.activate(theirs.id) and not own.focused() and not own.owns(None)
        assert own.activate(mine.id) and own.focused() and own.owns(None)
    finally:
        own.close()


def test_focus_goes_back_to_the_persons_window_only_from_the_face(windows: Any) -> None:
    mine = windows(100, 100, os.getpid())
    theirs = windows(500, 100, 1)
    own = OwnWindows.of_app()
    keeper = FocusKeeper(own)
    try:
        own.activate(theirs.id)
        keeper.note()
        assert keeper.last == theirs.id
        own.activate(mine.id)  # Deskhand came forward to ask
        keeper.note()  # a face window is never remembered
        assert keeper.last == theirs.id
        assert keeper.give_back() and own.focused_window() == theirs.id
        assert not keeper.give_back(), "the person's window has it: nothing to do"
    finally:
        own.close()


def test_a_terminal_run_owns_the_windows_of_the_processes_above_it() -> None:
    # a child's ancestors include this process (this test's own parent may be init, pid 1,
    # when the suite runs detached: init is never counted, its windows are not ours)
    child = subprocess.run(
        [sys.executable, "-c", "import os; from agent.own_windows import ancestors; "
         "print(sorted(ancestors(os.getpid())))"], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[2])
    above_child = set(json.loads(child.stdout))
    assert os.getpid() in above_child and 1 not in above_child
    assert ancestors(os.getpid()) <= above_child  # the whole chain up from here
    assert OwnWindows.of_terminal().pids >= ancestors(os.getpid()) >= {os.getpid()}
