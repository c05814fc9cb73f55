"""UI-TARS-1.5: real output strings from ByteDance's repositories → screen actions.

Where a source gives the expected result in its own terms, the comment says so; our result
must agree with it (UI-TARS turns image pixels into fractions of the image, we into pixels).
"""

from __future__ import annotations

import pytest

from models.actions import AskUser, Click, Done, Drag, Key, Move, Scroll, Type, Wait
from models.families.base import ParseError
from models.families.uitars import FAMILY, split_call
from models.frames import Frame, Monitor

FULL_HD = FAMILY.frame(Monitor(0, 0, 1920, 1080))
# UI-TARS-desktop's tests give the model's coordinates on a 1000x1000 image of a 2560x1440
# screen and expect "start_coords" in screen pixels; the same image size reproduces them.
DESKTOP = Frame(Monitor(0, 0, 2560, 1440), 1000, 1000)
SQUARE = Frame(Monitor(0, 0, 224, 224), 224, 224)


def test_resize_uses_ui_tars_constants() -> None:
    # codes/ui_tars/action_parser.py: IMAGE_FACTOR 28, MIN 100*28*28, MAX 16384*28*28 — the
    # maximum cut to the 4,096 tokens llama.cpp's projector takes without resizing again
    assert FAMILY.image_size(1920, 1080) == (1932, 1092)
    assert FAMILY.image_size(2560, 1440) == (2380, 1344)  # 4,641 tokens: scaled to 4,080
    assert FAMILY.image_size(3840, 2160) == (2380, 1344)  # was 3836x2156, 10,549 tokens
    assert FAMILY.image_size(7680, 4320) == (2380, 1344)
    assert FAMILY.image_size(200, 100) == (420, 224)  # below min_pixels: scaled up


VECTORS = [
    # bytedance/UI-TARS README.md ("Coordinates processing" example), 1920x1080 screen:
    # 100/1932*1920 = 99.4, 200/1092*1080 = 197.8
    ("Thought: Click the button\nAction: click(start_box='(100,200)')", FULL_HD,
     "Click the button", Click(99, 198)),
    # bytedance/UI-TARS README_coordinates.md: "Thought: xxx\nAction: click(start_box='(197,525)')"
    ("Thought: xxx\nAction: click(start_box='(197,525)')", FULL_HD, "xxx", Click(196, 519)),
    # bytedance/UI-TARS codes/tests/action_parser_test.py: 224x224 image, expects
    # start_box [0.5, 1.0, 0.5, 1.0] (the far edge → the last pixel row)
    ("Thought: test\nAction: click(start_box='<|box_start|>(112,224)<|box_end|>')", SQUARE,
     "test", Click(112, 223)),
    ("Thought: test\nAction: click(point='<point>200 300</point>')",
     Frame(Monitor(0, 0, 1000, 1000), 1000, 1000), "test", Click(200, 300)),
    # bytedance/UI-TARS-desktop packages/ui-tars/action-parser/test/actionParser.test.ts:
    # expects start_coords [1305.6, 216]
    ("<think>\nOkay, let's see. The user wants to search news, but the current search bar "
     "has \"hi\" in it. First, I need to clear that.\n</think>\nThought: To search for news, "
     "first clear the existing text \"hi\" from the Google search bar by clicking the 'X' "
     "icon.\nAction: click(point='<point>510 150</point>')", DESKTOP,
     "Okay, let's see. The user wants to search news, but the current search bar has \"hi\" "
     "in it. First, I need to clear that.\nTo search for news, first clear the existing text "
     "\"hi\" from the Google search bar by clicking the 'X' icon.", Click(1306, 216)),
    # same file: <bbox> boxes mean their centre; expects start_coords [1630.72, 1388.16]
    ("Thought: 我需要先点击任务栏上的浏览器图标来启动浏览器。\n"
     "Action: click(start_box='<bbox>637 964 637 964</bbox>')", DESKTOP,
     "我需要先点击任务栏上的浏览器图标来启动浏览器。", Click(1631, 1388)),
    ("Thought: 我需要先点击浏览器图标。\nAction: click(start_box='[637,964,637,964]')", DESKTOP,
     "我需要先点击浏览器图标。", Click(1631, 1388)),
    # same file: drag expects start_coords [332.8, 325.44], end_coords [512, 325.44]
    ("Thought: I need to click on this element\n"
     "Action: drag(start_box='[130,226]', end_box='[200,226]')", DESKTOP,
     "I need to click on this element", Drag(333, 325, 512, 325)),
    # same file: Reflection + Action_Summary, and type with text=
    ("Reflection: This is a reflection\nAction_Summary: This is a summary\n"
     "Action: type(text='Hello', start_box='(300,400)')", DESKTOP, "This is a summary",
     Type("Hello")),
    # same file: an Action marker inside quoted content is content, not a marker
    ("Thought: Type raw text exactly\nAction: type(content='Action: wait()')", DESKTOP,
     "Type raw text exactly", Type("Action: wait()")),
    ("Thought: click \"Settings\nAction: wait()", DESKTOP, 'click "Settings', Wait(5.0)),
    ("Thought: I need to click this button\nAction：click(start_box='(100,200)')", DESKTOP,
     "I need to click this button", Click(256, 288)),
    # the action space of codes/ui_tars/prompt.py and the 1.5 README prompt
    ("Thought: copy\nAction: hotkey(key='ctrl c')", FULL_HD, "copy", Key(("ctrl", "c"))),
    ("Thought: more below\nAction: scroll(point='<point>966 546</point>', direction='down')",
     FULL_HD, "more below", Scroll(960, 540, 0, -5)),
    ("Thought: open it\nAction: left_double(start_box='<|box_start|>(966,546)<|box_end|>')",
     FULL_HD, "open it", Click(960, 540, "left", 2)),
    ("Thought: menu\nAction: right_single(start_box='(966,546)')", FULL_HD, "menu",
     Click(960, 540, "right", 1)),
    ("Thought: done\nAction: finished(content='It\\'s saved.')", FULL_HD, "done",
     Done("It's saved.")),
    ("Thought: I cannot log in without the password.\nAction: call_user()", FULL_HD,
     "I cannot log in without the password.",
     AskUser("I cannot log in without the password.")),
    ("Thought: submit\nAction: type(content='hello world\\n')", FULL_HD, "submit",
     Type("hello world\n")),
    ("Thought: hover\nAction: hover(start_box='(0,0)')", FULL_HD, "hover", Move(0, 0)),
]


@pytest.mark.parametrize(("text", "frame", "reasoning", "action"), VECTORS)
def test_published_outputs(text: str, frame: Frame, reasoning: str, action: object) -> None:
    parsed = FAMILY.parse(text, frame)
    assert parsed.action == action
    assert parsed.reasoning == reasoning


@pytest.mark.parametrize(("text", "reason"), [
    # UI-TARS-desktop: inline function-like text without an Action marker is not an action
    ("I should wait() until the page is stable.", "no 'Action:'"),
    ("Thought: x\nAction: click(start_box='(5000,200)')", "outside"),
    ("Thought: x\nAction: click(start_box='(-3,200)')", "outside"),
    ("Thought: x\nAction: open_app(app_name='Settings')", "not supported"),
    ("Thought: x\nAction: scroll(point='<point>1 1</point>', direction='sideways')", "direction"),
    ("Thought: x\nAction: click(start_box='(1,2,3)')", "point or a box"),
    ("Thought: x\nAction: drag(start_box='(1,2)')", "end_box"),
    ("Thought: x\nAction: type(content='')", "empty"),
    ("Thought: x\nAction: click(start_box='(1,2", "quote"),
])
def test_bad_outputs_are_parse_errors(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        FAMILY.parse(text, FULL_HD)


@pytest.mark.parametrize("box", [
    # the prompt's own placeholders, copied by a confused model
    "(x1,y1)", "<|box_start|>(x1,y1)<|box_end|>", "<|box_start|>(x,y)<|box_end|>", "(x3,y3)",
    # scientific notation, which UI-TARS never writes (the old scanner read 1e3 as 1 and 3)
    "(1e3)", "(1e3,5)", "(1E3,5,7)", "<point>1e2 5</point>",
    # not plain ASCII numbers, or not one point or box
    "(nan,5)", "(inf,5)", "(١٠٠,٢٠٠)", "(1_0,5)", "(0x10,5)", "(+5,5)", "(5;5)", "(5,,5)",
    "((5,5))", "(5,5) or (6,6)", "click here", "", "(5,5", "(1,2,3,4,5)", "(" + "9" * 400 + ",5)",
])
@pytest.mark.parametrize("call", ["click(start_box='{}')", "left_double(point='{}')",
                                  "hover(start_point='{}')", "drag(start_box='(5,5)', "
                                  "end_box='{}')", "scroll(start_box='{}', direction='down')"])
def test_placeholders_and_junk_points_are_never_actions(box: str, call: str) -> None:
    text = f"Thought: x\nAction: {call.format(box)}"
    with pytest.raises(ParseError):
        FAMILY.parse(text, FULL_HD, cursor=(10, 10))  # even with a pointer to fall back on


@pytest.mark.parametrize("text", [
    "Thought: x\nAction: click(start_box='(5,5)', start_box='(x1,y1)')",  # given twice
    "Thought: x\nAction: scroll(start_box='(5,5)', direction='down', " + "a='1', " * 9 + ")",
    "Thought: x\nAction: hotkey(key='ctrl hyperspace')",
    "Thought: x\nAction: type(content='" + "a" * 10_001 + "')",  # beyond MAX_TEXT_CHARS
    # each once took seconds to minutes of regex backtracking
    "<think>" * 5000 + "Action: click(" + " " * 40_000 + "!",
    "Action: click(start_box='(5,5)" + " " * 60_000 + "x')",
])
def test_malformed_calls_are_parse_errors(text: str) -> None:
    with pytest.raises(ParseError):
        FAMILY.parse(text, FULL_HD)


def test_spaced_points_and_boxes_still_read() -> None:
    for box in ("( 966 , 546 )", "<|box_start|>(966,546)<|box_end|>", "[966, 546]",
                "<point>966 546</point>", "<bbox>956 536 976 556</bbox>", "(966.0,546.0)"):
        text = f"Thought: x\nAction: click(start_box='{box}')"
        assert FAMILY.parse(text, FULL_HD).action == Click(960, 540), box


def test_actions_without_a_point_use_the_pointer() -> None:
    text = "Thought: x\nAction: scroll(direction='up')"
    assert FAMILY.parse(text, FULL_HD, cursor=(10, 20)).action == Scroll(10, 20, 0, 5)
    with pytest.raises(ParseError, match="pointer"):
        FAMILY.parse(text, FULL_HD)


def test_split_call_keeps_quotes_inside_typed_text() -> None:
    assert split_call("type(content='Don't stop')") == ("type", {"content": "Don't stop"})
    assert split_call("wait()") == ("wait", {})


def test_format_writes_what_the_parser_reads() -> None:
    for action in (Click(960, 540), Click(10, 10, "right"), Drag(0, 0, 1919, 1079),
                   Key(("ctrl", "shift", "t")), Type("it's \"quoted\"\nline"), Done("ok"),
                   Scroll(5, 5, 0, -5), Scroll(5, 5, 5, 0), Wait(5.0), Move(3, 4)):
        text = FAMILY.format_action(action, FULL_HD, "because")
        assert text.startswith("Thought: because\nAction: ")
        parsed = FAMILY.parse(text, FULL_HD).action
        assert parsed == action or (abs(parsed.x - action.x) <= 1  # type: ignore[union-attr]
                                    and type(parsed) is type(action))
