"""The actuator: every action arrives at a real X window exactly as asked; stop cuts in."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from agent.actuator import (
    DryRunError,
    Pacing,
    PyAutoGuiActuator,
    RecordingActuator,
    Stopped,
    StopToken,
    TakenOver,
)
from models.actions import ActionError, Click, Drag, Key, Move, Scroll, Type, Wait
from tests.fixtures.display import XDisplay
from tests.fixtures.probe import Probe


@pytest.fixture
def actuator(xdisplay: XDisplay, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[PyAutoGuiActuator]:
    monkeypatch.delenv("DESKHAND_DRY_RUN", raising=False)
    real = PyAutoGuiActuator(pacing=Pacing(move_duration=0.01, between_chunks=0.0))
    yield real
    real.close()


def _presses(events: list[dict[str, Any]]) -> list[tuple[str, int, int, int]]:
    return [(e["ev"], e["b"], e["x"], e["y"]) for e in events if e["ev"] in ("press", "release")]


@pytest.mark.display
def test_clicks_land_on_the_exact_pixel(probe: Probe, actuator: PyAutoGuiActuator) -> None:
    probe.drain()
    actuator.execute(Click(123, 457))
    actuator.execute(Click(300, 200, "right"))
    actuator.execute(Click(50, 60, "left", 2))
    assert _presses(probe.drain()) == [
        ("press", 1, 123, 457), ("release", 1, 123, 457),
        ("press", 3, 300, 200), ("release", 3, 300, 200),
        ("press", 1, 50, 60), ("release", 1, 50, 60), ("press", 1, 50, 60),
        ("release", 1, 50, 60)]


@pytest.mark.display
def test_drag_holds_the_button_from_start_to_end(probe: Probe,
                                                 actuator: PyAutoGuiActuator) -> None:
    probe.drain()
    actuator.execute(Drag(100, 100, 400, 300))
    events = probe.drain()
    assert _presses(events) == [("press", 1, 100, 100), ("release", 1, 400, 300)]
    held = [e for e in events if e["ev"] == "motion" and e["s"] & 0x100]  # Button1Mask
    assert held and held[-1]["x"] == 400 and held[-1]["y"] == 300


@pytest.mark.display
def test_scroll_direction(probe: Probe, actuator: PyAutoGuiActuator) -> None:
    probe.drain()
    actuator.execute(Scroll(500, 300, 0, -3))  # down
    actuator.execute(Scroll(500, 300, 0, 2))  # up
    presses = [e["b"] for e in probe.drain() if e["ev"] == "press"]
    assert presses == [5, 5, 5, 4, 4]


@pytest.mark.display
def test_types_unicode_text_and_key_chords(probe: Probe, actuator: PyAutoGuiActuator) -> None:
    actuator.execute(Click(400, 640))  # into the entry
    text = "Grüße, naïve café — 東京 ✓"
    actuator.execute(Type(text))
    probe.wait_for(lambda e: e["ev"] == "text" and e["value"] == text)
    probe.drain()
    actuator.execute(Key(("ctrl", "shift", "x")))
    keys = [e for e in probe.drain() if e["ev"] == "key"]
    x = [e for e in keys if e["keysym"].lower() == "x"]
    assert x and x[0]["state"] & 0x4 and x[0]["state"] & 0x1  # Control and Shift held


@pytest.mark.display
def test_stop_mid_typing_sends_nothing_more(probe: Probe,
                                            actuator: PyAutoGuiActuator) -> None:
    actuator.execute(Click(400, 640))
    actuator.pacing = Pacing(move_duration=0.0, chunk_chars=2, between_chunks=0.05)
    text = "abcdefghijklmnopqrstuvwxyz" * 4
    timer = threading.Timer(0.3, actuator.stop_token.stop, args=("test",))
    timer.start()
    with pytest.raises(Stopped):
        actuator.execute(Type(text))
    stopped_at = len(actuator.sent)
    typed = probe.drain(settle=0.5)
    last = [e["value"] for e in typed if e["ev"] == "text"][-1]
    assert 0 < len(last) < len(text), "the stop cut the typing short"
    assert text.startswith(last)
    with pytest.raises(Stopped):
        actuator.execute(Move(10, 10))
    assert len(actuator.sent) == stopped_at
    assert not [e for e in probe.drain() if e["ev"] in ("motion", "key", "press")]


def test_dry_run_refuses_the_real_actuator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKHAND_DRY_RUN", "1")
    with pytest.raises(DryRunError):
        PyAutoGuiActuator()


def test_recording_actuator_honours_stop_and_wait() -> None:
    token = StopToken()
    fake = RecordingActuator(token)
    fake.execute(Click(1, 2, count=2))
    assert [e.kind for e in fake.sent] == ["move", "down", "up", "down", "up"]
    threading.Timer(0.05, token.stop).start()
    started = time.monotonic()
    with pytest.raises(Stopped):
        fake.execute(Wait(30))
    assert time.monotonic() - started < 25, "a stop wakes a wait"
    with pytest.raises(Stopped):
        fake.execute(Type("x"))
    assert fake.executed == [Click(1, 2, count=2)]


def _xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)


def _later(seconds: float, *args: str) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), _xdotool(*args)))
    thread.start()
    return thread


@pytest.mark.display
def test_a_stop_mid_scroll_sends_no_more_wheel_clicks(probe: Probe,
                                                      actuator: PyAutoGuiActuator) -> None:
    actuator.pacing = Pacing(move_duration=0.0, between_wheel=0.02)
    probe.drain()
    sent_before = len(actuator.sent)
    timer = threading.Timer(0.2, actuator.stop_token.stop, args=("test",))
    timer.start()
    with pytest.raises(Stopped):
        actuator.execute(Scroll(500, 300, 0, -50))
    timer.join()
    logged = [e for e in actuator.sent[sent_before:] if e.kind == "scroll"]
    wheel = [e for e in probe.drain(settle=0.5) if e["ev"] == "press"]
    assert 0 < len(logged) < 50, "the stop cut the scroll short"
    assert len(wheel) == len(logged) and {e["b"] for e in wheel} == {5}


@pytest.mark.display
def test_a_huge_scroll_is_refused_whole(probe: Probe, actuator: PyAutoGuiActuator) -> None:
    probe.drain()
    with pytest.raises(ActionError):
        actuator.execute(Scroll(500, 300, 0, -10_000_000))
    with pytest.raises(ActionError):
        actuator.execute(Click(500, 10**400))
    assert actuator.sent == []
    assert not [e for e in probe.drain() if e["ev"] in ("press", "motion")]


@pytest.mark.display
def test_the_corner_failsafe_cuts_a_long_text_short(probe: Probe,
                                                    actuator: PyAutoGuiActuator) -> None:
    actuator.execute(Click(400, 640))
    actuator.pacing = Pacing(move_duration=0.0, chunk_chars=2, between_chunks=0.02)
    text = "abcdefghijklmnopqrstuvwxyz" * 16  # 416 characters
    probe.drain()
    mover = _later(0.3, "mousemove", "0", "0")
    try:
        with pytest.raises(Stopped, match="failsafe"):
            actuator.execute(Type(text))
    finally:
        mover.join()
        _xdotool("mousemove", "960", "540")
    assert actuator.stop_token.reason == "failsafe"
    last = [e["value"] for e in probe.drain(settle=0.5) if e["ev"] == "text"][-1]
    assert 0 < len(last) < len(text) and text.startswith(last)


@pytest.mark.display
@pytest.mark.parametrize("held", ["ctrl", "alt", "shift", "super", "Control_R",
                                  "ISO_Level3_Shift"])
def test_nothing_is_sent_while_a_person_holds_a_modifier(
        probe: Probe, actuator: PyAutoGuiActuator, held: str) -> None:
    actuator.execute(Click(400, 640))
    actuator.pacing = Pacing(move_duration=0.0, release_grace=0.1)
    probe.drain()
    _xdotool("keydown", held)
    try:
        for action in (Type("ab"), Key(("x",)), Click(300, 300), Scroll(300, 300, 0, 2)):
            with pytest.raises(TakenOver, match="took over"):
                actuator.execute(action)
    finally:
        _xdotool("keyup", held)
    events = probe.drain()
    assert [e for e in events if e["ev"] in ("press", "motion")] == []
    assert all(e["keysym"] not in ("a", "b", "x") for e in events if e["ev"] == "key")
    actuator.execute(Type("ok"))  # once let go, the agent acts again
    probe.wait_for(lambda e: e["ev"] == "text" and e["value"].endswith("ok"))


@pytest.mark.display
def test_a_key_held_when_the_action_starts_gets_a_moment_to_go_up(
        probe: Probe, actuator: PyAutoGuiActuator) -> None:
    actuator.execute(Click(400, 640))
    actuator.pacing = Pacing(move_duration=0.0, release_grace=5.0)
    probe.drain()
    _xdotool("keydown", "Return")
    releaser = _later(0.3, "keyup", "Return")
    actuator.execute(Type("go"))
    releaser.join()
    keys = [e for e in probe.drain() if e["ev"] == "key" and e["keysym"] in "go"]
    assert [e["keysym"] for e in keys] == ["g", "o"] and all(e["state"] == 0 for e in keys)


@pytest.mark.display
def test_a_button_the_person_holds_stops_a_click(probe: Probe,
                                                 actuator: PyAutoGuiActuator) -> None:
    actuator.pacing = Pacing(move_duration=0.0, release_grace=0.1)
    _xdotool("mousemove", "700", "300", "mousedown", "1")
    probe.drain()
    try:
        with pytest.raises(TakenOver, match="button held"):
            actuator.execute(Click(700, 300, "right"))
    finally:
        _xdotool("mouseup", "1")
    assert not [e for e in probe.drain() if e["ev"] == "press"]


@pytest.mark.display
def test_a_drag_cut_short_by_the_person_lets_go_of_the_button(
        probe: Probe, actuator: PyAutoGuiActuator) -> None:
    actuator.pacing = Pacing(move_duration=0.0, drag_duration=2.0)
    probe.drain()
    presser = _later(0.5, "key", "q")
    with pytest.raises(TakenOver, match="key q pressed"):
        actuator.execute(Drag(100, 100, 900, 600))
    presser.join()
    events = probe.drain(settle=0.5)
    assert _presses(events)[0] == ("press", 1, 100, 100)
    assert _presses(events)[-1][:2] == ("release", 1)
    assert actuator.sent[-1].kind == "release"
    assert not (subprocess.run(["xdotool", "getmouselocation"], capture_output=True,
                               text=True, check=True).stdout.startswith("x:900 y:600"))
