"""The focused widget as the accessibility layer (AT-SPI) describes it: role, name, text tail.

``AtspiFocusProbe`` answers ``Observation.focus`` on Linux: the role of the focused widget of
the focused app (``"password text"`` is a password field, ``"terminal"`` a terminal), its
accessible name (the label a person reads) and the last lines of its text (a terminal's
prompt). It uses ``gi.repository.Atspi`` when PyGObject is installed and the accessibility
bus answers.

The one design choice a reader must know: it degrades to "unknown" (None), never to an error
or a stall — the import is tried once, AT-SPI calls get a short timeout, the search for the
focused widget is bounded (showing widgets of the active window, ``max_nodes``), and after
the first failure the probe stays off for the life of the process. The gate treats unknown
as unknown: it falls back on titles, app names and words.
"""

from __future__ import annotations

from typing import Any

from agent.screen import FocusInfo

TAIL_CHARS = 600  # text read from the end of the focused widget
TAIL_LINES = 3


class AtspiFocusProbe:
    """``focused(pid)``: the focused widget of the app whose process is ``pid``, or None.

    ``atspi``: the ``Atspi`` module (tests pass a fake); by default it is imported on first
    use.
    """

    def __init__(self, atspi: Any | None = None, max_nodes: int = 200,
                 timeout_ms: int = 250) -> None:
        self._atspi = atspi
        self._max_nodes = max_nodes
        self._timeout_ms = timeout_ms
        self.off = False
        self.error: str | None = None

    def _module(self) -> Any | None:
        if self._atspi is None:
            try:
                import gi

                gi.require_version("Atspi", "2.0")
                from gi.repository import Atspi

                Atspi.init()
                Atspi.set_timeout(self._timeout_ms, self._timeout_ms)
                self._atspi = Atspi
            except Exception as exc:  # not installed, no bus: unknown from now on
                self._stop(exc)
                return None
        return self._atspi

    def _stop(self, exc: BaseException) -> None:
        self.off, self.error = True, f"{type(exc).__name__}: {exc}"

    def focused(self, pid: int | None) -> FocusInfo | None:
        if self.off or pid is None:
            return None
        atspi = self._module()
        if atspi is None:
            return None
        try:
            node = self._find(atspi, pid)
            return None if node is None else describe(atspi, node)
        except Exception as exc:  # the bus went away or timed out: stop asking
            self._stop(exc)
            return None

    def _find(self, atspi: Any, pid: int) -> Any | None:
        desktop = atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            if app is not None and app.get_process_id() == pid:
                found = self._focused_in(atspi, app)
                if found is not None:
                    return found
        return None

    def _focused_in(self, atspi: Any, root: Any) -> Any | None:
        """Depth first through what is showing, active windows first; at most ``max_nodes``
        accessibles (each is a D-Bus round trip)."""
        states = atspi.StateType
        windows = [root.get_child_at_index(i) for i in range(root.get_child_count())]
        windows = [w for w in windows if w is not None]
        active = [w for w in windows if w.get_state_set().contains(states.ACTIVE)]
        stack, seen = list(reversed(active or windows)), 0
        while stack and seen < self._max_nodes:
            node = stack.pop()
            seen += 1
            state = node.get_state_set()
            if state.contains(states.FOCUSED):
                return node
            if not state.contains(states.SHOWING):
                continue
            for j in reversed(range(node.get_child_count())):
                child = node.get_child_at_index(j)
                if child is not None:
                    stack.append(child)
        return None


def describe(atspi: Any, node: Any) -> FocusInfo:
    """Role name, accessible name and text tail of one accessible."""
    role = node.get_role_name() or None
    name = node.get_name() or None
    tail = None
    text = node.get_text_iface()
    if text is not None:
        count = int(atspi.Text.get_character_count(text))
        content = str(atspi.Text.get_text(text, max(0, count - TAIL_CHARS), count) or "")
        lines = [line for line in content.splitlines() if line.strip()]
        tail = "\n".join(lines[-TAIL_LINES:]) or None
    return FocusInfo(role, name, tail)
