"""Qwen2.5-VL: ``computer_use`` tool calls in absolute pixels of the smart-resized image.

Sources of the output shape: QwenLM/Qwen2.5-VL ``cookbooks/utils/agent_function_call.py``
(the action names and arguments of the ``computer_use`` tool) and
``cookbooks/computer_use.ipynb`` (the model answers ``<tool_call>\\n{json}\\n</tool_call>``
and the notebook reads ``action['arguments']['coordinate']`` as pixels of the resized image).
The computer-use notebook's outputs are not stored in the repository, so the coordinates of
VECTORS are chosen in the published shape; REAL_OUTPUTS at the end are the model's own
outputs stored in the mobile-agent notebook.
"""

from __future__ import annotations

import pytest

from models.actions import AskUser, Click, Done, Drag, Fail, Key, Move, Scroll, Type, Wait
from models.families.base import ParseError
from models.families.qwen25vl import FAMILY
from models.frames import Frame, Monitor

FRAME = FAMILY.frame(Monitor(0, 0, 1920, 1080))  # the model sees 1316x728


def call(args: str) -> str:
    return f'<tool_call>\n{{"name": "computer_use", "arguments": {args}}}\n</tool_call>'


def test_resize_rule_is_factor_28_bounded() -> None:
    assert (FRAME.image_width, FRAME.image_height) == (1316, 728)
    assert FAMILY.image_size(1024, 768) == (1036, 756)  # under the maximum: rounded to 28
    assert FAMILY.image_size(1280, 800) == (1260, 784)  # 1.02 Mpx > 1280·28·28: scaled down
    assert FAMILY.image_size(2880, 1800) == (1260, 784)  # a HiDPI screenshot: same bound
    assert all(v % 28 == 0 for v in FAMILY.image_size(3440, 1440))


VECTORS = [
    (call('{"action": "left_click", "coordinate": [658, 364]}'), "", Click(960, 540)),
    # OSWorld's Qwen agents ask for "Action: <one sentence>" before the tool call
    # (karakuri-ai/OSWorld-JP mm_agents/qwen3vl_agent.py, "Response format")
    ("Action: Click the Firefox icon in the dock.\n"
     + call('{"action": "left_click", "coordinate": [20, 364]}'),
     "Action: Click the Firefox icon in the dock.", Click(29, 540)),
    (call('{"action": "double_click", "coordinate": [1316, 728]}'), "",
     Click(1919, 1079, "left", 2)),
    (call('{"action": "right_click", "coordinate": [0, 0]}'), "", Click(0, 0, "right")),
    (call('{"action": "middle_click", "coordinate": [329, 182]}'), "",
     Click(480, 270, "middle")),
    (call('{"action": "triple_click", "coordinate": [329, 182]}'), "", Click(480, 270, "left", 3)),
    (call('{"action": "mouse_move", "coordinate": [329, 182]}'), "", Move(480, 270)),
    (call('{"action": "key", "keys": ["ctrl", "s"]}'), "", Key(("ctrl", "s"))),
    (call('{"action": "key", "keys": ["Return"]}'), "", Key(("enter",))),
    (call('{"action": "type", "text": "hello \\"world\\""}'), "", Type('hello "world"')),
    (call('{"action": "scroll", "coordinate": [658, 364], "pixels": -5}'), "",
     Scroll(960, 540, 0, -5)),
    (call('{"action": "scroll", "coordinate": [658, 364], "pixels": 1000}'), "",
     Scroll(960, 540, 0, 25)),  # capped
    (call('{"action": "hscroll", "coordinate": [658, 364], "pixels": 3}'), "",
     Scroll(960, 540, 3, 0)),
    (call('{"action": "wait", "time": 2}'), "", Wait(2.0)),
    (call('{"action": "terminate", "status": "success"}'), "", Done()),
    (call('{"action": "terminate", "status": "failure"}'), "", Fail()),
    (call('{"action": "answer", "text": "42"}'), "", Done("42")),
    (call('{"action": "ask_user", "text": "Which file?"}'), "", AskUser("Which file?")),
    (call('{"action": "left_click_drag", "start_coordinate": [0, 0], "coordinate": [658, 364]}'),
     "", Drag(0, 0, 960, 540)),
    # a thinking variant, and a call without its closing tag (generation stopped early)
    ("<think>The save icon is top left.</think>\n"
     + call('{"action": "left_click", "coordinate": [10, 10]}')[:-len("</tool_call>")],
     "The save icon is top left.", Click(15, 15)),
]


@pytest.mark.parametrize(("text", "reasoning", "action"), VECTORS)
def test_outputs(text: str, reasoning: str, action: object) -> None:
    parsed = FAMILY.parse(text, FRAME)
    assert parsed.action == action
    assert parsed.reasoning == reasoning


@pytest.mark.parametrize(("text", "reason"), [
    ("I would click the button.", "no computer_use tool call"),
    (call('{"action": "left_click", "coordinate": [1317, 10]}'), "outside"),
    (call('{"action": "left_click", "coordinate": [10]}'), "pair"),
    (call('{"action": "left_click", "coordinate": ["a", 1]}'), "number"),
    (call('{"action": "fly"}'), "unknown computer_use action"),
    (call('{"action": "scroll", "coordinate": [1, 1], "pixels": 0}'), "0 clicks"),
    (call('{"action": "wait", "time": 3600}'), "seconds"),
    (call('{"action": "key", "keys": ["hyper"]}'), "unknown key"),
    ('<tool_call>{"name": "browser", "arguments": {"action": "left_click"}}</tool_call>',
     "unknown tool"),
    (call('{"action": "left_click"}'), "pointer"),
])
def test_bad_outputs_are_parse_errors(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        FAMILY.parse(text, FRAME)


HUGE = "1" + "0" * 400


@pytest.mark.parametrize("args", [
    '{"action": ["left_click"], "coordinate": [10, 10]}',  # a list as the action type
    '{"action": {"left_click": 1}, "coordinate": [10, 10]}',
    '{"action": null, "coordinate": [10, 10]}',
    f'{{"action": "left_click", "coordinate": [{HUGE}, 10]}}',  # once an OverflowError
    f'{{"action": "left_click", "coordinate": [10, -{HUGE}]}}',
    f'{{"action": "left_click", "coordinate": [{"9" * 5000}, 10]}}',  # beyond int() limit
    '{"action": "left_click", "coordinate": [NaN, 10]}',
    '{"action": "left_click", "coordinate": [Infinity, 10]}',
    '{"action": "left_click", "coordinate": [true, 10]}',
    '{"action": "left_click", "coordinate": [1e3, 10]}',  # Qwen writes plain integers
    '{"action": "left_click", "coordinate": [-0e0, 10]}',
    '{"action": "left_click", "coordinate": ["1e3", 10]}',
    '{"action": "left_click", "coordinate": ["\u0663", 10]}',  # an Arabic-Indic 3
    '{"action": "left_click", "coordinate": ["x1", "y1"]}',
    '{"action": "left_click", "coordinate": [[10, 10], 10]}',
    '{"action": "scroll", "coordinate": [10, 10], "pixels": 1e3}',
    f'{{"action": "scroll", "coordinate": [10, 10], "pixels": {HUGE}}}',
    '{"action": "scroll", "coordinate": [10, 10], "pixels": NaN}',
    '{"action": "scroll", "coordinate": [10, 10], "pixels": true}',
    '{"action": "wait", "time": NaN}',
    '{"action": "wait", "time": 5e-1}',
    '{"action": "terminate", "status": ["failure"]}',  # once Fail() for any junk status
    '{"action": "terminate", "status": null}',
    '{"action": "terminate", "status": "maybe"}',
    '{"action": "type", "text": ' + '"' + "a" * 10_001 + '"}',
    '{"action": "key", "keys": ["ctrl", "\u0000"]}',
])
def test_garbage_is_a_parse_error_never_an_action(args: str) -> None:
    with pytest.raises(ParseError):
        FAMILY.parse(call(args), FRAME, cursor=(5, 5))


def test_huge_and_deep_outputs_are_parse_errors() -> None:
    for text in ('{"a": ' * 20_000 + "1", "[" * 50_000, "{" * 99_000, "<tool_call>" + "{" * 90_000,
                 call('{"action": "type", "text": "' + "x" * 100_000 + '"}')):
        with pytest.raises(ParseError):
            FAMILY.parse(text, FRAME)


def test_drag_without_start_starts_at_the_pointer() -> None:
    text = call('{"action": "left_click_drag", "coordinate": [658, 364]}')
    assert FAMILY.parse(text, FRAME, cursor=(5, 6)).action == Drag(5, 6, 960, 540)
    with pytest.raises(ParseError, match="pointer"):
        FAMILY.parse(text, FRAME)


def test_offset_monitor_and_hidpi() -> None:
    frame = FAMILY.frame(Monitor(-2560, 0, 2560, 1440, scale=2.0))  # 5120x2880 screenshot
    assert (frame.image_width, frame.image_height) == (1316, 728)
    parsed = FAMILY.parse(call('{"action": "left_click", "coordinate": [658, 364]}'), frame)
    assert parsed.action == Click(-1280, 720)


def test_system_prompt_states_the_image_size() -> None:
    assert "The screen's resolution is 1316x728." in FAMILY.system_prompt(FRAME)


def test_format_then_parse() -> None:
    frame = Frame(Monitor(0, 0, 1316, 728), 1316, 728)  # identity: lossless
    for action in (Click(5, 6, "right"), Click(5, 6, "left", 3), Move(1, 2), Drag(1, 2, 3, 4),
                   Scroll(9, 9, 0, -3), Scroll(9, 9, 2, 0), Key(("alt", "f4")), Type("x"),
                   Wait(1.5), Done(), Done("summary"), Fail(), AskUser("why?")):
        assert FAMILY.parse(FAMILY.format_action(action, frame, "r"), frame).action == action


# Real outputs of Qwen2.5-VL-7B-Instruct, stored in QwenLM/Qwen2.5-VL
# cookbooks/mobile_agent.ipynb (commit f0af2996e843cf46aa5f778c38d6694500c2ca81), cells 9 and
# 13/15: the same ``<tool_call>`` format with the mobile tool, in absolute pixels of the
# smart-resized screenshot whose size the notebook's system prompt states. Taken as a
# screen of exactly that size (the model saw it unresized), a click lands on the pixel itself.
REAL_OUTPUTS = [
    ('\n<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
     '"coordinate": [935, 406]}}\n</tool_call>\n', (1092, 2408), Click(935, 406)),
    ('<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
     '"coordinate": [639, 1095]}}\n</tool_call>\n', (728, 1288), Click(639, 1095)),
]


@pytest.mark.parametrize(("text", "size", "action"), REAL_OUTPUTS)
def test_real_published_outputs(text: str, size: tuple[int, int], action: object) -> None:
    width, height = size
    frame = Frame(Monitor(0, 0, width, height), width, height)
    assert FAMILY.parse(text, frame).action == action
    # the same output on a 1920x1080 screen scales by the monitor/image ratio
    wide = Frame(Monitor(0, 0, 2 * width, 2 * height), width, height)
    assert isinstance(action, Click)
    assert FAMILY.parse(text, wide).action == Click(2 * action.x, 2 * action.y)
