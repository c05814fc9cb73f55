""""Let me do it" on X11, with real XTEST input on Xvfb: every input made before ``finish`` is
recorded, in the order the server handled it, and keys read as pynput would read them.

The races were measured with three busy Python loops beside the test: pynput's listeners
lost a click made right before ``finish`` and delivered typing before the click before it.
The short load test runs by default; the long one is marked slow.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from agent.actuator import Pacing, PyAutoGuiActuator
from agent.control.record import UserActionRecorder, uses_x_record
from agent.input_plan import canonical
from models.actions import Action, Click, Key, Type
from tests.fixtures.probe import Probe
from tests.fixtures.xhands import BusyLoops, XHands

pytestmark = [
    pytest.mark.display,
    pytest.mark.skipif(not uses_x_record(), reason="X RECORD is the recorder's way on X11"),
]
FINISH_LIMIT_S = 2.0  # a finish takes milliseconds; this is far from it, even under load


def _record(act: Callable[[], None]) -> list[Action]:
    with UserActionRecorder() as rec:
        act()
        return rec.finish()


def _chord(hands: XHands, modifiers: tuple[str, ...], key: str | int) -> None:
    for modifier in modifiers:
        hands.down(modifier)
    hands.tap(key)
    for modifier in reversed(modifiers):
        hands.up(modifier)


def _entry_text(probe: Probe) -> str | None:
    """The text in the probe window's entry once the keys sent so far have arrived."""
    texts = [e["value"] for e in probe.drain(settle=0.5) if e["ev"] == "text"]
    return texts[-1] if texts else None


def _rounds(hands: XHands, rounds: int, typed: str) -> tuple[list[object], list[float]]:
    """Rounds of a click (then ``typed``) and an immediate ``finish``: what went wrong, and
    how long each finish took."""
    wrong: list[object] = []
    took: list[float] = []
    for i in range(rounds):
        x, y = 200 + 10 * i, 300
        with UserActionRecorder() as rec:
            hands.click(x, y)
            hands.type(typed)
            started = time.monotonic()
            actions = rec.finish()
            took.append(time.monotonic() - started)
        expected = [Click(x, y)] + ([Type(typed)] if typed else [])
        if actions != expected:
            wrong.append((i, actions))
    return wrong, took


def _no_listener_left() -> list[str]:
    return [t.name for t in threading.enumerate()
            if t.name == "deskhand-record" or type(t).__module__.startswith("pynput")]


def test_a_click_right_before_finish_is_delivered_under_load(hands: XHands) -> None:
    with BusyLoops(3):
        wrong, took = _rounds(hands, 10, "")
    assert not wrong, wrong
    assert max(took) < FINISH_LIMIT_S, took
    assert not _no_listener_left()


def test_click_then_typing_comes_back_in_order_under_load(hands: XHands) -> None:
    with BusyLoops(3):
        wrong, took = _rounds(hands, 10, "ok")
    assert not wrong, wrong
    assert max(took) < FINISH_LIMIT_S, took
    assert not _no_listener_left()


@pytest.mark.slow
def test_many_rounds_under_load(hands: XHands) -> None:
    """The long version of the two tests above (the bench that found the races: 20 rounds,
    four runs)."""
    with BusyLoops(3):
        wrong, took = [], []
        for typed in ("", "ok", "", "ok"):
            w, t = _rounds(hands, 20, typed)
            wrong += w
            took += t
    assert not wrong, wrong
    assert max(took) < FINISH_LIMIT_S, took


def test_shift_leaves_nothing_held(hands: XHands) -> None:
    """Shift's release is read under Shift (another level): it must still release Shift, and
    Ctrl+Shift+S must release both, so what is typed after is plain text."""
    def act() -> None:
        hands.down("Shift_L")
        hands.tap("a")
        hands.up("Shift_L")
        hands.type("bc")
        hands.tap("Return")
        hands.down("Control_L")
        hands.down("Shift_L")
        hands.tap("s")
        hands.up("Shift_L")
        hands.up("Control_L")
        hands.type("x")
        hands.tap("Tab")

    assert _record(act) == [Type("Abc"), Key(("enter",)), Key(("ctrl", "shift", "s")),
                                   Type("x"), Key(("tab",))]


def test_shift_then_alt_reads_alt_and_releases_it(hands: XHands) -> None:
    """Alt pressed while Shift is held is Meta_L at that level; it is still Alt, and it is
    released whichever of the two is let go first."""
    def act() -> None:
        hands.down("Shift_L")
        hands.down("Alt_L")
        hands.tap("x")
        hands.up("Alt_L")
        hands.up("Shift_L")
        hands.type("y")
        hands.down("Shift_L")
        hands.down("Alt_L")
        hands.up("Shift_L")
        hands.tap("z")
        hands.up("Alt_L")
        hands.type("w")

    assert _record(act) == [Key(("alt", "shift", "x")), Type("y"), Key(("alt", "z")),
                                   Type("w")]


def test_keypad_digits_follow_num_lock(hands: XHands) -> None:
    keypad = [hands.code(k) for k in ("KP_End", "KP_Down", "KP_Begin", "KP_Insert", "KP_Delete")]

    def act() -> None:
        with hands.lock("Num_Lock", on=True):
            hands.tap(*keypad)
        with hands.lock("Num_Lock", on=False):
            hands.tap(*keypad)

    actions = [a for a in _record(act) if a != Key(("numlock",))]
    # the 5 without Num Lock is KP_Begin: pynput names no key for it, nor does the recorder
    assert actions == [Type("1250."), Key(("end",)), Key(("down",)), Key(("insert",)),
                       Key(("delete",))]


def test_shift_with_the_keypad_types_digits_in_no_case(hands: XHands) -> None:
    """X's rule (XKB's KEYPAD type): the digits with Num Lock alone; with Shift, Num Lock on
    or off, the keypad's own keys (Shift+End selects), never the digits."""
    keypad = [hands.code(k) for k in ("KP_End", "KP_Down", "KP_Begin")]

    def act() -> None:
        for on in (False, True):
            with hands.lock("Num_Lock", on=on):
                hands.down("Shift_L")
                hands.tap(*keypad)
                hands.up("Shift_L")

    actions = [a for a in _record(act) if a != Key(("numlock",))]
    assert actions == [Key(("shift", "end")), Key(("shift", "down"))] * 2


def test_shift_tab_is_recorded(hands: XHands) -> None:
    """X sends ISO_Left_Tab for Shift+Tab (previous field, previous tab, previous window):
    pynput names no key for it, and the key was dropped (ab, Shift+Tab, cd came back as
    Type('abcd')). It is tab, with Shift held: a chord the actuator presses."""
    def act() -> None:
        hands.type("ab")
        _chord(hands, ("Shift_L",), "Tab")
        hands.type("cd")
        _chord(hands, ("Control_L", "Shift_L"), "Tab")
        _chord(hands, ("Alt_L", "Shift_L"), "Tab")

    actions = _record(act)
    assert actions == [Type("ab"), Key(("shift", "tab")), Type("cd"),
                       Key(("ctrl", "shift", "tab")), Key(("alt", "shift", "tab"))]
    assert [canonical(a) for a in actions] == actions


def test_side_buttons_are_left_out(hands: XHands) -> None:
    """Buttons 8 and up (back, forward) name no click: recorded, they were
    Click(button='button8'), which no action reads back. They are left out, and a click
    or typing around them is recorded as if they were not there."""
    def act() -> None:
        hands.click(100, 100, button=8)
        hands.type("a")
        hands.click(200, 200, button=9)
        hands.type("b")
        hands.click(300, 300)

    actions = _record(act)
    assert actions == [Type("ab"), Click(300, 300)]


def test_a_cyrillic_keysym_types_the_cyrillic_letter(hands: XHands) -> None:
    """A legacy keysym (Cyrillic_ya, 0x6D1) on a spare keycode, and the same keycode remapped
    while recording (to Greek_alpha): the mapping is followed as it changes."""
    code = hands.spare_keycode()
    with hands.remapped(code, "Cyrillic_ya", "Cyrillic_YA"):
        def act() -> None:
            hands.tap(code)
            hands.down("Shift_L")
            hands.tap(code)
            hands.up("Shift_L")
            hands.remap(code, "Greek_alpha", "Greek_ALPHA")
            hands.tap(code)

        assert _record(act) == [Type("яЯα")]


def test_caps_lock_is_replayed_as_the_person_typed_it(
        hands: XHands, probe: Probe, monkeypatch: pytest.MonkeyPatch) -> None:
    """Caps Lock is recorded as a key of its own, and replay presses it: letters are named as
    pynput names them (without Lock), so the actuator types what the person typed. Named as
    they appeared (AB1c), the replay typed ab1Cd."""
    def act() -> None:
        hands.tap("Caps_Lock")
        hands.type("ab1")
        _chord(hands, ("Shift_L",), "c")
        hands.tap("Caps_Lock")
        hands.type("d")

    probe.drain()
    actions = _record(act)
    assert _entry_text(probe) == "AB1cd"  # what X typed
    assert actions == [Key(("capslock",)), Type("ab1C"), Key(("capslock",)), Type("d")]
    monkeypatch.delenv("DESKHAND_DRY_RUN", raising=False)
    actuator = PyAutoGuiActuator(pacing=Pacing(move_duration=0.01, between_chunks=0.0))
    try:
        for action in actions:
            actuator.execute(action)
    finally:
        actuator.close()
    assert _entry_text(probe) == "AB1cdAB1cd"
    assert not hands.locked("Caps_Lock")


def test_a_shortcut_in_a_second_group_is_the_first_groups_key(hands: XHands) -> None:
    """Ctrl+C, Ctrl+Shift+C, Alt+C, Super+C typed while a second (Cyrillic) group is active,
    as a Russian user copies all day: the first group's c, as applications read a shortcut,
    and a key the actuator can press (it refuses ctrl+с); typing in that group stays с."""
    key = hands.spare_keycode()
    with hands.remapped(key, "c", "C", "Cyrillic_es", "Cyrillic_ES"):
        switch = hands.spare_keycode()
        with hands.remapped(switch, "ISO_Next_Group"):
            def act() -> None:
                hands.tap(switch)  # to the second group
                try:
                    hands.tap(key)
                    for modifiers in (("Control_L",), ("Control_L", "Shift_L"), ("Alt_L",),
                                      ("Super_L",)):
                        _chord(hands, modifiers, key)
                    hands.tap(key)
                finally:
                    hands.tap(switch)  # back to the first

            actions = _record(act)
    assert actions == [Type("с"), Key(("ctrl", "c")), Key(("ctrl", "shift", "c")),
                       Key(("alt", "c")), Key(("win", "c")), Type("с")]
    assert [canonical(a) for a in actions] == actions  # what the actuator presses on replay
