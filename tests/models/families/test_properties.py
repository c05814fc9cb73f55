"""Properties every family parser keeps, whatever the model writes.

No input may make a parser raise anything but ``ParseError``, nor return a point off the
monitor or an action beyond the vocabulary's bounds; garbage in a required field is never an
action; and an action written by ``format_action`` reads back as the same action (up to the
rounding of one pixel of the image the model saw). ``test_fuzz`` runs the same checks over a
fixed corpus of 12,000 cases per family; these explore around it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
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
    to_json,
    validate,
)
from models.families.base import FAMILY_NAMES, ParseError, get_family
from models.families.critic import parse_verdict
from models.frames import Frame, Monitor
from models.typed_text import refused

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

monitors = st.builds(Monitor, st.integers(-4000, 4000), st.integers(-3000, 3000),
                     st.integers(320, 5120), st.integers(240, 2880),
                     st.sampled_from([1.0, 1.25, 2.0]))
# monitors anywhere a frame allows, even where no action can be (beyond ±32767); the
# families' resize rules refuse aspect ratios beyond 200:1, so such screens are left out
edges = st.integers(-(1 << 20), 1 << 20)
far_monitors = st.builds(Monitor, edges, edges, st.integers(1, 1 << 14), st.integers(1, 1 << 14),
                         st.sampled_from([0.5, 1.0, 3.0])).filter(
    lambda m: max(m.width, m.height) <= 200 * min(m.width, m.height))
json_junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=8)
numbers = st.one_of(st.integers(0, 1400), st.integers(-3000, 6000), st.integers(),
                    st.integers(min_value=10**15, max_value=10**600),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
                    st.none(), st.booleans(),
                    st.lists(st.integers(-5, 2000), max_size=5), json_junk)
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
cursors = st.one_of(st.none(), st.tuples(st.integers(-5000, 9000), st.integers(-5000, 9000)),
                    st.tuples(st.integers(), st.integers()))


@pytest.mark.parametrize("name", FAMILY_NAMES)
@SETTINGS
@given(text=outputs, monitor=st.one_of(monitors, far_monitors), cursor=cursors,
       image=st.one_of(st.none(), st.tuples(st.integers(1, 5000), st.integers(1, 5000))))
def test_parser_raises_only_parse_error_and_stays_on_screen(
        name: str, text: str, monitor: Monitor, cursor: tuple[int, int] | None,
        image: tuple[int, int] | None) -> None:
    family = get_family(name)
    frame = family.frame(monitor, image)
    try:
        parsed = family.parse(text, frame, cursor)
    except ParseError:
        return
    assert isinstance(parsed.reasoning, str)
    assert validate(parsed.action) == parsed.action
    for x, y in points(parsed.action):
        assert monitor.contains(x, y), (x, y, monitor)


# -- garbage in a field the action needs is never an action --------------------------------

# JSON number literals a model never writes for a coordinate: exponents, constants, bools,
# more than 15 digits, placeholders, unicode digits, nested junk
bad_json_numbers = st.one_of(
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-999, 999), st.integers(-20, 20)),
    st.builds(lambda m, e: f"{m}.5E+{e}", st.integers(0, 999), st.integers(0, 20)),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "true", "false", "null"]),
    st.integers(min_value=10**16, max_value=10**600).map(str),
    st.from_regex(r"\A[a-z]{1,3}[0-9]?\Z").map(json.dumps),
    st.text(st.characters(whitelist_categories=["Nd"]), min_size=1, max_size=4)
    .filter(lambda t: not t.isascii()).map(json.dumps),
    json_junk.filter(lambda v: isinstance(v, (list, dict, str))).map(json.dumps),
)
# point texts that are not one point or box of plain numbers, for UI-TARS
bad_tokens = st.one_of(
    st.from_regex(r"\A[a-z][a-z0-9]{0,2}\Z"), st.builds(lambda m, e: f"{m}e{e}",
                                                       st.integers(0, 999), st.integers(0, 9)),
    st.sampled_from(["nan", "inf", "", "+5", "1_0", "0x1f"]),
    st.text(st.characters(whitelist_categories=["Nd"]), min_size=1, max_size=3)
    .filter(lambda t: not t.isascii()),
    st.integers(min_value=10**16, max_value=10**600).map(str))
bad_points = st.builds(
    lambda wrap, a, b, swap: wrap.format(*((b, a) if swap else (a, b))),
    st.sampled_from(["({},{})", "<|box_start|>({},{})<|box_end|>", "[{},{}]",
                     "<point>{} {}</point>", "({},{},10,10)"]),
    bad_tokens, st.integers(0, 700).map(str), st.booleans())


@st.composite
def garbage_outputs(draw: st.DrawFn, name: str) -> str:
    """An output in the family's own grammar with one required field broken."""
    thought = draw(st.text(st.characters(blacklist_characters="{}<>'\"\\"), max_size=20))
    if name == "uitars":
        call = draw(st.sampled_from(["click(start_box='{}')", "left_double(point='{}')",
                                     "drag(start_box='(5,5)', end_box='{}')",
                                     "scroll(start_box='{}', direction='up')"]))
        return f"Thought: {thought}\nAction: {call.format(draw(bad_points))}"
    if name == "uivenus":
        call = draw(st.sampled_from(["Click(box={})", "DoubleClick(box={})", "Hover(box={})",
                                     "Drag(start=(5,5), end={})", "Drag(start={}, end=(5,5))"]))
        bad_arg = draw(st.one_of(bad_points, st.sampled_from(["", "(5,5", "5,5", "'(5,5)'"])))
        action = draw(st.one_of(st.just(call.format(bad_arg)), st.builds(
            "Scroll(direction={})".format, st.sampled_from(["'sideways'", "'down or up'", "",
                                                            "down", "'5'"])), st.builds(
            "Hotkey(keys={})".format, st.sampled_from(["'ctrl'", "[]", "['hyper']", "[ctrl]",
                                                      "['a', 'b', 'c', 'd', 'e', 'f']"]))))
        return f"<think>{thought}</think><action>{action}</action>"
    bad = draw(bad_json_numbers)
    pair = draw(st.sampled_from(["[{}, 10]", "[10, {}]"])).format(bad)
    if name == "deskhand":
        obj = draw(st.sampled_from([
            f'{{"type": "click", "x": {bad}, "y": 10}}', f'{{"type": "move", "x": 10, "y": {bad}}}',
            f'{{"type": "scroll", "x": 10, "y": 10, "dy": {bad}}}',
            f'{{"type": {bad}, "x": 10, "y": 10}}',
            f'{{"name": "click", "parameters": {{"x": {bad}, "y": 10}}}}']))
        return f"<think>{thought}</think><answer>{obj}</answer>"
    args = draw(st.sampled_from([
        f'{{"action": "left_click", "coordinate": {pair}}}',
        f'{{"action": "left_click_drag", "start_coordinate": [1, 1], "coordinate": {pair}}}',
        f'{{"action": "scroll", "coordinate": [10, 10], "pixels": {bad}}}',
        f'{{"action": {bad}, "coordinate": [10, 10]}}',
        f'{{"action": "terminate", "status": {bad}}}']))
    return f'{thought}<tool_call>\n{{"name": "computer_use", "arguments": {args}}}\n</tool_call>'


@pytest.mark.parametrize("name", FAMILY_NAMES)
@SETTINGS
@given(data=st.data(), monitor=monitors, cursor=cursors)
def test_garbage_in_a_required_field_is_never_an_action(
        name: str, data: st.DataObject, monitor: Monitor, cursor: tuple[int, int] | None) -> None:
    family = get_family(name)
    text = data.draw(garbage_outputs(name))
    with pytest.raises(ParseError):
        family.parse(text, family.frame(monitor), cursor)


@SETTINGS
@given(bad=st.one_of(bad_tokens, st.builds(lambda n: f"-{n}", st.integers(1, 10**9)),
                     st.integers(251, 10**9).map(str)),
       form=st.sampled_from(["<score>{}</score>", "<think>ok</think><score>{}", "Score: {}"]))
def test_a_score_that_is_not_a_score_is_never_a_verdict(bad: str, form: str) -> None:
    with pytest.raises(ParseError):
        parse_verdict(form.format(bad))


@st.composite
def frame_and_action(draw: st.DrawFn) -> tuple[Frame, Action]:
    monitor = draw(monitors)
    frame = get_family("qwen25vl").frame(monitor)
    px = st.integers(monitor.left, monitor.right - 1)
    py = st.integers(monitor.top, monitor.bottom - 1)
    text = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1,
                   max_size=20).filter(lambda t: not any(map(refused, t)))
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


# What a family's published action space has no words for (UI-Venus-1.5 has no right click),
# and the families whose scroll names a direction only, so it turns the wheel at the pointer.
CANNOT_SAY = {"uivenus": lambda a: isinstance(a, Click) and a.button != "left"}
SCROLLS_AT_POINTER = {"uivenus"}


@pytest.mark.parametrize("name", FAMILY_NAMES)
@SETTINGS
@given(case=frame_and_action())
def test_format_then_parse_gives_the_action_back(name: str, case: tuple[Frame, Action]) -> None:
    family = get_family(name)
    frame0, action = case
    frame = family.frame(frame0.monitor)
    if CANNOT_SAY.get(name, lambda _: False)(action):
        with pytest.raises(ParseError):  # refused, never written as some other action
            family.format_action(action, frame, "why")
        return
    cursor = points(action)[0] if isinstance(action, Scroll) and name in SCROLLS_AT_POINTER \
        else None
    parsed = family.parse(family.format_action(action, frame, "why"), frame, cursor).action
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


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_the_pointer_is_used_only_when_it_is_a_pixel_on_the_monitor(name: str) -> None:
    family = get_family(name)
    frame = family.frame(Monitor(0, 0, 800, 600))
    text = {"uitars": "Thought: x\nAction: scroll(direction='down')",
            "deskhand": '<answer>{"name": "scroll", "parameters": {"clicks": -2}}</answer>',
            "uivenus": "<think>x</think><action>Scroll(direction='down')</action>",
            }.get(name, '<tool_call>\n{"name": "computer_use", "arguments": {"action": '
                        '"scroll", "pixels": -2}}\n</tool_call>')
    for cursor in ((10, 20), [10, 20], (np.int64(10), np.int32(20))):
        parsed = family.parse(text, frame, cursor)  # type: ignore[arg-type]
        assert points(parsed.action) == [(10, 20)]
        assert all(type(v) is int for v in points(parsed.action)[0])
    for bad in ((800, 20), (10.0, 20.0), (True, False), (10,), "10,20", (10**400, 5),
                (float("nan"), 5)):
        with pytest.raises(ParseError):
            family.parse(text, frame, bad)  # type: ignore[arg-type]


# Typed text that hides what it types, and keys the actuator cannot press: written in each
# family's own words, no parser gives them back as an action (``validate`` refuses them).
UNSAFE = [Type("a\x00b\x1b[31m"), Type("exit\x04"), Type("x\x7f"), Type("a\x85b"),
          Type("\x9b31m"), Type("ding\x07"), Type("ab\b\b"), Type("evil\u202etxt.exe"),
          Type("one\u2028two"), Key(("ctrl", "ц")), Key(("ctrl", "東")), Key(("é",)),
          Key(("alt", "f13")), Key(("altgr", "e"))]


@pytest.mark.parametrize("name", FAMILY_NAMES)
@pytest.mark.parametrize("action", UNSAFE, ids=repr)
def test_hidden_text_and_unpressable_keys_never_parse(name: str, action: Action) -> None:
    family = get_family(name)
    frame = family.frame(Monitor(0, 0, 1280, 800))
    try:
        written = family.format_action(action, frame, "why")
    except ValueError:  # Deskhand's writer reads back what it writes: so, the JSON by hand
        assert name == "deskhand"
        written = f"<think>why</think><answer>{json.dumps(to_json(action))}</answer>"
    with pytest.raises(ParseError):
        family.parse(written, frame)
