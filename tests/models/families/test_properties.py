"""Properties every family parser keeps, whatever the model writes.

No input may make a parser raise anything but ``ParseError``, nor return a point off the
monitor; and an action written by ``format_action`` reads back as the same action (up to the
rounding of one pixel of the image the model saw).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.actions import (
    Action,
    AskUser,
    Click,
    Done,
    Drag,
    Key,
    Move,
    Scroll,
    Type,
    Wait,
    points,
)
from models.families.base import FAMILY_NAMES, ParseError, get_family
from models.frames import Frame, Monitor

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

monitors = st.builds(Monitor, st.integers(-4000, 4000), st.integers(-3000, 3000),
                     st.integers(320, 5120), st.integers(240, 2880),
                     st.sampled_from([1.0, 1.25, 2.0]))
numbers = st.one_of(st.integers(0, 1400), st.integers(-3000, 6000),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
                    st.none(), st.booleans(),
                    st.lists(st.integers(-5, 2000), max_size=5))
words = st.sampled_from([
    "left_click", "right_click", "double_click", "triple_click", "middle_click", "mouse_move",
    "left_click_drag", "scroll", "hscroll", "key", "type", "wait", "terminate", "answer",
    "ask_user", "click", "left_double", "right_single", "drag", "hotkey", "finished",
    "call_user", "hover", "press", "move", "done", "fail", "shell", "move_mouse", "type_text",
    "press_key", "hot_key", "drag_mouse", "exec", "jump"])
keys = st.sampled_from(["x", "y", "to_x", "to_y", "dx", "dy", "coordinate", "start_coordinate",
                        "pixels", "time", "status", "text", "keys", "button", "count",
                        "seconds", "summary", "reason", "question", "command", "clicks", "key"])


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """Outputs shaped like each family's grammar, with arbitrary values inside."""
    args: dict[str, Any] = draw(st.dictionaries(keys, numbers, max_size=5))
    name = draw(words)
    thought = draw(st.text(max_size=30))
    box = draw(st.lists(numbers, max_size=5))
    box_text = ",".join(str(v) for v in box)
    x, y = draw(numbers), draw(numbers)
    return draw(st.sampled_from([
        f"<think>{thought}</think><answer>" + json.dumps({"type": name, "x": x, "y": y})
        + "</answer>",
        f"Thought: {thought}\nAction: {name}(start_box='({x},{y})')",
        f"{thought}<tool_call>\n" + json.dumps({"name": "computer_use",
                                                "arguments": {"action": name, **args}}),
        f"<think>{thought}</think><answer>" + json.dumps({"type": name, **args}) + "</answer>",
        "<answer>" + json.dumps({"name": name, "parameters": args}) + "</answer>",
        f"Thought: {thought}\nAction: {name}(start_box='({box_text})', "
        f"end_box='<point>{box_text}</point>', direction='{thought}')",
        f"Thought: {thought}\nAction: {name}(content='{thought}', key='{thought}')",
        f"Thought: {thought}\nAction: {name}(point='<bbox>{box_text}</bbox>')",
    ]))


outputs = st.one_of(st.text(max_size=200), near_misses())


@pytest.mark.parametrize("name", FAMILY_NAMES)
@SETTINGS
@given(text=outputs, monitor=monitors,
       cursor=st.one_of(st.none(), st.tuples(st.integers(-5000, 9000),
                                             st.integers(-5000, 9000))))
def test_parser_raises_only_parse_error_and_stays_on_screen(
        name: str, text: str, monitor: Monitor, cursor: tuple[int, int] | None) -> None:
    family = get_family(name)
    frame = family.frame(monitor)
    try:
        parsed = family.parse(text, frame, cursor)
    except ParseError:
        return
    assert isinstance(parsed.reasoning, str)
    for x, y in points(parsed.action):
        assert monitor.contains(x, y), (x, y, monitor)


@st.composite
def frame_and_action(draw: st.DrawFn) -> tuple[Frame, Action]:
    monitor = draw(monitors)
    frame = get_family("qwen25vl").frame(monitor)
    px = st.integers(monitor.left, monitor.right - 1)
    py = st.integers(monitor.top, monitor.bottom - 1)
    text = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=20)
    action: Action = draw(st.one_of(
        st.builds(Click, px, py, st.just("left"), st.integers(1, 2)),
        st.builds(Click, px, py, st.just("right"), st.just(1)),
        st.builds(Drag, px, py, px, py),
        st.builds(Scroll, px, py, st.just(0), st.sampled_from([-5, 5])),
        st.builds(Move, px, py),
        st.builds(Type, text),
        st.builds(Key, st.sampled_from([("ctrl", "c"), ("alt", "f4"), ("enter",)])),
        st.builds(Done, text),
    ))
    return frame, action


@pytest.mark.parametrize("name", FAMILY_NAMES)
@SETTINGS
@given(case=frame_and_action())
def test_format_then_parse_gives_the_action_back(name: str, case: tuple[Frame, Action]) -> None:
    family = get_family(name)
    frame0, action = case
    frame = family.frame(frame0.monitor)
    parsed = family.parse(family.format_action(action, frame, "why"), frame).action
    assert type(parsed) is type(action)
    got, want = points(parsed), points(action)
    # one pixel of the image the model saw (or of the 0-1000 grid), in screen pixels
    tol_x = math.ceil(frame.monitor.width / min(frame.image_width, 1000)) + 1
    tol_y = math.ceil(frame.monitor.height / min(frame.image_height, 1000)) + 1
    for (gx, gy), (wx, wy) in zip(got, want, strict=True):
        assert abs(gx - wx) <= tol_x and abs(gy - wy) <= tol_y
    if not want:
        assert parsed == action


def test_wait_and_ask_user_survive_every_family_in_their_own_terms() -> None:
    frame = get_family("qwen25vl").frame(Monitor(0, 0, 800, 600))
    for name in FAMILY_NAMES:
        family = get_family(name)
        for action in (Wait(5.0), AskUser("Which one?")):
            parsed = family.parse(family.format_action(action, frame, "Which one?"), frame)
            assert type(parsed.action) is type(action)
