"""Deskhand's own format: ``<think>…</think><answer>{json action}</answer>``.

The r1-computer-use vectors are records of agentsea/r1-computer-use ``data/comp_thoughts.jsonl``
rendered as that repository's ``scripts/thoughts.py`` renders them
(``<think>{thought}</think><answer>{action}</answer>``). Their coordinates are pixels of the
recorded screenshot; a frame whose image is the screen itself reads them unchanged.
"""

from __future__ import annotations

import pytest

from models.actions import AskUser, Click, Drag, Key, Move, Scroll, Shell, Type
from models.families.base import ParseError
from models.families.deskhand import FAMILY
from models.frames import Frame, Monitor

IDENTITY = Frame(Monitor(0, 0, 1280, 800), 1280, 800)
FRAME = FAMILY.frame(Monitor(0, 0, 1920, 1080))  # 1316x728


R1_VECTORS = [
    ('<think>The desktop is visible, no applications are open. I need to open the web browser '
     'to navigate to the airbnb homepage.</think><answer>{"name":"move_mouse","parameters":'
     '{"x":531,"y":724}}</answer>', Move(531, 724)),
    ('<think>The cursor is over the web browser icon, I just need to click</think><answer>'
     '{"name":"click","parameters":{"x":532,"y":725,"button":"left"}}</answer>',
     Click(532, 725)),
    ("<think>The web browser is open with the search bar in focus.</think><answer>"
     '{"name":"type_text","parameters":{"text":"airbnb"}}</answer>', Type("airbnb")),
    ("<think>I need to hit enter</think><answer>"
     '{"name":"press_key","parameters":{"key":"enter"}}</answer>', Key(("enter",))),
]


@pytest.mark.parametrize(("text", "action"), R1_VECTORS)
def test_r1_computer_use_records(text: str, action: object) -> None:
    parsed = FAMILY.parse(text, IDENTITY)
    assert parsed.action == action
    assert parsed.reasoning and "<think>" not in parsed.reasoning


@pytest.mark.parametrize(("answer", "action"), [
    ('{"type": "click", "x": 658, "y": 364}', Click(960, 540)),
    ('{"type": "click", "x": 658, "y": 364, "button": "right", "count": 2}',
     Click(960, 540, "right", 2)),
    ('{"type": "drag", "x": 0, "y": 0, "to_x": 1316, "to_y": 728}', Drag(0, 0, 1919, 1079)),
    ('{"type": "scroll", "x": 658, "y": 364, "dy": -3}', Scroll(960, 540, 0, -3)),
    ('{"type": "key", "keys": "ctrl+s"}', Key(("ctrl", "s"))),
    ('{"type": "ask_user", "question": "Which account?"}', AskUser("Which account?")),
    ('{"type": "shell", "command": "ls"}', Shell("ls")),
])
def test_own_json_in_image_pixels(answer: str, action: object) -> None:
    parsed = FAMILY.parse(f"<think>Looking.</think><answer>{answer}</answer>", FRAME)
    assert parsed == type(parsed)("Looking.", action)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "reason"), [
    ("<think>hmm</think>", "no <answer>"),
    ("<answer>click it</answer>", "no JSON"),
    ('<answer>{"type": "click", "x": 1317, "y": 1}</answer>', "outside"),
    ('<answer>{"type": "click", "x": 1}</answer>', "number"),
    ('<answer>{"type": "jump"}</answer>', "unknown action type"),
    ('<answer>{"foo": 1}</answer>', "names no action"),
    ('<answer>{"name": "open_url", "parameters": {"url": "x"}}</answer>', "unknown r1"),
    ('<answer>{"name": "scroll", "parameters": {}}</answer>', "pointer"),
])
def test_bad_outputs_are_parse_errors(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        FAMILY.parse(text, FRAME)


HUGE = "1" + "0" * 400


@pytest.mark.parametrize("answer", [
    '{"type": ["click"], "x": 10, "y": 10}',  # once a TypeError (unhashable list)
    '{"type": {"click": 1}, "x": 10, "y": 10}',
    f'{{"type": "click", "x": {HUGE}, "y": 10}}',  # once an OverflowError
    f'{{"type": "click", "x": {"9" * 5000}, "y": 10}}',
    '{"type": "click", "x": NaN, "y": 10}',
    '{"type": "click", "x": 1e2, "y": 10}',
    '{"type": "click", "x": true, "y": 10}',
    '{"type": "click", "x": "x1", "y": "y1"}',
    '{"type": "click", "x": 10, "y": 10, "count": 2.5}',
    '{"type": "click", "x": 10, "y": 10, "count": 4}',
    '{"type": "scroll", "x": 10, "y": 10, "dy": -10000000}',  # once passed every layer
    '{"type": "scroll", "x": 10, "y": 10, "dy": 51}',
    '{"type": "scroll", "x": 10, "y": 10, "dx": -51, "dy": 1}',
    '{"type": "scroll", "x": 10, "y": 10, "dy": 1e1}',
    '{"type": "wait", "seconds": Infinity}',
    '{"type": "type", "text": "' + "a" * 10_001 + '"}',
    '{"type": "key", "keys": ["ctrl", "\u0000"]}',
    '{"name": "click", "parameters": {"x": "1e3", "y": 5}}',
    '{"name": "scroll", "parameters": {"clicks": -10000000}}',
    '{"name": ["click"], "parameters": {"x": 5, "y": 5}}',
])
def test_garbage_answers_are_parse_errors(answer: str) -> None:
    with pytest.raises(ParseError):
        FAMILY.parse(f"<think>x</think><answer>{answer}</answer>", FRAME, cursor=(5, 5))


def test_format_writes_image_pixels() -> None:
    text = FAMILY.format_action(Click(960, 540), FRAME, "The OK button.")
    assert text == ('<think>The OK button.</think><answer>{"type": "click", "x": 658, "y": 364, '
                    '"button": "left", "count": 1}</answer>')
    assert FAMILY.parse(text, FRAME).action == Click(960, 540)
