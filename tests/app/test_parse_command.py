"""``deskhand parse``: a raw model output on stdin → the action's JSON, or an error and exit 2."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agent.paths import Paths
from app.cli import cli
from models.families.base import FAMILY_NAMES

UITARS = "Thought: Click the button\nAction: click(start_box='(100,200)')"
QWEN = ('<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", '
        '"coordinate": [658, 364]}}\n</tool_call>')


def run(home: Paths, args: list[str], text: str) -> tuple[int, str, str]:
    assert home.config_dir.exists()  # DESKHAND_HOME points into tmp
    result = CliRunner().invoke(cli, ["parse", *args], input=text)
    return result.exit_code, result.stdout, result.stderr


def test_uitars_readme_example_on_a_full_hd_screen(home: Paths) -> None:
    code, out, _ = run(home, ["--family", "uitars", "--width", "1920", "--height", "1080"],
                       UITARS)
    assert code == 0
    assert json.loads(out) == {"type": "click", "x": 99, "y": 198, "button": "left", "count": 1}


def test_image_size_override(home: Paths) -> None:
    args = ["--family", "qwen25vl", "--width", "2560", "--height", "1440",
            "--image-width", "1316", "--image-height", "728"]
    code, out, _ = run(home, args, QWEN)
    assert code == 0
    assert json.loads(out)["x"] == 1280 and json.loads(out)["y"] == 720


def test_show_reasoning_prints_it_before_the_json(home: Paths) -> None:
    args = ["--family", "uitars", "--width", "1920", "--height", "1080", "--show-reasoning"]
    code, out, _ = run(home, args, UITARS)
    lines = out.splitlines()
    assert code == 0 and lines[0] == "reasoning: Click the button"
    assert json.loads(lines[-1])["type"] == "click"


def test_parse_error_goes_to_stderr_with_exit_2(home: Paths) -> None:
    args = ["--family", "uitars", "--width", "1920", "--height", "1080"]
    code, out, err = run(home, args, "Thought: [bold]x[/bold]\nAction: click(start_box='(5000,1)')")
    assert code == 2
    assert out == ""
    assert "parse error" in err and "outside" in err


def test_cursor_for_actions_without_a_point(home: Paths) -> None:
    args = ["--family", "qwen25vl", "--width", "1920", "--height", "1080", "--cursor", "10,20"]
    text = QWEN.replace('"left_click", "coordinate": [658, 364]',
                        '"left_click_drag", "coordinate": [658, 364]')
    code, out, _ = run(home, args, text)
    assert code == 0
    assert json.loads(out) == {"type": "drag", "x": 10, "y": 20, "to_x": 960, "to_y": 540}


@pytest.mark.parametrize("args", [
    ["--family", "gpt", "--width", "10", "--height", "10"],
    ["--family", "uitars", "--width", "0", "--height", "10"],
    ["--family", "uitars", "--width", "10", "--height", "10", "--image-width", "5"],
    ["--family", "uitars", "--width", "10", "--height", "10", "--cursor", "nope"],
])
def test_bad_options_are_usage_errors(home: Paths, args: list[str]) -> None:
    code, _, _ = run(home, args, UITARS)
    assert code == 2  # click's usage error


@pytest.mark.parametrize(("family", "text"), [
    ("guiowl", 'Action: Click the Settings icon.\n<tool_call>\n{"name": "computer_use", '
               '"arguments": {"action": "left_click", "coordinate": [500, 250]}}\n</tool_call>'),
    ("uivenus", "<think>The icon is at the top.</think>\n<action>Click(box=(500,250))</action>\n"
                "<conclusion>Click it.</conclusion>"),
])
def test_the_0_to_1000_families_on_a_full_hd_screen(home: Paths, family: str, text: str) -> None:
    code, out, _ = run(home, ["--family", family, "--width", "1920", "--height", "1080"], text)
    assert code == 0
    assert json.loads(out) == {"type": "click", "x": 960, "y": 270, "button": "left", "count": 1}


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_family_is_available(home: Paths, family: str) -> None:
    code, _, err = run(home, ["--family", family, "--width", "800", "--height", "600"],
                       "garbage")
    assert code == 2 and "parse error" in err


HOSTILE = [
    ("qwen25vl", '<tool_call>{"name": "computer_use", "arguments": {"action": ["left_click"], '
                 '"coordinate": [1, 2]}}</tool_call>'),
    ("qwen25vl", '<tool_call>{"name": "computer_use", "arguments": {"action": "left_click", '
                 '"coordinate": [' + "1" * 400 + ", 2]}}</tool_call>"),
    ("qwen3vl", '<tool_call>{"name": "computer_use", "arguments": {"action": "scroll", '
                '"coordinate": [1, 2], "pixels": NaN}}</tool_call>'),
    ("deskhand", '<answer>{"type": ["click"], "x": 1, "y": 2}</answer>'),
    ("deskhand", '<answer>{"type": "click", "x": ' + "9" * 5000 + ', "y": 2}</answer>'),
    ("deskhand", '<answer>{"type": "scroll", "x": 1, "y": 2, "dy": -10000000}</answer>'),
    ("deskhand", "<answer>" + "[" * 60_000 + "</answer>"),
    ("uitars", "Thought: x\nAction: click(start_box='(x1,y1)')"),
    ("uitars", "Thought: x\nAction: click(start_box='<|box_start|>(1e3,5)<|box_end|>')"),
    ("uitars", "Thought: \x1b[2J\x07\nAction: type(content='" + "a" * 20_000 + "')"),
    ("uitars", "Action: " + "x" * 200_000),
]


@pytest.mark.parametrize(("family", "text"), HOSTILE)
def test_hostile_input_is_one_error_line_not_a_traceback(home: Paths, family: str,
                                                         text: str) -> None:
    code, out, err = run(home, ["--family", family, "--width", "1920", "--height", "1080"],
                         text)
    assert code == 2 and out == ""
    assert err.startswith("parse error: ") and err.endswith("\n")
    assert err.count("\n") == 1  # one line, whatever the terminal's width
    assert "Traceback" not in err and "\x1b" not in err and len(err) < 700


def test_bytes_that_are_not_utf8_are_one_error_line(home: Paths) -> None:
    args = ["--family", "uitars", "--width", "1920", "--height", "1080"]
    result = CliRunner().invoke(cli, ["parse", *args], input=b"Action: type(content='\xff\xfe')")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("parse error: the input is not UTF-8")
    assert result.stderr.count("\n") == 1


def test_long_error_is_not_wrapped(home: Paths) -> None:
    args = ["--family", "qwen25vl", "--width", "1920", "--height", "1080"]
    text = ('<tool_call>{"name": "computer_use", "arguments": {"action": "left_click", '
            '"coordinate": ["a very long placeholder that is no number at all", 2]}}</tool_call>')
    code, _, err = run(home, args, text)
    assert code == 2 and err.count("\n") == 1 and len(err) > 100


def test_a_screen_no_family_can_resize_is_one_error_line(home: Paths) -> None:
    code, out, err = run(home, ["--family", "uitars", "--width", "30000", "--height", "1"],
                         UITARS)
    assert code == 2 and out == ""
    assert err.startswith("error: no image frame for a 30000x1 screen") and err.count("\n") == 1


@pytest.mark.parametrize("args", [
    ["--width", "1" + "0" * 400, "--height", "10"],
    ["--width", "10", "--height", "10", "--image-width", "1" + "0" * 400, "--image-height", "5"],
    ["--width", "10", "--height", "10", "--cursor", "9" * 5000 + ",1"],
])
def test_absurd_sizes_are_usage_errors_not_tracebacks(home: Paths, args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["parse", "--family", "uitars", *args], input=UITARS)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
