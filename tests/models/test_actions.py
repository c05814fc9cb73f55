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
    validate,
)
from models.typed_text import refused

coords = st.integers(min_value=-10_000, max_value=10_000)
texts = st.text(min_size=1, max_size=40).filter(lambda t: not any(map(refused, t)))
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


# -- bounds: what one action may ask for --------------------------------------------------

HUGE = 10**400


@pytest.mark.parametrize(("obj", "message"), [
    ({"type": "scroll", "x": 1, "y": 2, "dy": -10_000_000}, "at most ±50"),
    ({"type": "scroll", "x": 1, "y": 2, "dy": 51}, "at most ±50"),
    ({"type": "scroll", "x": 1, "y": 2, "dx": -51, "dy": 1}, "dx = -51"),
    ({"type": "scroll", "x": 1, "y": 2, "dy": 2.5}, "whole number"),
    ({"type": "scroll", "x": 1, "y": 2, "dy": HUGE}, "out of range"),
    ({"type": "click", "x": 1, "y": 2, "count": 4}, "count must be 1..3"),
    ({"type": "click", "x": 1, "y": 2, "count": 0}, "count must be 1..3"),
    ({"type": "click", "x": 1, "y": 2, "count": 2.5}, "whole number"),
    ({"type": "click", "x": 1, "y": 2, "count": True}, "must be a number"),
    ({"type": "click", "x": HUGE, "y": 2}, "out of range"),
    ({"type": "click", "x": 1e308, "y": 2}, "out of range"),
    ({"type": "click", "x": 40_000, "y": 2}, "beyond ±32767"),
    ({"type": "drag", "x": 1, "y": 2, "to_x": 3, "to_y": -40_000}, "to_y"),
    ({"type": "move", "x": True, "y": 2}, "must be a number"),
    ({"type": "wait", "seconds": float("inf")}, "seconds must be 0..60"),
    ({"type": "wait", "seconds": -1}, "seconds must be 0..60"),
    ({"type": "type", "text": "a" * 10_001}, "at most 10000"),
    ({"type": "done", "summary": "a" * 10_001}, "at most 10000"),
    ({"type": "shell", "command": "x" * 10_001}, "at most 10000"),
    ({"type": "type", "text": ["a"]}, "must be a string"),
    ({"type": "key", "keys": ["ctrl", "\x00"]}, "control character"),
    ({"type": "key", "keys": ["\ud800"]}, "unknown key name"),
    ('{"type": "type", "text": "a\\ud800b"}', "lone surrogate"),
    ({"type": "ask_user", "question": "\udfff?"}, "lone surrogate"),
    ({"type": ["click"], "x": 1, "y": 2}, "unknown action type ['click']"),
    ({"type": {"a": 1}}, "unknown action type"),
    ({"type": "click", "x": 1, "y": 2, 3: 4}, "unexpected field(s) ['3']"),
    ('{"type": "click", "x": ' + "9" * 5000 + ', "y": 1}', "not JSON"),  # beyond int()'s limit
    ('{"type": "click", "x": ' + "[" * 100_000, "not JSON"),  # nested too deep
])
def test_actions_beyond_the_bounds_are_refused(obj: Any, message: str) -> None:
    with pytest.raises(ActionError) as err:
        from_json(obj)
    assert message in str(err.value)
    assert len(str(err.value)) < 400  # a 10,000-character value is not repeated in the message


@pytest.mark.parametrize("action", [
    Scroll(5, 5, 0, -10_000_000), Scroll(5, 5, 51, 0), Scroll(5, 5, 0, 0), Click(40_000, 5),
    Click(5, 5, count=4), Click(5, 5, "side"), Click(1.5, 2),  # type: ignore[arg-type]
    Move(True, 0), Drag(0, 0, 0, -32_768), Type(""), Type("a" * 10_001), Key(()),
    Key(("Ctrl", "s")), Key(("ctrl", "\b")), Key(tuple("abcdef")), Wait(float("nan")),
    Wait(61.0), Done(5), Shell(" "), AskUser("?" * 10_001),  # type: ignore[arg-type]
])
def test_validate_refuses_what_from_json_would(action: Any) -> None:
    with pytest.raises(ActionError):
        validate(action)


@pytest.mark.parametrize("action", [
    Scroll(-32_767, 32_767, 50, -50), Click(0, 0, "middle", 3), Type("a" * 10_000),
    Wait(60.0), Wait(0), Key(("ctrl", "alt", "shift", "win", "t")), Done(""), AskUser(""),
])
def test_the_bounds_themselves_are_allowed(action: Any) -> None:
    assert validate(action) is action
    assert from_json(to_json(action)) == action


@given(st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=10), st.sampled_from(["click", "move", "drag", "scroll", "type", "key", "wait",
                                     "done", "fail", "ask_user", "shell"]),
    st.dictionaries(st.sampled_from(["x", "y", "to_x", "to_y", "dx", "dy", "count", "button",
                                     "text", "keys", "seconds", "summary", "command"]),
                    st.one_of(st.integers(), st.floats(), st.text(max_size=3), st.booleans()),
                    max_size=4))
def test_from_json_raises_only_action_error(junk: Any, kind: str, fields: dict[str, Any]) -> None:
    for obj in (junk, {"type": junk}, {"type": kind, **fields}, {"type": kind, "x": junk}):
        try:
            action = from_json(obj)
        except ActionError:
            continue
        assert validate(action) == action


# -- what the actuator could not carry out as shown ---------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("a\x00b\x1b[31m", "U+0000"), ("\x1b[31mred", "U+001B"), ("exit\x04", "U+0004"),
    ("ding\x07", "U+0007"), ("rm -rf ~/x\b\b\b\b\b", "U+0008"), ("a\x7f", "U+007F"),
    ("line\x85", "U+0085"), ("\x9b31m", "U+009B"), ("a\x0bb", "U+000B"), ("a\x0cb", "U+000C"),
    ("evil\u202etxt.exe", "U+202E"), ("\u2066hidden\u2069", "U+2066"), ("one\u2028two", "U+2028"),
    ("one\u2029two", "U+2029"), ("ok\u202a", "U+202A"),
])
def test_typed_text_with_a_control_or_hiding_character_is_refused(text: str, code: str) -> None:
    for action in (Type(text), Shell(text)):
        with pytest.raises(ActionError) as err:
            validate(action)
        assert code in str(err.value)
        assert all(c.isprintable() for c in str(err.value))  # no raw control byte echoed
    with pytest.raises(ActionError, match=code.replace("+", r"\+")):
        from_json({"type": "type", "text": text})


@pytest.mark.parametrize("text", [
    "plain", "two\nlines\tand a tab", "windows\r\n", "Grüße, Zoë, ça va", "emoji 🎉 👩‍💻 🏳️‍🌈",
    "東京タワー", "مرحبا \u200fبالعالم", "می\u200cخواهم", "a" * 10_000,
])
def test_readable_text_keeps_being_typed(text: str) -> None:
    assert validate(Type(text)) == Type(text)
    assert from_json(to_json(Type(text))) == Type(text)


@pytest.mark.parametrize(("keys", "message"), [
    (("ctrl", "ц"), "'ц' cannot be pressed"), (("ctrl", "東"), "'東' cannot be pressed"),
    (("ctrl", "é"), "'é' cannot be pressed"), (("ctrl", "alt", "ж"), "'ж' cannot be pressed"),
    (("é",), "'é' cannot be pressed"), (("ctrl", "f13"), "'f13' cannot be pressed"),
    (("f24",), "'f24' cannot be pressed"), (("altgr", "e"), "'altgr' cannot be pressed"),
    (("ctrl", "hyperspace"), "unknown key name"),
])
def test_keys_the_actuator_cannot_press_are_refused(keys: tuple[str, ...], message: str) -> None:
    with pytest.raises(ActionError, match=message):
        validate(Key(keys))
    with pytest.raises(ActionError):
        from_json({"type": "key", "keys": list(keys)})


@pytest.mark.parametrize("keys", [
    ("ctrl", "c"), ("ctrl", "shift", "t"), ("alt", "f4"), ("f1",), ("f12",), ("shift", "f5"),
    ("enter",), ("esc",), ("a",), ("ctrl", "+"), ("win",), ("menu",), ("ctrl", "alt", "delete"),
    ("num0",), ("capslock",),
])
def test_keys_the_actuator_presses_keep_working(keys: tuple[str, ...]) -> None:
    assert validate(Key(keys)) == Key(keys)
    assert from_json({"type": "key", "keys": "+".join(keys)}) == Key(keys)


@pytest.mark.parametrize("keys", [
    ("Ctrl", "c"), ("ctrl", "C"), ("cmd", "c"), ("ctrl", "plus"), ("ctrl", " "), ("ctrl", "\x00"),
    ("a" * 1000,), ("ctrl", "\u202e"),
])
def test_key_spellings_that_are_not_canonical_are_refused(keys: tuple[str, ...]) -> None:
    with pytest.raises(ActionError) as err:
        validate(Key(keys))
    assert all(c.isprintable() for c in str(err.value)) and len(str(err.value)) < 300


def test_typed_text_beyond_the_limit_is_refused_not_cut() -> None:
    with pytest.raises(ActionError, match="at most 10000"):
        validate(Type("a" * 100_001))
