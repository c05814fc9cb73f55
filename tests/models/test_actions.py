"""The action vocabulary's JSON form: the contract of replay files, exports and `parse`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.actions import (
    ActionError,
    AskUser,
    Click,
    Done,
    Drag,
    Fail,
    Key,
    Move,
    Scroll,
    Shell,
    Type,
    Wait,
    describe,
    dumps,
    from_json,
    points,
    to_json,
)

coords = st.integers(min_value=-10_000, max_value=10_000)
texts = st.text(min_size=1, max_size=40)
actions = st.one_of(
    st.builds(Click, coords, coords, st.sampled_from(["left", "right", "middle"]),
              st.integers(1, 3)),
    st.builds(Move, coords, coords),
    st.builds(Drag, coords, coords, coords, coords),
    st.builds(Scroll, coords, coords, st.integers(-20, 20), st.integers(1, 20)),
    st.builds(Type, texts),
    st.builds(Key, st.lists(st.sampled_from(["ctrl", "alt", "shift", "a", "f4", "enter"]),
                            min_size=1, max_size=4).map(tuple)),
    st.builds(Wait, st.floats(0, 60)),
    st.builds(Done, st.text(max_size=20)),
    st.builds(Fail, st.text(max_size=20)),
    st.builds(AskUser, st.text(max_size=20)),
    st.builds(Shell, texts.filter(lambda t: t.strip() != "")),
)


@given(actions)
def test_json_round_trip(action: Any) -> None:
    assert from_json(to_json(action)) == action
    assert from_json(dumps(action)) == action
    assert json.loads(dumps(action))["type"] == action.kind


def test_design_examples_parse() -> None:
    """The examples of DESIGN.md §3, verbatim."""
    examples = {
        '{"type": "click", "x": 300, "y": 250, "button": "left", "count": 1}':
            Click(300, 250),
        '{"type": "move", "x": 300, "y": 250}': Move(300, 250),
        '{"type": "drag", "x": 10, "y": 20, "to_x": 200, "to_y": 20}': Drag(10, 20, 200, 20),
        '{"type": "scroll", "x": 300, "y": 250, "dx": 0, "dy": -3}': Scroll(300, 250, 0, -3),
        '{"type": "type", "text": "hello"}': Type("hello"),
        '{"type": "key", "keys": ["ctrl", "s"]}': Key(("ctrl", "s")),
        '{"type": "wait", "seconds": 1.0}': Wait(1.0),
        '{"type": "done", "summary": "..."}': Done("..."),
        '{"type": "fail", "reason": "..."}': Fail("..."),
        '{"type": "ask_user", "question": "..."}': AskUser("..."),
        '{"type": "shell", "command": "..."}': Shell("..."),
    }
    for text, action in examples.items():
        assert from_json(text) == action


@pytest.mark.parametrize(("obj", "message"), [
    ({"type": "click", "x": "1", "y": 2}, "field 'x' must be a number"),
    ({"type": "click", "x": 1}, "field 'y' must be a number"),
    ({"type": "click", "x": 1, "y": 2, "button": "side"}, "button must be one of"),
    ({"type": "click", "x": 1, "y": 2, "count": 7}, "count must be 1..3"),
    ({"type": "click", "x": 1, "y": 2, "z": 3}, "unexpected field(s) ['z']"),
    ({"type": "click", "x": float("nan"), "y": 2}, "must be finite"),
    ({"type": "scroll", "x": 1, "y": 2}, "dx and dy are both 0"),
    ({"type": "type", "text": ""}, "text is empty"),
    ({"type": "key", "keys": []}, "no keys given"),
    ({"type": "key", "keys": ["ctrl", "hyperspace"]}, "unknown key name 'hyperspace'"),
    ({"type": "wait", "seconds": 3600}, "seconds must be 0..60"),
    ({"type": "shell", "command": "  "}, "command is empty"),
    ({"x": 1}, "unknown action type None"),
    ([1, 2], "must be a JSON object"),
    ("{not json", "not JSON"),
])
def test_malformed_actions_are_rejected_with_a_reason(obj: Any, message: str) -> None:
    with pytest.raises(ActionError) as err:
        from_json(obj)
    assert message in str(err.value)


@pytest.mark.parametrize(("keys", "expected"), [
    ("ctrl+s", ("ctrl", "s")), ("Ctrl+Shift+Esc", ("ctrl", "shift", "esc")),
    ("alt f4", ("alt", "f4")), ("Return", ("enter",)), ("ctrl++", ("ctrl", "+")),
    (["Control", "A"], ("ctrl", "a")), ("super", ("win",)),
])
def test_key_chords_normalise(keys: Any, expected: tuple[str, ...]) -> None:
    assert from_json({"type": "key", "keys": keys}).keys == expected  # type: ignore[union-attr]


def test_points_and_words() -> None:
    assert points(Scroll(5, 6, 0, 1)) == [(5, 6)]
    assert points(Done()) == []
    assert describe(Drag(1, 2, 3, 4)) == "drag from (1, 2) to (3, 4)"
    assert describe(Type("hi")) == "type 'hi'"
