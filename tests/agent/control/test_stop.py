"""Stop always works: the global hotkey and the corner failsafe cut the actuator off."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from agent.actuator import Pacing, PyAutoGuiActuator, Stopped, StopToken
from agent.control.hotkey import StopHotkey
from models.actions import Click, Move, Type
from tests.agent.test_actuator import Probe
from tests.fixtures.display import XDisplay

XDOTOOL_KEYS = {"Control_L", "Alt_L", "Escape"}


@pytest.fixture
def probe(xdisplay: XDisplay) -> Iterator[Probe]:
    p = Probe()
    yield p
    p.close()


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


@pytest.mark.display
def test_hotkey_stops_typing_and_nothing_more_arrives(probe: Probe,
                                                      actuator: PyAutoGuiActuator) -> None:
    actuator.execute(Click(400, 640))  # into the entry
    actuator.pacing = Pacing(move_duration=0.0, chunk_chars=2, between_chunks=0.03)
    text = "abcdefghijklmnopqrstuvwxyz" * 6
    probe.drain()
    with StopHotkey(actuator.stop_token):
        presser = _later(0.4, "xdotool", "key", "ctrl+alt+Escape")
        with pytest.raises(Stopped, match="hotkey"):
            actuator.execute(Type(text))
        presser.join()
    assert actuator.stop_token.reason == "hotkey"
    stopped_at = len(actuator.sent)
    sent_chars = "".join(e.detail[0] for e in actuator.sent if e.kind == "text")
    assert 0 < len(sent_chars) < len(text), "the hotkey cut the typing short"
    with pytest.raises(Stopped):
        actuator.execute(Move(900, 300))
    assert len(actuator.sent) == stopped_at
    keys = [e for e in probe.drain(settle=0.8) if e["ev"] == "key"]
    agent_keys = [e["keysym"] for e in keys if e["keysym"] not in XDOTOOL_KEYS]
    # every key that reached the window is one the actuator logged before the stop, in
    # order (a chunk typed while the chord's ctrl+alt are down may be swallowed as a
    # shortcut, so the window may see fewer)
    logged = iter(sent_chars)
    assert all(key in logged for key in agent_keys), (agent_keys, sent_chars)
    assert len(sent_chars) - len(agent_keys) <= 4
    assert not [e for e in probe.drain(settle=0.3) if e["ev"] in ("key", "motion", "press")]


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
