"""Stop always works: the global hotkey and the corner failsafe cut the actuator off."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from agent.actuator import Pacing, PyAutoGuiActuator, Stopped, StopToken
from agent.control.hotkey import StopHotkey
from agent.control.xrecord import RecordedEvent
from models.actions import Action, Click, Drag, Move, Scroll, Type
from tests.agent.server_log import ServerLog
from tests.fixtures.display import XDisplay
from tests.fixtures.probe import Probe

XDOTOOL_KEYS = {"Control_L", "Alt_L", "Escape"}


@pytest.fixture
def actuator(xdisplay: XDisplay, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[PyAutoGuiActuator]:
    monkeypatch.delenv("DESKHAND_DRY_RUN", raising=False)
    real = PyAutoGuiActuator(StopToken(), pacing=Pacing(move_duration=0.01))
    yield real
    real.close()
    # out of the failsafe corner, for whichever test comes next
    subprocess.run(["xdotool", "mousemove", "960", "540"], check=True, timeout=10)


def _later(seconds: float, *command: str) -> threading.Thread:
    thread = threading.Thread(
        target=lambda: (time.sleep(seconds), subprocess.run(command, check=True, timeout=10)))
    thread.start()
    return thread


def test_a_bad_combo_is_refused_before_listening() -> None:
    with pytest.raises(ValueError, match="unknown key"):
        StopHotkey(StopToken(), "<ctrl>+<escape>")


CHORD = ("ctrl", "alt", "esc")  # the stop chord's keys as the server log names them
MODIFIER_STATE = 0x4 | 0x8 | 0x40  # Control, Mod1 (Alt), Mod4 (Super) in a key's state


def _poll(condition: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.02)
    return condition()


def _after_the_person(server: list[RecordedEvent]) -> list[RecordedEvent]:
    """The agent's presses and pointer motion that the server handled after the person's
    first key press (in the server's own order)."""
    first = next(i for i, e in enumerate(server) if e.kind == "key" and e.pressed
                 and e.label in CHORD)
    return [e for e in server[first:] if (e.kind == "motion" or e.pressed)
            and e.label not in CHORD]


@pytest.mark.display
def test_hotkey_stops_typing_and_nothing_more_arrives(probe: Probe,
                                                      actuator: PyAutoGuiActuator) -> None:
    """The person's first key of the chord (Ctrl) already halts the typing: no letter is
    typed with Ctrl or Alt held, and every letter the window gets is one the actuator logged.

    This test once failed on a loaded machine with the window's keys out of the logged order.
    The server's own record of that run showed why: Control_L went down while the agent was
    still typing, ``y`` and ``z`` reached the window as ctrl+y and ctrl+z, and Tk reported the
    Ctrl-modified ``y`` after ``z``. The defect was real (typing went on under the person's
    modifier until the chord's Esc); the check is now made in the server's order."""
    actuator.execute(Click(400, 640))  # into the entry
    actuator.pacing = Pacing(move_duration=0.0, chunk_chars=2, between_chunks=0.03)
    text = "abcdefghijklmnopqrstuvwxyz" * 6
    probe.drain()
    with ServerLog() as log, StopHotkey(actuator.stop_token):
        presser = _later(0.4, "xdotool", "key", "ctrl+alt+Escape")
        with pytest.raises(Stopped):
            actuator.execute(Type(text))
        presser.join()
        assert _poll(lambda: actuator.stop_token.stopped), "the hotkey fired"
        server = log.snapshot(settle=0.5)
    assert actuator.stop_token.reason == "hotkey"
    stopped_at = len(actuator.sent)
    sent_chars = "".join(e.detail[0] for e in actuator.sent if e.kind == "text")
    assert 0 < len(sent_chars) < len(text), "the chord cut the typing short"
    with pytest.raises(Stopped):
        actuator.execute(Move(900, 300))
    assert len(actuator.sent) == stopped_at
    assert _after_the_person(server) == [], "nothing of the agent's after the person's Ctrl"
    typed = [e.label for e in server if e.kind == "key" and e.pressed and e.label not in CHORD]
    assert typed == list(sent_chars)
    keys = [e for e in probe.drain(settle=0.3) if e["ev"] == "key"
            and e["keysym"] not in XDOTOOL_KEYS]
    assert [e["keysym"] for e in keys] == list(sent_chars)
    assert all(e["state"] & MODIFIER_STATE == 0 for e in keys), "a letter came with a modifier"
    assert not [e for e in probe.drain(settle=0.3) if e["ev"] in ("key", "motion", "press")]


def _act_until_stopped(actuator: PyAutoGuiActuator, actions: list[Action]) -> None:
    with contextlib.suppress(Stopped):
        for _ in range(50):
            for action in actions:
                actuator.execute(action)


@pytest.mark.display
@pytest.mark.parametrize("actions", [
    [Scroll(500, 300, 0, -50), Scroll(500, 300, 0, 50)],
    [Drag(100, 100, 900, 600), Drag(900, 600, 100, 100)],
    [Click(300 + 5 * i, 300, "left", 1 + i % 3) for i in range(20)],
    [Move(200 + 10 * i, 200 + 7 * i) for i in range(40)],
], ids=["scroll", "drag", "click", "move"])
def test_the_stop_chord_halts_every_kind_of_action_at_its_first_key(
        probe: Probe, actuator: PyAutoGuiActuator, actions: list[Action]) -> None:
    actuator.pacing = Pacing(move_duration=0.01, between_clicks=0.04, between_wheel=0.01,
                             drag_duration=0.5)
    with ServerLog() as log, StopHotkey(actuator.stop_token):
        presser = _later(0.4, "xdotool", "key", "ctrl+alt+Escape")
        _act_until_stopped(actuator, actions)
        presser.join()
        assert _poll(lambda: actuator.stop_token.stopped), "the hotkey fired"
        server = log.snapshot(settle=0.5)
    assert actuator.stop_token.reason == "hotkey"
    assert len(actuator.sent) > 2, "the agent was acting when the chord came"
    assert _after_the_person(server) == []
    held = [e for e in server if e.kind == "button" and e.detail == 1]
    assert len([e for e in held if e.pressed]) == len([e for e in held if not e.pressed]), (
        "no button left held")


@pytest.mark.display
def test_corner_failsafe_stops_a_sequence(probe: Probe, actuator: PyAutoGuiActuator) -> None:
    actuator.pacing = Pacing(move_duration=0.05)
    points = [(300 + 5 * i, 300 + 3 * (i % 50)) for i in range(200)]
    probe.drain()
    mover = _later(0.4, "xdotool", "mousemove", "0", "0")
    with pytest.raises(Stopped, match="failsafe"):
        for x, y in points:
            actuator.execute(Move(x, y))
    mover.join()
    assert actuator.stop_token.reason == "failsafe"
    stopped_at = len(actuator.sent)
    assert stopped_at < len(points), "the failsafe cut the sequence short"
    with pytest.raises(Stopped):
        actuator.execute(Click(500, 500))
    assert len(actuator.sent) == stopped_at
    moves = [(e["x"], e["y"]) for e in probe.drain(settle=0.5) if e["ev"] == "motion"]
    assert moves and moves[-1] == (0, 0), "nothing moved the pointer after the corner"
    location = subprocess.run(["xdotool", "getmouselocation"], capture_output=True, text=True,
                              check=True, timeout=10).stdout
    assert location.startswith("x:0 y:0 ")
