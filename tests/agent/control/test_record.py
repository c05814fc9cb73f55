""""Let me do it": what the person does is recorded as the actions they meant."""

from __future__ import annotations

import subprocess
import time

import pytest

from agent.control.record import RecorderSettings, UserActionRecorder
from agent.screen import Rect
from models.actions import Action, Click, Drag, Key, Scroll, Type, from_json, to_json
from tests.fixtures.display import XDisplay


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _click(rec: UserActionRecorder, clock: FakeClock, x: int, y: int, button: str = "left",
           after: float = 1.0) -> None:
    clock.now += after
    rec.mouse_press(x, y, button)
    rec.mouse_release(x, y, button)


def test_clicks_count_by_timing_and_place() -> None:
    clock = FakeClock()
    rec = UserActionRecorder(RecorderSettings(double_click_seconds=0.5), clock=clock)
    _click(rec, clock, 10, 10)
    _click(rec, clock, 10, 11, after=0.2)  # a double click
    _click(rec, clock, 10, 10, after=0.8)  # too late: a new click
    _click(rec, clock, 50, 50, after=0.1)  # too far: a new click
    _click(rec, clock, 50, 50, "right", after=0.1)  # another button
    assert rec.finish() == [Click(10, 10, count=2), Click(10, 10), Click(50, 50),
                            Click(50, 50, "right")]


def test_drags_scrolls_and_ignored_regions() -> None:
    clock = FakeClock()
    rec = UserActionRecorder(ignore=[Rect(1000, 0, 200, 200)], clock=clock)
    rec.mouse_release(5, 5, "left")  # the release of a press from before: ignored
    rec.mouse_press(100, 100, "left")
    rec.mouse_release(103, 102, "left")  # a shaky click is still a click
    rec.mouse_press(100, 100, "left")
    rec.mouse_release(400, 300, "left")
    for _ in range(3):
        rec.wheel(600, 400, 0, -1)
    rec.wheel(605, 401, 0, -1)
    rec.wheel(900, 400, 0, 1)  # elsewhere: a new scroll
    _click(rec, clock, 1100, 100)  # the "done" button in Deskhand's own window
    assert rec.finish() == [Click(100, 100), Drag(100, 100, 400, 300),
                            Scroll(600, 400, 0, -4), Scroll(900, 400, 0, 1)]


def test_side_buttons_make_no_click() -> None:
    """pynput and X name buttons 8 and up ``button8``...: no click action has them."""
    clock = FakeClock()
    rec = UserActionRecorder(clock=clock)
    rec.key_press("a")
    rec.mouse_press(100, 100, "left")
    rec.mouse_press(100, 100, "button8")  # a side button while the left one is down
    rec.mouse_release(100, 100, "button8")
    rec.mouse_release(100, 100, "left")
    _click(rec, clock, 50, 50, "button9")
    rec.key_press("b")
    assert rec.finish() == [Type("a"), Click(100, 100), Type("b")]


def test_folds_stay_within_the_bounds_of_one_action() -> None:
    clock = FakeClock()
    rec = UserActionRecorder(clock=clock)
    for _ in range(4):
        _click(rec, clock, 10, 10, after=0.1)  # a fourth quick click starts a new click
    for _ in range(120):
        rec.wheel(600, 400, 0, -1)  # a long wheel run: at most 50 clicks per scroll
    rec.wheel(900, 400, 0, -1)
    rec.wheel(900, 400, 0, 1)  # down and up again: nothing
    for _ in range(10_001):
        rec.key_press("a")
    done = rec.finish()
    assert done == [Click(10, 10, count=3), Click(10, 10), Scroll(600, 400, 0, -50),
                    Scroll(600, 400, 0, -50), Scroll(600, 400, 0, -20), Type("a" * 10_000),
                    Type("a")]
    assert all(from_json(to_json(a)) == a for a in done)  # what is stored reads back


def test_keys_fold_into_text_and_chords() -> None:
    rec = UserActionRecorder()
    for name in ("shift", "H", "e", "l", "o", "backspace", "l", "o", "space", "w"):
        rec.key_press(name)
    rec.key_release("shift")
    rec.key_press("enter")
    rec.key_press("ctrl")
    rec.key_press("shift")
    rec.key_press("S")
    rec.key_release("shift")
    rec.key_release("ctrl")
    rec.key_press("backspace")  # nothing typed to erase: the key itself
    rec.key_press(None)
    rec.key_press("shift")
    rec.key_press("tab")
    assert rec.finish() == [Type("Hello w"), Key(("enter",)), Key(("ctrl", "shift", "s")),
                            Key(("backspace",)), Key(("shift", "tab"))]


def test_keys_the_actuator_cannot_press_are_left_out() -> None:
    """Ctrl+é (the 2 key of AZERTY read on its first group), Ctrl+Cyrillic with no Latin
    group, F13: replay could not press them, so they are not recorded as actions that would
    never read back; what is typed around them is kept."""
    rec = UserActionRecorder()
    rec.key_press("a")
    rec.key_press("ctrl")
    for name in ("é", "Ж", "f13", "c"):
        rec.key_press(name)
    rec.key_release("ctrl")
    rec.key_press("f13")
    rec.key_press("é")
    done = rec.finish()
    assert done == [Type("a"), Key(("ctrl", "c")), Type("é")]
    assert [from_json(to_json(a)) for a in done] == done


def _xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)


@pytest.mark.display
def test_records_real_input(xdisplay: XDisplay) -> None:
    expected: list[Action] = [
        Click(300, 300), Click(500, 500, count=2), Drag(100, 100, 400, 300),
        Scroll(600, 400, 0, -3), Type("hello"), Key(("ctrl", "s"))]
    _xdotool("mousedown", "1")  # held from before "let me do it": its release is ignored
    with UserActionRecorder() as rec:
        _xdotool("mouseup", "1")
        _xdotool("mousemove", "300", "300", "click", "1")
        _xdotool("mousemove", "500", "500", "click", "--repeat", "2", "--delay", "80", "1")
        _xdotool("mousemove", "100", "100", "mousedown", "1", "mousemove", "250", "200",
                 "mousemove", "400", "300", "mouseup", "1")
        _xdotool("mousemove", "600", "400", "click", "--repeat", "3", "--delay", "30", "5")
        _xdotool("type", "--delay", "20", "helo")
        _xdotool("key", "BackSpace")
        _xdotool("type", "lo")
        _xdotool("key", "ctrl+s")
        deadline = time.monotonic() + 10
        while rec.snapshot() != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        actions = rec.finish()
    assert actions == expected


def test_x_record_is_used_on_linux_unless_another_pynput_backend_is_chosen(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from agent.control.record import uses_x_record

    for name in ("PYNPUT_BACKEND", "PYNPUT_BACKEND_KEYBOARD", "PYNPUT_BACKEND_MOUSE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert uses_x_record()
    monkeypatch.setenv("PYNPUT_BACKEND", "xorg")
    assert uses_x_record()
    monkeypatch.setenv("PYNPUT_BACKEND_KEYBOARD", "uinput")
    assert not uses_x_record()
    monkeypatch.delenv("PYNPUT_BACKEND_KEYBOARD")
    monkeypatch.setattr(sys, "platform", "win32")
    assert not uses_x_record()
