"""Structured garbage, per family: the family's own grammar with one needed field broken.

Each writer returns a raw model output that holds no valid action by construction: an action
name, a point, an amount, a key list or a text that is wrong in the family's *documented*
grammar (see the family modules' docstrings), the rest of the output intact. ``fuzzing``
mixes these with soup and with mutants of the published outputs.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from models.actions import MAX_TEXT_CHARS
from models.frames import RELATIVE_GRID, Frame

# -- bad values ------------------------------------------------------------------------------

HUGE = "1" + "0" * 400
HUGER = "9" * 5000  # beyond Python's int-from-text limit (4300 digits)
# JSON literals that are not a plain decimal number a model writes for a coordinate/amount
BAD_JSON_NUMBERS = [
    "1e3", "1E3", "1.5e2", "5e-1", "-0e0", "NaN", "Infinity", "-Infinity", "true", "false",
    "null", '"x1"', '"x"', '"y1"', '"1e3"', '"nan"', '"inf"', '"Infinity"', '"\\u0663"',
    '"٣٠٠"', '"5٠"', '"５"', '"0x10"', '"1_000"', '" 5"', '"5 "', '"+5"', '"5px"', '""', "[]",
    "[5]", "[[5]]",
    "{}", '{"v": 5}', HUGE, "-" + HUGE, HUGER, '"' + HUGE + '"', "1" + "0" * 20,
    "12345678901234567", '"½"', '"五"', '"5,5"', '"5.5.5"',
]
BAD_JSON_STRINGS = ["5", "1e3", "null", "true", "[]", '["x"]', "{}", '{"text": "a"}', "NaN",
                    '"a\\ud800"', '"\\udfff"']  # lone surrogates: no keyboard can type them
BAD_STATUSES = ['""', '"ok"', '"Success"', '"failed"', '"success "', '["success"]']
BAD_KEYS = ["[]", "[1]", '[["ctrl"]]', '{"a": 1}', "5", "null", '["hyper"]', '""', '"  "',
            '["ctrl", ""]', "[null]", "[true]", '["ctrl", "ctrl", "ctrl", "ctrl", "ctrl", "s"]',
            '"ctrl+hyperspace"', '["\\u0000"]', '["\\ud800"]', "1e3", "NaN"]
BAD_ACTION_NAMES = ['["left_click"]', '{"left_click": 1}', "1", "null", "true", '"LEFT_CLICK"',
                    '"left click"', '"leftclick"', '""', '"left_click\\u0000"', '"\\u202eclick"',
                    '"clíck"', "[]", '["click", "type"]', "1e3", "NaN"]
BAD_POINT_TEXTS = [
    "(x1,y1)", "(x,y)", "(x3,y3)", "<|box_start|>(x1,y1)<|box_end|>",
    "<|box_start|>(x,y)<|box_end|>", "<|box_start|>(x1,y1,x2,y2)<|box_end|>", "(1e3,5)",
    "(5,1e3)", "(1e3)", "(1E3,5,7)", "(1e3,5,7,9)", "(nan,5)", "(inf,inf)", "(5,-inf)",
    "(١٠٠,٢٠٠)", "(100)", "(1,2,3)", "(1,2,3,4,5)", "()", "", "(0x10,5)", "(1_0,5)",
    "(5,5) or (6,6)", "click here", "(5;5)", "(+5,5)", "<point>x y</point>", "<bbox>1 2 3</bbox>",
    f"({HUGE},5)", f"(5,{HUGER})", "(5.5.5,5)", "(5,,5)", "((5,5))", "[[5,5]]", "(5 ,5 px)",
    "<|box_start|><|box_end|>", "<point></point>", "(½,5)", "(五,六)", "(5,5", "5,5)", "x=5, y=5",
    "(5٠,5)", "(٥,5)", "(5,５)",
]
BAD_DIRECTIONS = ["sideways", "", "UPWARD", "up down", "5", "d own", "\u0000"]
# not a score, wherever it stands: after "Score:" or inside <score></score>
BAD_SCORES = ["high", "x1", "1e3", "5e-1", "٧", "-1", "-0.5", "250", "7/0", "11/10", "nan",
              "inf", "Infinity", HUGE, "0." + "0" * 10 + "1e9", "0.5.5", "", "seven", "½",
              "0x1", "1_0", "/10", "%", "NaN%", "1e3%", "-7/10", "9/-10", "五", "7/10/10",
              "0٠", "٧0", "7/1٠", "５"]
# not a score inside the tag, which must hold one score and nothing else
BAD_TAG_SCORES = [*BAD_SCORES, "about 7", "7 or 8", "0.7 maybe", "step 3", "7 out of 10"]


def _out_of_frame(frame: Frame, relative: bool, rng: random.Random) -> list[str]:
    """Plain numbers outside the frame the family points in, whichever axis they stand for."""
    wide = RELATIVE_GRID if relative else max(frame.image_width, frame.image_height)
    return [str(wide + 1 + rng.randrange(5000)), str(-1 - rng.randrange(5000)),
            f"{wide}.5", "-0.5"]


def _prose(rng: random.Random, size: int = 40) -> str:
    """Harmless reasoning text: no braces, tags, quotes or 'Action'."""
    words = ["the", "button", "is", "at", "top", "left", "I", "will", "click", "save", "now",
             "screen", "shows", "a", "dialog", "Отмена", "保存", "ok", "then", "type"]
    return " ".join(rng.choice(words) for _ in range(rng.randint(0, size // 4)))[:size]


# -- structured garbage, per family ---------------------------------------------------------

def _qwen_call(args: str, name: str = '"computer_use"') -> str:
    return f'<tool_call>\n{{"name": {name}, "arguments": {args}}}\n</tool_call>'


def qwen_garbage(frame: Frame, rng: random.Random, relative: bool) -> str:
    bad = rng.choice(BAD_JSON_NUMBERS + _out_of_frame(frame, relative, rng))
    good = "[10, 10]"
    pair = rng.choice([f"[{bad}, 10]", f"[10, {bad}]", f"[{bad}, {bad}]", "[]", "[10]",
                       "[10, 10, 10]", '"10, 10"', '{"x": 10, "y": 10}', "[[10, 10]]", "null",
                       "true", "10", f'"[{bad}, 10]"'])
    clicks = ["left_click", "right_click", "middle_click", "double_click", "triple_click",
              "mouse_move", "click"]
    not_number = rng.choice(BAD_JSON_NUMBERS)
    choices: list[Callable[[], str]] = [
        lambda: _qwen_call(f'{{"action": "{rng.choice(clicks)}", "coordinate": {pair}}}'),
        lambda: _qwen_call(f'{{"action": "left_click_drag", "start_coordinate": {good}, '
                           f'"coordinate": {pair}}}'),
        lambda: _qwen_call(f'{{"action": "left_click_drag", "start_coordinate": {pair}, '
                           f'"coordinate": {good}}}'),
        lambda: _qwen_call(f'{{"action": "swipe", "coordinate": {good}, "coordinate2": {pair}}}'),
        lambda: _qwen_call(f'{{"action": "{rng.choice(["scroll", "hscroll"])}", '
                           f'"coordinate": {good}, "pixels": {rng.choice([not_number, "0"])}}}'),
        lambda: _qwen_call(f'{{"action": "scroll", "coordinate": {pair}, "pixels": -3}}'),
        lambda: _qwen_call(f'{{"action": "wait", "time": '
                           f'{rng.choice([not_number, "-1", "61", "3600"])}}}'),
        lambda: _qwen_call(f'{{"action": "type", "text": '
                           f'{rng.choice([*BAD_JSON_STRINGS, chr(34) * 2, _too_long()])}}}'),
        lambda: _qwen_call(f'{{"action": "key", "keys": {rng.choice(BAD_KEYS)}}}'),
        lambda: _qwen_call(f'{{"action": "terminate", "status": '
                           f'{rng.choice([*BAD_JSON_STRINGS, *BAD_STATUSES])}}}'),
        lambda: _qwen_call(f'{{"action": "{rng.choice(["answer", "ask_user"])}", "text": '
                           f'{rng.choice([*BAD_JSON_STRINGS, _too_long()])}}}'),
        lambda: _qwen_call(f'{{"action": {rng.choice(BAD_ACTION_NAMES)}, "coordinate": {good}}}'),
        lambda: _qwen_call(f'{{"action": "left_click", "coordinate": {good}}}',
                           rng.choice(['"browser"', '["computer_use"]', "5", "null",
                                       '"Computer_Use"', '{"a": 1}', "1e3"])),
        lambda: _qwen_call(rng.choice(['"left_click"', "[]", "null", "5", '[{"action": "wait"}]'])),
    ]
    head = rng.choice(["", _prose(rng) + "\n", f"<think>{_prose(rng)}</think>\n"])
    return head + rng.choice(choices)()


def _too_long() -> str:
    return '"' + "a" * (MAX_TEXT_CHARS + 1) + '"'


def deskhand_garbage(frame: Frame, rng: random.Random) -> str:
    bad = rng.choice(BAD_JSON_NUMBERS + _out_of_frame(frame, False, rng))
    not_number = rng.choice(BAD_JSON_NUMBERS)
    text_bad = rng.choice([*BAD_JSON_STRINGS, _too_long()])
    click_field = rng.choice(["x", "y"])
    drag_field = rng.choice(["x", "y", "to_x", "to_y"])
    drag = {"x": "10", "y": "10", "to_x": "20", "to_y": "20", drag_field: bad}
    choices: list[Callable[[], str]] = [
        lambda: '{"type": "click", ' + ", ".join(
            f'"{f}": {bad if f == click_field else "10"}' for f in ("x", "y")) + "}",
        lambda: '{"type": "move", "x": 10, "y": ' + bad + "}",
        lambda: '{"type": "drag", ' + ", ".join(f'"{k}": {v}' for k, v in drag.items()) + "}",
        lambda: '{"type": "click", "x": 10, "y": 10, "count": '
                + rng.choice([not_number, "0", "4", "2.5", '"2"', "-1"]) + "}",
        lambda: '{"type": "click", "x": 10, "y": 10, "button": '
                + rng.choice(['"side"', '"LEFT"', '["left"]', "null", "1", '""']) + "}",
        lambda: '{"type": "scroll", "x": 10, "y": 10, "dy": '
                + rng.choice([not_number, "0", "51", "-51", "-10000000", "2.5"]) + "}",
        lambda: '{"type": "scroll", "x": 10, "y": 10, "dy": -3, "dx": '
                + rng.choice([not_number, "51", "-10000000"]) + "}",
        lambda: '{"type": "scroll", "x": ' + bad + ', "y": 10, "dy": -3}',
        lambda: '{"type": "type", "text": ' + rng.choice([text_bad, '""']) + "}",
        lambda: '{"type": "key", "keys": ' + rng.choice(BAD_KEYS) + "}",
        lambda: '{"type": "wait", "seconds": '
                + rng.choice([not_number, "-1", "61", "3600"]) + "}",
        lambda: '{{"type": "{}", "{}": {}}}'.format(*rng.choice(
            [("done", "summary"), ("fail", "reason"), ("ask_user", "question")]), text_bad),
        lambda: '{"type": "shell", "command": ' + rng.choice([text_bad, '""', '"   "']) + "}",
        lambda: '{"type": ' + rng.choice(BAD_ACTION_NAMES) + ', "x": 10, "y": 10}',
        lambda: '{"type": "click", "x": 10, "y": 10, "' + rng.choice(
            ["z", "X", "extra", "to_x", "dy"]) + '": 1}',
        lambda: '{"name": "' + rng.choice(["click", "double_click", "move_mouse", "drag_mouse"])
                + '", "parameters": {"x": ' + bad + ', "y": 10}}',
        lambda: '{"name": ' + rng.choice(BAD_ACTION_NAMES + ['"open_url"']) + ', "parameters": '
                '{"x": 10, "y": 10}}',
        lambda: '{"name": "click", "parameters": '
                + rng.choice(['"x"', "[10, 10]", "null", "5"]) + "}",
        lambda: '{"name": "type_text", "parameters": {"text": ' + text_bad + "}}",
        lambda: '{"name": "press_key", "parameters": {"key": '
                + rng.choice(['"hyper"', "5", "null", '["ctrl"]', '""']) + "}}",
        lambda: '{"name": "scroll", "parameters": {"clicks": '
                + rng.choice([not_number, "0", "51", "-10000000"]) + "}}",
        lambda: rng.choice(['{"foo": 1}', '{"Type": "click", "x": 10, "y": 10}', "[]", "5",
                            '"click"', '{"type": "click", "x": 10, "y": 10']),
    ]
    think = rng.choice(["", f"<think>{_prose(rng)}</think>", _prose(rng)])
    return f"{think}<answer>{rng.choice(choices)()}</answer>"


def uitars_garbage(frame: Frame, rng: random.Random) -> str:
    wide, high = frame.image_width, frame.image_height
    off = [f"({wide + 1 + rng.randrange(999)},5)", f"(5,{high + 1 + rng.randrange(999)})",
           "(-5,5)", "(5,-1)", f"<point>{wide + 1} 5</point>", f"[{wide}.5,5]"]
    bad = rng.choice(BAD_POINT_TEXTS + off)
    point_arg = rng.choice(["start_box", "point", "start_point"])
    choices: list[Callable[[], str]] = [
        lambda: (f"{rng.choice(['click', 'left_single', 'left_double', 'right_single', 'hover'])}"
                 f"({point_arg}='{bad}')"),
        lambda: f"drag(start_box='(5,5)', end_box='{bad}')",
        lambda: f"select(start_box='{bad}', end_box='(5,5)')",
        lambda: f"scroll(start_box='(5,5)', direction='{rng.choice(BAD_DIRECTIONS)}')",
        lambda: f"scroll({point_arg}='{bad}', direction='down')",
        lambda: f"hotkey(key='{rng.choice(['', 'hyper', 'ctrl hyperspace', 'a b c d e f'])}')",
        lambda: "type(content='')",
        lambda: f"type(content='{'a' * (MAX_TEXT_CHARS + 1)}')",
        lambda: (f"{rng.choice(['clik', 'Click', 'open_app', 'left_triple', 'CLICK', 'click_'])}"
                 f"(start_box='(5,5)')"),
        lambda: f"click(start_box=(5,5)) extra {bad}",
        lambda: "click(start_box='(5,5)', start_box='" + bad + "')",
    ]
    head = rng.choice([f"Thought: {_prose(rng)}\n", f"<think>{_prose(rng)}</think>\nThought: x\n",
                       f"Reflection: {_prose(rng)}\nAction_Summary: {_prose(rng)}\n", ""])
    return f"{head}Action: {rng.choice(choices)()}"


def critic_garbage(rng: random.Random) -> str:
    bad, tag = rng.choice(BAD_SCORES), rng.choice(BAD_TAG_SCORES)
    return rng.choice([
        f"<think>{_prose(rng)}</think><score>{tag}</score>",
        f"<score>{tag}</score>",
        f"<score>{tag}",
        f"{_prose(rng)} Score: {bad}",
        f"{_prose(rng)} reward = {bad}",
        f"<think>{_prose(rng)}</think><score>0.5</score><score>{tag}</score>",
    ])


# Typed text that hides what it types (models.typed_text): wrong for every family's "type"
BAD_TYPED_JSON = ['"exit\\u0004"', '"a\\u001b[31m"', '"ab\\b\\b"', '"x\\u0085"',
                  '"evil\\u202etxt.exe"', '"one\\u2028two"']
BAD_TYPED_RAW = ["exit\x04", "a\x1b[31m", "x\x7f", "x\x85", "evil\u202etxt.exe", "a\u2029b"]
# Keys the actuator cannot press, in a JSON list: wrong for every family's key action
BAD_PRESSES = ['["ctrl", "\\u0446"]', '["ctrl", "é"]', '["alt", "f13"]', '["altgr", "e"]']


def guiowl_garbage(frame: Frame, rng: random.Random) -> str:
    """GUI-Owl-1.5: "Action: ..." then the Qwen3-VL tool call, or one of the names its
    desktop runner also executes, with one field broken."""
    bad = rng.choice(BAD_JSON_NUMBERS + _out_of_frame(frame, True, rng))
    pair = rng.choice([f"[{bad}, 10]", f"[10, {bad}]", "[]", "[10]", '"10, 10"', "null"])
    not_text = rng.choice(['"a\\ud800"', '["x"]', "5", "true", '{"text": "a"}', _too_long()])
    name = rng.choice([*BAD_ACTION_NAMES, '"open app"'])
    choices: list[Callable[[], str]] = [
        lambda: qwen_garbage(frame, rng, relative=True),
        lambda: _qwen_call(f'{{"action": "hotkey", "keys": {rng.choice(BAD_KEYS + BAD_PRESSES)}}}'),
        lambda: _qwen_call(f'{{"action": "key", "keys": {rng.choice(BAD_PRESSES)}}}'),
        lambda: _qwen_call(f'{{"action": "type", "text": {rng.choice(BAD_TYPED_JSON)}}}'),
        lambda: _qwen_call(f'{{"action": "{rng.choice(["computer_double_click", "right click"])}'
                           f'", "coordinate": {pair}}}'),
        lambda: _qwen_call(f'{{"action": "drag", "coordinate": {pair}}}'),
        lambda: _qwen_call(f'{{"action": "{rng.choice(["interact", "call_user"])}", '
                           f'"text": {not_text}}}'),
        lambda: _qwen_call(f'{{"action": "{rng.choice(["stop", "done"])}", "status": '
                           f'{rng.choice(BAD_STATUSES)}}}'),
        lambda: _qwen_call(f'{{"action": {name}, "coordinate": [10, 10]}}'),
    ]
    return f"Action: {_prose(rng)}\n{rng.choice(choices)()}"


BAD_VENUS_POINTS = ["(x1,y1)", "(x,y)", "(1e3,5)", "(5,1E3)", "(nan,5)", "(inf,inf)", "(5)",
                    "(5,5,9)", "(1,2,3,4)", "()", "", "(5,5", "5,5", "'(5,5)'", "[5,5]",
                    "((5,5))", "(5;5)", "(+5,5)", "(0x10,5)", "(1_0,5)", "(٥,5)", "(5,５)",
                    "(½,5)", f"({HUGE},5)", f"(5,{HUGER})", "<point>5 5</point>",
                    "<|box_start|>(5,5)<|box_end|>"]


def uivenus_garbage(frame: Frame, rng: random.Random) -> str:
    """UI-Venus-1.5: ``<think>..</think><action>Name(args)</action><conclusion>..``, one
    argument broken, a phone action, or a name the web prompt does not have."""
    off = [f"({v},5)" for v in _out_of_frame(frame, True, rng)] + [
        f"(5,{v})" for v in _out_of_frame(frame, True, rng)]
    bad = rng.choice(BAD_VENUS_POINTS + off)
    long_text = "a" * (MAX_TEXT_CHARS + 1)
    choices: list[Callable[[], str]] = [
        lambda: f"{rng.choice(['Click', 'DoubleClick', 'Hover'])}(box={bad})",
        lambda: f"Drag(start={bad}, end=(5,5))",
        lambda: f"Drag(start=(5,5), end={bad})",
        lambda: "Scroll(direction=" + rng.choice(
            ["'sideways'", "'down or up'", "", "down", "'5'", "'UPWARD'", "'d own'"]) + ")",
        lambda: "Hotkey(keys=" + rng.choice(
            ["'ctrl'", "[]", "['hyper']", "[ctrl]", "['a', 'b', 'c', 'd', 'e', 'f']",
             "['ctrl', 'ц']", "['ctrl', '東']", "['alt', 'f13']", "['altgr', 'e']", "['']",
             "ctrl+c", "['ctrl', 'hyperspace']"]) + ")",
        lambda: "Type(content=" + rng.choice(
            ["''", "oops", "'unterminated", f"'{long_text}'",
             *(f"'{t}'" for t in BAD_TYPED_RAW)]) + ")",
        lambda: "Type()",
        lambda: rng.choice(["Finished", "CallUser"]) + f"(content='{long_text}')",
        lambda: rng.choice(["Launch(app='Chrome')", "LongPress(box=(5,5))", "PressBack()",
                            "PressHome()", "PressRecent()"]),
        lambda: rng.choice(["click", "CLICK", "Tap", "Fly", "Press", "Scroll_", "OpenApp"])
                + "(box=(5,5))",
        lambda: "Click(box=(5,5), a=1, b=2, c=3, d=4)",
        lambda: "Click box=(5,5)",
    ]
    return (f"<think>{_prose(rng)}</think>\n<action>{rng.choice(choices)()}</action>\n"
            f"<conclusion>{_prose(rng)}</conclusion>")
