"""The actuator refuses what it must never attempt, and spells every action out in groups small
enough that a stop between two of them leaves nothing running."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.actuator import RecordingActuator, Stopped, StopToken
from agent.input_plan import (
    MAX_CLICK_COUNT,
    MAX_SCROLL_CLICKS,
    Group,
    Pacing,
    plan,
    validate,
)
from models.actions import Action, ActionError, Click, Drag, Key, Move, Scroll, Type, Wait

SCREEN = (1920, 1080)


@pytest.mark.parametrize("action", [
    Scroll(500, 300, 0, -10_000_000), Scroll(500, 300, 20_000, 0),
    Scroll(500, 300, 0, MAX_SCROLL_CLICKS + 1), Scroll(500, 300, 0, True),
    Click(10, 10, count=0), Click(10, 10, count=MAX_CLICK_COUNT + 1), Click(10, 10, count=-3),
    Click(10, 10, "back"), Click(int("9" * 400), 10), Click(-1, 5), Click(1920, 5),
    Click(5, 1080), Move(5, 10**9), Drag(10, 10, 5000, 10), Click(True, 5),
    Type("ls\x04"), Type("a\x1bb"), Type("\x7f"), Type("x\x00"), Type("\ud800"),
    Type("ab\b\b"), Type("a\x85"), Type("evil\u202etxt"), Type("a\u2028b"),
    Type("a" * 10_001), Key(()), Key(("ctrl",) * 17), Key(("a", "b", "c", "d", "e", "f")),
    Key(("ctrl", "\x04")), Key(("ctrl", "hyper")), Key(("alt", "f13")), Key(("ctrl", "é")),
    Key(("ctrl", "")), Wait(float("nan")), Wait(-1), Wait(1e9), Wait(float("inf")),
])
def test_the_actuator_refuses_before_sending_anything(action: Action) -> None:
    fake = RecordingActuator(screen=SCREEN)
    with pytest.raises(ActionError):
        fake.execute(action)
    assert fake.sent == [] and fake.executed == []


def test_text_keeps_newlines_and_tabs() -> None:
    validate(Type("a\tb\nc\rd 東京 ✓ 👩\u200d💻"), SCREEN)


def test_a_scroll_is_one_group_per_wheel_click() -> None:
    steps = list(plan(Scroll(5, 6, 3, -MAX_SCROLL_CLICKS), Pacing()))
    groups = [s.events for s in steps if isinstance(s, Group)]
    assert groups[0] == (("move", (5, 6)),)
    assert groups[1:] == [(("scroll", (0, -1)),)] * MAX_SCROLL_CLICKS + [
        (("scroll", (1, 0)),)] * 3


def test_a_text_is_one_group_per_character() -> None:
    groups = [s.events for s in plan(Type("aB東\n"), Pacing()) if isinstance(s, Group)]
    assert groups == [(("text", (c,)),) for c in "aB東\n"]


@pytest.mark.parametrize("action", [Scroll(500, 300, 0, -MAX_SCROLL_CLICKS),
                                    Type("abcdefghij" * 20), Drag(10, 10, 900, 700),
                                    Click(10, 10, count=3)])
def test_a_stop_mid_action_leaves_nothing_running(action: Action) -> None:
    token = StopToken()
    fake = RecordingActuator(token, event_delay=0.002)
    done = threading.Event()

    def stop_after_some() -> None:
        while len(fake.sent) < 3 and not done.is_set():
            token.wait(0.0005)
        token.stop("test")
        stopped_at.append(len(fake.sent))

    stopped_at: list[int] = []
    stopper = threading.Thread(target=stop_after_some)
    stopper.start()
    with pytest.raises(Stopped):
        fake.execute(action)
    done.set()
    stopper.join()
    assert len(fake.sent) == stopped_at[0], "not one event after stop() returned"
    assert fake.executed == []


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.builds(Click, st.integers(), st.integers(), st.sampled_from(["left", "right", "x"]),
              st.integers(-5, 10)),
    st.builds(Scroll, st.integers(-10, 3000), st.integers(-10, 3000), st.integers(),
              st.integers()),
    st.builds(Drag, st.integers(), st.integers(), st.integers(), st.integers()),
    st.builds(Type, st.text(max_size=40)),
    st.builds(Key, st.lists(st.text(max_size=3), max_size=7).map(tuple)),
))
def test_whatever_it_is_given_a_group_is_small(action: Action) -> None:
    try:
        validate(action, SCREEN)
    except ActionError:
        return
    steps = list(plan(action, Pacing()))
    groups = [s for s in steps if isinstance(s, Group)]
    assert all(len(g.events) <= 10 for g in groups)
    assert len(groups) <= 2 * MAX_SCROLL_CLICKS + 12 or isinstance(action, Type)
    for group in groups:
        for kind, detail in group.events:
            if kind == "move":
                assert 0 <= detail[0] < SCREEN[0] and 0 <= detail[1] < SCREEN[1]
