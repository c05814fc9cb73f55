"""The actuator presses the canonical key the gate decided on, for every spelling (Xvfb)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from agent.actuator import Pacing, PyAutoGuiActuator
from models.actions import ActionError, Key
from models.keys import KEYSYMS, NAMED_KEYS, pyautogui_name, sendable
from tests.fixtures.display import XDisplay
from tests.fixtures.probe import Probe

PRINTABLE = "abcdefghijklmnopqrstuvwxyz0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


@pytest.fixture
def actuator(xdisplay: XDisplay, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[PyAutoGuiActuator]:
    monkeypatch.delenv("DESKHAND_DRY_RUN", raising=False)
    real = PyAutoGuiActuator(pacing=Pacing(move_duration=0.01, between_chunks=0.0))
    yield real
    real.close()


def _keysyms(events: list[dict[str, Any]]) -> list[str]:
    return [e["keysym"] for e in events if e["ev"] == "key"]


@pytest.mark.display
def test_every_sendable_key_is_the_keysym_the_table_says(xdisplay: XDisplay) -> None:
    """What pyautogui presses for each canonical name is the X keysym of ``KEYSYMS``."""
    import pyautogui  # noqa: F401  (imports its X11 backend on this display)
    from pyautogui import _pyautogui_x11 as x11
    from Xlib import XK

    disp = x11._display
    for key in sorted(NAMED_KEYS):
        if not sendable(key):
            continue
        code = x11.keyboardMapping.get(pyautogui_name(key))
        assert code, f"pyautogui cannot press {key!r}"
        syms = [disp.keycode_to_keysym(code, index) for index in range(4)]
        assert XK.string_to_keysym(KEYSYMS[key]) in syms, key
    for char in PRINTABLE:
        assert sendable(char) and x11.keyboardMapping.get(char), char


@pytest.mark.display
def test_a_chord_spelled_with_control_characters_arrives_as_the_chord(
        probe: Probe, actuator: PyAutoGuiActuator) -> None:
    probe.drain()
    actuator.execute(Key(("Super_L", "\b")))
    actuator.execute(Key(("⌃", "\x1b")))
    actuator.execute(Key(("KP_Enter",)))
    actuator.execute(Key(("Menu",)))
    keysyms = _keysyms(probe.drain())
    assert keysyms == ["Super_L", "BackSpace", "Control_L", "Escape", "Return", "Menu"], keysyms
    kinds = [(e.kind, e.detail[0]) for e in actuator.sent if e.kind.startswith("key_")]
    assert kinds[:4] == [("key_down", "win"), ("key_down", "backspace"),
                         ("key_up", "backspace"), ("key_up", "win")]


@pytest.mark.display
@pytest.mark.parametrize("keys", [("ctrl", "é"), ("ctrl", "\x04"), ("hyper", "x"),
                                  ("altgr", "e"), ("F13",), ("ctrl", "")])
def test_a_key_that_cannot_be_pressed_is_refused_and_nothing_is_sent(
        probe: Probe, actuator: PyAutoGuiActuator, keys: tuple[str, ...]) -> None:
    probe.drain()
    with pytest.raises(ActionError):
        actuator.execute(Key(keys))
    assert actuator.sent == []
    assert _keysyms(probe.drain()) == []
