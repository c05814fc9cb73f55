"""UI-Venus-1.5: the official web-agent prompt, its answer grammar, its 0-1000 grid on a screen.

Source: inclusionAI/UI-Venus at commit c3a1442c3c4501af18c124458dbbddcbda5c2c6f
(``models/navigation/utils.py`` ``WEB_USER_PROMPT`` and ``parse_answer``,
``models/navigation/ui_venus_navi_agent.py`` for the history lines,
``Venus_framework/policy/ui_venus_policy.py`` for ``x * width / 1000``). The repository
publishes prompts and parsers but no model answers (``examples/trace/trace.json`` holds tasks
and screenshots only), so the answers below are written in the prompt's Output Format with its
own action signatures; they are not transcripts of the model.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from models.actions import AskUser, Click, Done, Drag, Key, Move, Scroll, Type, Wait
from models.families.base import HistoryStep, ParseError, get_family
from models.families.uivenus import AFTER_HISTORY, FAMILY, WEB_USER_PROMPT
from models.frames import Monitor

SCREEN = Monitor(0, 0, 1920, 1080)
# sha256 of WEB_USER_PROMPT in models/navigation/utils.py, as Python reads it
WEB_PROMPT_SHA256 = "8bd3ca1cfa27dc5c9774c04e021b853bdc72937710e03125033bb2bb3101039f"


def answer(action: str, think: str = "The search box is at the top.") -> str:
    return (f"<think>{think}</think>\n<action>{action}</action>\n"
            "<conclusion>Clicked the search box.</conclusion>")


def test_the_prompt_is_the_published_web_prompt_byte_for_byte() -> None:
    assert hashlib.sha256(WEB_USER_PROMPT.encode()).hexdigest() == WEB_PROMPT_SHA256
    shot = np.zeros((1080, 1920, 3), np.uint8)
    prompt = FAMILY.build_prompt("Search for the weather in Hangzhou", [], shot, SCREEN)
    user = WEB_USER_PROMPT.format(user_task="Search for the weather in Hangzhou",
                                  previous_actions="")
    assert prompt.text == ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                           f"<|im_start|>user\n{user}<__media__><|im_end|>\n"
                           "<|im_start|>assistant\n")
    for published in ("- Click(box=(x1,y1))\n", "- Hotkey(keys=['ctrl', 'c'])",
                      "<action> the next action </action>\n"):
        assert published in prompt.prefix + prompt.suffix


def test_earlier_steps_are_think_and_action_lines_from_step_0() -> None:
    shot = np.zeros((1080, 1920, 3), np.uint8)
    history = [HistoryStep(Click(960, 270), "The search box is at the top."),
               HistoryStep(Type("weather"), "Type the query.")]
    prompt = FAMILY.build_prompt("Search", history, shot, SCREEN)
    assert prompt.suffix.startswith(
        "Step 0: <think>The search box is at the top.</think><action>Click(box=(500,250))"
        "</action>\nStep 1: <think>Type the query.</think><action>Type(content='weather')"
        f"</action>{AFTER_HISTORY}<__media__>")


@pytest.mark.parametrize(("action", "expected"), [
    ("Click(box=(500,250))", Click(960, 270)),
    ("Click(box=(500, 250))", Click(960, 270)),
    ("DoubleClick(box=(0,0))", Click(0, 0, "left", 2)),
    ("Hover(box=(999,999))", Move(1918, 1079)),
    ("Drag(start=(100,100), end=(900,900))", Drag(192, 108, 1728, 972)),
    ("Scroll(direction='down')", Scroll(10, 20, 0, -5)),
    ("Scroll(direction='up')", Scroll(10, 20, 0, 5)),
    ("Type(content='it's 25°C')", Type("it's 25°C")),
    ("Hotkey(keys=['ctrl', 'c'])", Key(("ctrl", "c"))),
    ("PressEnter()", Key(("enter",))),
    ("Wait()", Wait(1.0)),
    ("Finished(content='It is sunny.')", Done("It is sunny.")),
    ("Finished()", Done()),
    ("CallUser(content='The forecast is 25°C.')", AskUser("The forecast is 25°C.")),
])
def test_published_actions_on_a_1920x1080_screen(action: str, expected: object) -> None:
    parsed = FAMILY.parse(answer(action), FAMILY.frame(SCREEN), (10, 20))
    assert parsed.action == expected
    assert parsed.reasoning == "The search box is at the top."


@pytest.mark.parametrize("action", [
    "Launch(app='Chrome')", "LongPress(box=(5,5))", "PressBack()", "PressHome()",
    "PressRecent()",  # phone actions: no desktop meaning
    "Click(box=(1001,5))", "Click(box=(x1,y1))", "Click(box=(1e3,5))", "Click(box=(5,5,9))",
    "Scroll(direction='down or up')", "Scroll(start=(1,1), end=(5,5))", "Hotkey(keys='ctrl')",
    "Type(content=oops)", "Click box=(5,5)", "Fly(box=(5,5))",
])
def test_what_is_not_an_action(action: str) -> None:
    with pytest.raises(ParseError):
        FAMILY.parse(answer(action), FAMILY.frame(SCREEN), (10, 20))


def test_no_action_tag_is_an_error() -> None:
    with pytest.raises(ParseError, match="<action>"):
        FAMILY.parse("<think>hmm</think>Click(box=(5,5))", FAMILY.frame(SCREEN))


def test_written_actions_read_back() -> None:
    frame = FAMILY.frame(SCREEN)
    mine = FAMILY.format_action(Click(960, 270), frame, "The search box is at the top.")
    assert mine == ("<think>The search box is at the top.</think>\n<action>Click(box=(500,250))"
                    "</action>\n<conclusion>Click(box=(500,250))</conclusion>")
    assert FAMILY.parse(mine, frame).action == Click(960, 270)
    assert "Hover(box=(999,999))" in FAMILY.format_action(Move(1919, 1079), frame)


def test_registered_and_relative() -> None:
    assert get_family("uivenus") is FAMILY
    text = answer("Click(box=(500,500))")
    small, large = FAMILY.frame(SCREEN, (640, 352)), FAMILY.frame(SCREEN)
    assert FAMILY.parse(text, small).action == FAMILY.parse(text, large).action == Click(960, 540)
