"""The accessibility probe: what it reads of the focused widget, and that it degrades to
unknown (never an error, never a stall) where AT-SPI is missing or fails."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from agent.atspi import AtspiFocusProbe
from agent.screen import FocusInfo

FOCUSED, SHOWING, ACTIVE = "focused", "showing", "active"


@dataclass
class Node:
    role: str = "panel"
    name: str = ""
    text: str | None = None
    states: set[str] = field(default_factory=lambda: {SHOWING})
    children: list[Node] = field(default_factory=list)
    pid: int = 0

    def get_child_count(self) -> int:
        return len(self.children)

    def get_child_at_index(self, i: int) -> Node:
        return self.children[i]

    def get_process_id(self) -> int:
        return self.pid

    def get_state_set(self) -> Any:
        return SimpleNamespace(contains=lambda state: state in self.states)

    def get_role_name(self) -> str:
        return self.role

    def get_name(self) -> str:
        return self.name

    def get_text_iface(self) -> Node | None:
        return self if self.text is not None else None


def fake_atspi(*apps: Node) -> Any:
    desktop = Node(children=list(apps))
    text = SimpleNamespace(get_character_count=lambda n: len(n.text),
                           get_text=lambda n, a, b: n.text[a:b])
    return SimpleNamespace(get_desktop=lambda i: desktop, StateType=SimpleNamespace(
        FOCUSED=FOCUSED, SHOWING=SHOWING, ACTIVE=ACTIVE), Text=text)


def test_the_focused_widget_of_the_app_with_the_pid_is_described() -> None:
    field_ = Node("password text", "Mot de passe", "", {FOCUSED})
    other = Node("entry", "Search", "", {FOCUSED})
    stale = Node("entry", "Old", "", {FOCUSED})  # focused in a window that is not showing
    hidden = Node("frame", children=[stale], states=set())
    active = Node("frame", children=[Node(), field_], states={SHOWING, ACTIVE})
    app = Node("application", children=[hidden, active], pid=41)
    noise = Node("application", children=[Node("frame", children=[other])], pid=42)
    probe = AtspiFocusProbe(fake_atspi(noise, app))
    assert probe.focused(41) == FocusInfo("password text", "Mot de passe", None)
    assert probe.focused(42) == FocusInfo("entry", "Search", None)
    assert probe.focused(43) is None and probe.focused(None) is None
    assert not probe.off


def test_a_terminal_gives_its_last_lines() -> None:
    screen = "bob@box:~$ sudo apt upgrade\n\n[sudo] password for bob: "
    term = Node("terminal", "Terminal", screen, {FOCUSED})
    probe = AtspiFocusProbe(fake_atspi(Node(children=[Node("frame", children=[term])], pid=7)))
    info = probe.focused(7)
    assert info is not None and info.role == "terminal"
    assert info.text_tail == "bob@box:~$ sudo apt upgrade\n[sudo] password for bob: "


def test_a_failing_bus_turns_the_probe_off_instead_of_raising() -> None:
    def broken(i: int) -> Any:
        raise TimeoutError("org.a11y.Bus timed out")

    probe = AtspiFocusProbe(SimpleNamespace(get_desktop=broken))
    assert probe.focused(1) is None
    assert probe.off and "timed out" in (probe.error or "")
    assert probe.focused(1) is None  # and it is not asked again


def test_without_pygobject_the_probe_says_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gi", None)  # import gi raises ImportError
    probe = AtspiFocusProbe()
    assert probe.focused(1) is None
    assert probe.off and "gi" in (probe.error or "")
