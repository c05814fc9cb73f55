"""GUI-Owl-1.5: the cookbook's prompt, its response format, its 0-1000 grid on a real screen.

Source: X-PLUG/MobileAgent ``Mobile-Agent-v3.5/cookbook/end2end_usage_computer.ipynb`` at
commit 11cea575561fb7800b5fb6b6cafa56f7a91de11f (``SYSTEM_PROMPT``, ``build_initial_user_text``
and its example goal "Turn on the dark mode"), the README's "GUI-Owl 1.5 outputs relative
coordinates (0-1000) by default", and the desktop runner ``computer_use/
run_gui_owl_1_5_for_pc.py`` (which action names it executes). The notebook ships without
stored outputs and no real GUI-Owl-1.5 answer was found published, so the answers below are
written in the published response format ("Action: ..." then one ``<tool_call>``) with the
prompt's own action names and arguments; they are not transcripts of the model.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from models.actions import AskUser, Click, Done, Drag, Fail, Key, Scroll, Shell, Type, Wait
from models.families.base import HistoryStep, ParseError, get_family
from models.families.guiowl import FAMILY, NO_HISTORY, SYSTEM_PROMPT
from models.frames import Monitor

SCREEN = Monitor(0, 0, 1920, 1080)
# sha256 of the cookbook's SYSTEM_PROMPT string (the notebook's cell 1, as Python reads it)
COOKBOOK_SHA256 = "094160a5f8abf424690465500d9169244e065947505e9b48c3acabfbf815df9b"


def call(args: str) -> str:
    return f'<tool_call>\n{{"name": "computer_use", "arguments": {args}}}\n</tool_call>'


def test_the_system_prompt_is_the_cookbooks_byte_for_byte() -> None:
    assert hashlib.sha256(SYSTEM_PROMPT.encode()).hexdigest() == COOKBOOK_SHA256
    for published in (
            "* The screen's resolution is 1000x1000.\n",
            "1) Action: a short imperative describing what to do in the UI.\n",
            "- Output exactly in the order: Action, <tool_call>.\n",
            '"enum": ["key", "type", "mouse_move", "left_click", "left_click_drag", '
            '"right_click", "middle_click", "double_click", "triple_click", "scroll", "hscroll", '
            '"wait", "interact", "terminate", "answer"]'):
        assert published in SYSTEM_PROMPT


def test_the_first_step_is_the_cookbooks_conversation() -> None:
    shot = np.zeros((1080, 1920, 3), np.uint8)
    prompt = FAMILY.build_prompt("Turn on the dark mode", [], shot, SCREEN)
    assert prompt.text == (
        f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n"
        "Please generate the next move according to the UI screenshot, instruction and previous "
        "actions.\n\nInstruction: Turn on the dark mode\n\nPrevious actions:\n"
        "No previous action.<__media__><|im_end|>\n<|im_start|>assistant\n")
    assert prompt.messages[1]["content"][1] == {"type": "image"}  # text, then the screenshot
    w, h = prompt.frame.image_width, prompt.frame.image_height
    assert w % 32 == 0 and h % 32 == 0 and w * h <= 1280 * 32 * 32


def test_earlier_steps_are_step_lines_in_the_models_words() -> None:
    shot = np.zeros((1080, 1920, 3), np.uint8)
    history = [HistoryStep(Click(960, 270), "Action: Click the Settings icon.\n"),
               HistoryStep(Key(("ctrl", "s"))),
               HistoryStep(Shell("make test"))]  # no computer_use call can say it
    prompt = FAMILY.build_prompt("Turn on the dark mode", history, shot, SCREEN)
    assert prompt.suffix.startswith(
        "Step1: Click the Settings icon.\nStep2: key ctrl+s\n"
        "Step3: run shell command 'make test'<__media__>")
    assert NO_HISTORY not in prompt.text


@pytest.mark.parametrize(("args", "action"), [
    ('{"action": "left_click", "coordinate": [500, 250]}', Click(960, 270)),
    ('{"action": "double_click", "coordinate": [0, 0]}', Click(0, 0, "left", 2)),
    ('{"action": "triple_click", "coordinate": [1000, 1000]}', Click(1919, 1079, "left", 3)),
    ('{"action": "right_click", "coordinate": [250, 500]}', Click(480, 540, "right")),
    ('{"action": "key", "keys": ["ctrl", "l"]}', Key(("ctrl", "l"))),
    ('{"action": "type", "text": "dark mode"}', Type("dark mode")),
    ('{"action": "scroll", "coordinate": [500, 500], "pixels": -5}', Scroll(960, 540, 0, -5)),
    ('{"action": "wait", "time": 2}', Wait(2.0)),
    ('{"action": "terminate", "status": "success"}', Done()),
    ('{"action": "terminate", "status": "failure"}', Fail()),
    ('{"action": "answer", "text": "It is on."}', Done("It is on.")),
    ('{"action": "interact", "text": "Which account?"}', AskUser("Which account?")),
])
def test_published_actions_on_a_1920x1080_screen(args: str, action: object) -> None:
    parsed = FAMILY.parse(f"Action: Do it.\n{call(args)}", FAMILY.frame(SCREEN))
    assert parsed.action == action
    assert parsed.reasoning == "Action: Do it."


def test_a_drag_starts_at_the_pointer_as_published() -> None:
    text = call('{"action": "left_click_drag", "coordinate": [750, 500]}')
    assert FAMILY.parse(text, FAMILY.frame(SCREEN), (100, 100)).action == Drag(100, 100, 1440, 540)
    with pytest.raises(ParseError, match="pointer"):
        FAMILY.parse(text, FAMILY.frame(SCREEN))


@pytest.mark.parametrize(("args", "action"), [  # names the official desktop runner executes
    ('{"action": "hotkey", "keys": ["alt", "f4"]}', Key(("alt", "f4"))),
    ('{"action": "computer_double_click", "coordinate": [500, 500]}', Click(960, 540, "left", 2)),
    ('{"action": "right click", "coordinate": [500, 500]}', Click(960, 540, "right")),
    ('{"action": "click", "coordinate": [500, 500]}', Click(960, 540)),
    ('{"action": "stop"}', Done()),
    ('{"action": "call_user"}', AskUser("The agent needs your help to go on.")),
])
def test_the_desktop_runners_other_names(args: str, action: object) -> None:
    assert FAMILY.parse(call(args), FAMILY.frame(SCREEN)).action == action


@pytest.mark.parametrize("args", [
    '{"action": "open app", "app_name": "Settings"}',  # no such action on Deskhand's desktop
    '{"action": "left_click", "coordinate": [1001, 5]}',  # off the 0-1000 grid
    '{"action": "left_click", "coordinate": [1e3, 5]}',
])
def test_what_is_not_an_action(args: str) -> None:
    with pytest.raises(ParseError):
        FAMILY.parse(call(args), FAMILY.frame(SCREEN))


def test_written_actions_read_as_the_model_writes_them() -> None:
    frame = FAMILY.frame(SCREEN)
    mine = FAMILY.format_action(Click(960, 270), frame, "Action: Click the Settings icon.")
    assert mine == ("Action: Click the Settings icon.\n" + call(
        '{"action": "left_click", "coordinate": [500, 250]}'))
    assert FAMILY.format_action(AskUser("Which one?"), frame).startswith(
        'Action: interact "Which one?"\n<tool_call>\n{"name": "computer_use", "arguments": '
        '{"action": "interact", "text": "Which one?"}}')
    assert FAMILY.parse(mine, frame).action == Click(960, 270)


def test_registered_and_relative() -> None:
    assert get_family("guiowl") is FAMILY
    small, large = FAMILY.frame(SCREEN, (640, 352)), FAMILY.frame(SCREEN)
    text = call('{"action": "left_click", "coordinate": [500, 500]}')
    assert FAMILY.parse(text, small).action == FAMILY.parse(text, large).action == Click(960, 540)
