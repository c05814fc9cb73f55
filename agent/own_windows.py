"""Which windows are the face's own, and giving the keyboard focus back to the person's window.

A face is what the person talks to Deskhand through: the app's windows, or for ``deskhand run``
the terminal it was started from. ``OwnWindows`` answers, from any thread, whether a point or
the keyboard focus is on one of them (input the person gives to Deskhand is never a takeover
nor part of a "let me do it" recording), and ``FocusKeeper`` makes sure the agent never looks
or acts while a face holds the keyboard focus: it gives the focus back to the window the person
last used.

The one design choice a reader must know: a window is the face's own by its process
(``_NET_WM_PID``): Deskhand's own pid for the app, and also its ancestors' for a terminal run
(the terminal emulator is the shell's parent). Every question opens nothing new per call: each
thread keeps one X connection. Where there is no X display every answer is "no" and the focus
is left alone.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

Point = tuple[int, int]
FOCUS_WAIT_S = 0.5  # how long an activation may take to show


def ancestors(pid: int) -> frozenset[int]:
    """``pid`` and the processes above it (from ``/proc``; just ``pid`` elsewhere).

    >>> os.getpid() in ancestors(os.getpid())
    True
    """
    found = {pid}
    current = pid
    for _ in range(64):
        try:
            stat = Path(f"/proc/{current}/stat").read_text(encoding="utf-8", errors="replace")
            parent = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        if parent <= 1 or parent in found:
            break
        found.add(parent)
        current = parent
    return frozenset(found)


class OwnWindows:
    """The face's windows on the X display, asked from any thread (see the module doc)."""

    def __init__(self, pids: frozenset[int]) -> None:
        self.pids = pids
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._pid_of: dict[int, int | None] = {}  # top-level window id → its app's pid

    @classmethod
    def of_app(cls) -> OwnWindows:
        return cls(frozenset({os.getpid()}))

    @classmethod
    def of_terminal(cls) -> OwnWindows:
        return cls(ancestors(os.getpid()))

    # -- questions ------------------------------------------------------------------------
    def owns(self, where: Point | None) -> bool:
        """Whether the window at ``where`` (None: the focused window) is the face's."""
        return self.at(*where) if where is not None else self.focused()

    def at(self, x: int, y: int) -> bool:
        """Whether the top-level window at (x, y) is the face's."""
        return self.owns_window(self.window_at(x, y))

    def focused(self) -> bool:
        """Whether the window with the keyboard focus is the face's."""
        return self.owns_window(self.focused_window())

    def owns_window(self, window: int | None) -> bool:
        """Whether the top-level window ``window`` belongs to the face."""
        disp = self._display()
        if window is None or disp is None:
            return False
        try:
            return self._pid(disp, window) in self.pids
        except Exception:
            return False

    def window_at(self, x: int, y: int) -> int | None:
        """The id of the top-level window at (x, y), or None."""
        disp = self._display()
        if disp is None:
            return None
        try:
            root = disp.screen().root
            child = root.translate_coords(root, int(x), int(y)).child
            return int(child.id) if child else None
        except Exception:
            return None

    def focused_window(self) -> int | None:
        """The id of the top-level window that has the keyboard focus, or None."""
        disp = self._display()
        if disp is None:
            return None
        try:
            from agent.x11 import _focused_window

            window = _focused_window(disp)
            if window is None or isinstance(window, int):
                return None
            return int(self._top(disp, window))
        except Exception:
            return None

    def activate(self, window: int) -> bool:
        """Give ``window`` the keyboard focus (through the window manager when there is one);
        True once it has it."""
        disp = self._display()
        if disp is None:
            return False
        try:
            _activate(disp, window)
        except Exception:
            return False
        deadline = time.monotonic() + FOCUS_WAIT_S
        while time.monotonic() < deadline:
            if self.focused_window() == window:
                return True
            time.sleep(0.01)
        return False

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for disp in connections:
            try:
                disp.close()
            except Exception:
                pass

    # -- plumbing -------------------------------------------------------------------------
    def _display(self) -> Any:
        disp = getattr(self._local, "display", None)
        if disp is not None or getattr(self._local, "failed", False):
            return disp
        if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
            self._local.failed = True
            return None
        try:
            from Xlib import display

            disp = display.Display()
        except Exception:
            self._local.failed = True
            return None
        self._local.display = disp
        with self._lock:
            self._connections.append(disp)
        return disp

    def _top(self, disp: Any, window: Any) -> int:
        """The top-level window (a child of the root) that holds ``window``."""
        root = disp.screen().root
        for _ in range(16):
            parent = window.query_tree().parent
            if parent is None or isinstance(parent, int) or parent.id == root.id:
                return int(window.id)
            window = parent
        return int(window.id)

    def _pid(self, disp: Any, window: Any) -> int | None:
        wid = int(window) if isinstance(window, int) else int(window.id)
        with self._lock:
            if wid in self._pid_of:
                return self._pid_of[wid]
        from agent.x11 import _client, _pid

        top = disp.create_resource_object("window", wid)
        pid = _pid(disp, _client(disp, top))
        with self._lock:
            self._pid_of[wid] = pid
        return pid


def _activate(disp: Any, window: int) -> None:
    """Ask the window manager to activate the client in top-level ``window`` (EWMH), or set
    the input focus directly when no window manager answers for it."""
    from Xlib import X
    from Xlib.protocol import event

    from agent.x11 import _client

    root = disp.screen().root
    client = _client(disp, disp.create_resource_object("window", window))
    supporting = root.get_full_property(disp.get_atom("_NET_SUPPORTING_WM_CHECK"), 0)
    if supporting is not None and supporting.value:
        message = event.ClientMessage(
            window=client, client_type=disp.get_atom("_NET_ACTIVE_WINDOW"),
            data=(32, [2, X.CurrentTime, 0, 0, 0]))  # 2: asked for by the user's tool
        root.send_event(message, event_mask=X.SubstructureRedirectMask
                        | X.SubstructureNotifyMask)
    else:
        client.set_input_focus(X.RevertToParent, X.CurrentTime)
        client.configure(stack_mode=X.Above)
    disp.sync()


class FocusKeeper:
    """Keeps the window the person last used, and hands the focus back to it before the agent
    looks or acts whenever a face window has taken it (``give_back``)."""

    def __init__(self, own: OwnWindows) -> None:
        self.own = own
        self.last: int | None = None  # the person's (or the agent's target's) window

    def note(self, window: int | None = None) -> None:
        """Remember ``window`` (default: the focused one) unless it is the face's."""
        if window is None:
            window = self.own.focused_window()
        if window is not None and not self.own.owns_window(window):
            self.last = window

    def give_back(self) -> bool:
        """If a face window (or nothing) has the focus, give it to the remembered window;
        True if it moved."""
        if self.last is None:
            return False
        current = self.own.focused_window()
        if current == self.last or (current is not None and not self.own.owns_window(current)):
            return False  # the focus is where the person left it
        return self.own.activate(self.last)
