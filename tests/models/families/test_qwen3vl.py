"""Qwen3-VL: the ``computer_use`` tool call on a 0-1000 relative grid.

Sources: QwenLM/Qwen3-VL ``cookbooks/utils/agent_function_call.py`` (action names, including
``triple_click``, ``hscroll`` and ``answer``) and ``cookbooks/computer_use.ipynb``, which tells
the model "The screen's resolution is 1000x1000", resizes with ``smart_resize(..., factor=32)``
and maps ``coordinate[0] / 1000 * resized_width``. The notebook's stored outputs are embedded
with its screenshots and were not readable here; the strings follow the published shape, and
REAL_OUTPUT at the end is the model's own output stored in the mobile-agent notebook.
"""

from __future__ import annotations

import pytest

from models.actions import Click, Done, Drag, Scroll
from models.families.base import ParseError
from models.families.qwen3vl import FAMILY
from models.frames import Monitor


def call(args: str) -> str:
    return f'<tool_call>\n{{"name": "computer_use", "arguments": {args}}}\n</tool_call>'


def test_resize_factor_is_32() -> None:
    w, h = FAMILY.image_size(1920, 1080)
    assert w % 32 == 0 and h % 32 == 0
    assert w * h <= 1280 * 32 * 32


@pytest.mark.parametrize("scale", [1.0, 1.25, 2.0])
def test_relative_coordinates_ignore_the_image_size(scale: float) -> None:
    monitor = Monitor(-1920, 200, 1920, 1080, scale=scale)
    frame = FAMILY.frame(monitor)
    text = call('{"action": "left_click", "coordinate": [500, 500]}')
    assert FAMILY.parse(text, frame).action == Click(-960, 740)
    other = FAMILY.frame(monitor, (640, 352))  # any image size: the same screen point
    assert FAMILY.parse(text, other).action == Click(-960, 740)


@pytest.mark.parametrize(("args", "action"), [
    ('{"action": "left_click", "coordinate": [1000, 1000]}', Click(1919, 1079)),
    ('{"action": "triple_click", "coordinate": [250, 100]}', Click(480, 108, "left", 3)),
    ('{"action": "left_click_drag", "start_coordinate": [0, 0], "coordinate": [500, 500]}',
     Drag(0, 0, 960, 540)),
    ('{"action": "hscroll", "coordinate": [500, 500], "pixels": -2}', Scroll(960, 540, -2, 0)),
    ('{"action": "answer", "text": "Paris"}', Done("Paris")),
])
def test_outputs(args: str, action: object) -> None:
    frame = FAMILY.frame(Monitor(0, 0, 1920, 1080))
    assert FAMILY.parse(call(args), frame).action == action


def test_points_beyond_1000_are_errors() -> None:
    frame = FAMILY.frame(Monitor(0, 0, 1920, 1080))
    with pytest.raises(ParseError, match="outside"):
        FAMILY.parse(call('{"action": "left_click", "coordinate": [1001, 5]}'), frame)


@pytest.mark.parametrize("coordinate", ["[1e3, 5]", "[1000.5, 5]", "[-1, 5]", "[NaN, 5]",
                                        "[true, 5]", '["500", "x"]', "[" + "5" * 400 + ", 5]"])
def test_garbage_coordinates_are_parse_errors(coordinate: str) -> None:
    frame = FAMILY.frame(Monitor(0, 0, 1920, 1080))
    with pytest.raises(ParseError):
        FAMILY.parse(call(f'{{"action": "left_click", "coordinate": {coordinate}}}'), frame)


def test_prompt_describes_a_1000_grid() -> None:
    frame = FAMILY.frame(Monitor(0, 0, 1920, 1080))
    assert "The screen's resolution is 1000x1000." in FAMILY.system_prompt(frame)
    written = FAMILY.format_action(Click(960, 540), frame)
    assert '"coordinate": [500, 500]' in written


# A real output of Qwen3-VL, stored in QwenLM/Qwen3-VL cookbooks/mobile_agent.ipynb (commit
# 96588727e44c78b25ba03ea03b8e12f7e64fd0da, cell 7): thought and action lines, then the tool
# call on the 0-1000 relative grid.
REAL_OUTPUT = (
    "Thought: To search for Musk in X, I need to click on the search bar at the top of the "
    "screen. This will allow me to type in the search query.\n"
    'Action: "I tapped on the search bar to begin searching for Musk."\n'
    '<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
    '"coordinate": [447, 81]}}\n</tool_call>\n')


def test_real_published_output() -> None:
    monitor = Monitor(0, 0, 1000, 1000)
    frame = FAMILY.frame(monitor)
    parsed = FAMILY.parse(REAL_OUTPUT, frame)
    assert parsed.action == Click(447, 81)  # 447/1000 of a 1000-pixel-wide screen
    assert parsed.reasoning.startswith("Thought: To search for Musk in X")
    phone = FAMILY.frame(Monitor(0, 0, 1080, 2400))
    assert FAMILY.parse(REAL_OUTPUT, phone).action == Click(483, 194)  # rounded half up
