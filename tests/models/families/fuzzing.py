"""A seeded generator of hostile model outputs, per family, for the parser fuzz tests.

Every case is a raw output, a frame, a pointer position and a flag saying whether the text is
*garbage*. Garbage holds no valid action by construction, for one of two reasons:

* the family's own grammar with one field the action needs replaced by a bad value (an action
  type that is a list, a coordinate that is a template placeholder such as ``(x1,y1)``, a
  number in scientific notation, NaN, a bool, 400 digits, a point off the frame, nested junk,
  ...), the rest of the output intact;
* text without the family's action introducer at all (no ``Action:`` for UI-TARS, no
  ``"arguments"`` object for the Qwen tool call, no ``<answer>`` for Deskhand, no digit for
  the critic): random tokens, unicode, control characters, JSON-ish junk.

The other cases are *mutants*: the real published outputs of the family tests cut, spliced,
duplicated and sprinkled with junk. A mutant may still hold an action; then it must be a valid
one on the monitor. The one design choice a reader must know: the bad values are chosen so that
each one is wrong in the family's documented grammar (see the family modules' docstrings), not
so that today's parser happens to refuse them.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from models.actions import MAX_TEXT_CHARS
from models.frames import RELATIVE_GRID, Frame, Monitor
from tests.models.families import (
    test_critic,
    test_deskhand,
    test_qwen3vl,
    test_qwen25vl,
    test_uitars,
)

SEED = 20250611
CASES_PER_FAMILY = 12_000
FAMILIES = ("qwen25vl", "qwen3vl", "uitars", "deskhand", "critic")


@dataclass(frozen=True)
class Case:
    text: str
    frame: Frame
    cursor: tuple[int, int] | None
    garbage: bool
    how: str  # the generator that made it, to reproduce a failure


# -- frames and pointers -------------------------------------------------------------------

MONITORS = [
    Monitor(0, 0, 1920, 1080), Monitor(0, 0, 1280, 800), Monitor(-2560, 0, 2560, 1440, 2.0),
    Monitor(1920, -200, 2560, 1440, 1.25), Monitor(0, 0, 1, 1), Monitor(0, 0, 320, 240),
    Monitor(-32000, -32000, 7680, 4320), Monitor(100, 100, 1092, 2408), Monitor(0, 0, 1000, 1000),
]


def frame_for(family: str, rng: random.Random) -> Frame:
    """A frame as the family makes it, or (one case in five) an arbitrary image size."""
    from models.families.base import get_family

    monitor = rng.choice(MONITORS)
    if family == "critic" or rng.random() < 0.2:
        return Frame(monitor, rng.choice([1, 7, 224, 1000, 1316, 1932, 4000]),
                     rng.choice([1, 5, 224, 728, 1000, 1092, 3000]))
    return get_family(family).frame(monitor)


def cursor_for(frame: Frame, rng: random.Random) -> tuple[int, int] | None:
    m = frame.monitor
    return rng.choice([
        None,
        (rng.randrange(m.left, m.right), rng.randrange(m.top, m.bottom)),
        (m.right, m.bottom),  # one past the last pixel: off the monitor
        (rng.randint(-10**6, 10**6), rng.randint(-10**6, 10**6)),
        (10**400, -(10**400)),
    ])


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


# -- garbage without an introducer ------------------------------------------------------------

SOUP = [
    "{", "}", "[", "]", "(", ")", '"', "'", ":", ",", "=", "<", ">", "/", "\\", " ", "\n", "\t",
    "\x00", "\x1b[31m", "\u202e", "\ufeff", "\ud7ff", "💥", "é", "ß", "ǅ", "١٢", "五", "½", "NaN",
    "Infinity", "-", "1e3", "1e400", HUGE, "0", "5", "658", "-3", "true", "null", "<think>",
    "</think>", "<tool_call>", "</tool_call>", "<score>", "</score>", "<answer", "answer>",
    "Thought:", "Action", "action", "ACTION:", "Acti on:", "click", "left_click", "type",
    "coordinate", '"action"', '"argument"', '"name"', '"computer_use"', '"type"', '"x"',
    "<|box_start|>", "<|box_end|>", "<point>", "</point>", "<bbox>", "(x1,y1)", "start_box=",
    "score", "reward", "%", "/", ".", "*", "…", "\r", "\u2028", "\\u0061",
]
INTRODUCERS: dict[str, Callable[[str], bool]] = {
    "uitars": lambda t: "Action" in t or re.match(r"\s*[A-Za-z_]+\s*\(", t) is not None,
    "qwen25vl": lambda t: '"arguments"' in t or "\\u" in t,
    "qwen3vl": lambda t: '"arguments"' in t or "\\u" in t,
    "deskhand": lambda t: "<answer>" in t,
    "critic": lambda t: any(c.isdigit() for c in t),
}


def soup(rng: random.Random) -> str:
    size = rng.choice([0, 1, 3, 10, 40, 200, 2000])
    if rng.random() < 0.3:
        return "".join(rng.choice(string.printable) for _ in range(size))
    if rng.random() < 0.2:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(size))
    return "".join(rng.choice(SOUP) for _ in range(size))


# -- mutants of the real outputs --------------------------------------------------------------

def real_outputs(family: str) -> list[str]:
    """The published outputs of the family tests (and what format_action writes)."""
    if family == "uitars":
        return [v[0] for v in test_uitars.VECTORS]
    if family == "qwen25vl":
        return [v[0] for v in test_qwen25vl.VECTORS] + [v[0] for v in test_qwen25vl.REAL_OUTPUTS]
    if family == "qwen3vl":
        return [test_qwen3vl.call(a) for a, _ in _qwen3_args()] + [test_qwen3vl.REAL_OUTPUT]
    if family == "deskhand":
        return [t for t, _ in test_deskhand.R1_VECTORS] + [
            f"<think>Looking.</think><answer>{a}</answer>" for a, _ in _deskhand_answers()]
    return [v[0] for v in _critic_vectors()]


def _qwen3_args() -> list[tuple[str, object]]:
    marks = test_qwen3vl.test_outputs.pytestmark  # type: ignore[attr-defined]
    return list(marks[0].args[1])


def _deskhand_answers() -> list[tuple[str, object]]:
    marks = test_deskhand.test_own_json_in_image_pixels.pytestmark  # type: ignore[attr-defined]
    return list(marks[0].args[1])


def _critic_vectors() -> list[tuple[str, str, float]]:
    marks = test_critic.test_verdicts.pytestmark  # type: ignore[attr-defined]
    return list(marks[0].args[1])


JUNK = ["", "\x00", "{", "}", "[", "]", "\"", "'", ")", "(", ",", ":", "NaN", "Infinity", "-",
        "1e3", HUGE, HUGER, "[[[[[[[[", "{{{{", '{"a":' * 50, "true", "null", "x1", "\\", "\\u",
        "<|box_end|>", "</tool_call>", "<tool_call>", "Action: ", "</answer>", "<answer>",
        "💥", "\u202e", "\r\n", "٣", "\ud800", "   ", "0" * 30, "-0", ".5", "e", "E+9"]


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        n = len(text)
        i, j = sorted((rng.randint(0, n), rng.randint(0, n)))
        op = rng.randrange(8)
        if op == 0:
            text = text[:i] + text[j:]  # cut a span
        elif op == 1:
            text = text[:j] + text[i:j] + text[j:]  # duplicate a span
        elif op == 2:
            text = text[:i] + rng.choice(JUNK) + text[i:]  # insert junk
        elif op == 3:
            text = re.sub(r"[0-9]+", lambda m: rng.choice([m.group(0), *JUNK[10:17]]), text,
                          count=rng.randint(1, 3))  # corrupt numbers
        elif op == 4:
            text = text[:i]  # generation cut short
        elif op == 5 and n:
            text = text[:i] + chr(rng.randrange(0x110000)) + text[i + 1:]  # replace a char
        elif op == 6:
            text = text.swapcase() if rng.random() < 0.2 else text + text  # two outputs
        else:
            depth = rng.choice([10, 1000, 5000])
            text = text[:i] + "[" * depth + text[i:] + "]" * rng.choice([0, depth])
    return text


def huge(rng: random.Random, real: str) -> str:
    """Very long outputs: long reasoning, deep nesting, a long JSON array, many tags."""
    return rng.choice([
        _prose(rng) * 2000 + real,
        "[" * 50_000 + real,
        '{"a": ' * 20_000 + "1" + "}" * 20_000,
        '{"name": "computer_use", "arguments": {"action": "type", "text": "' + "x" * 90_000
        + '"}}',
        "<think>" * 10_000 + real,
        "Action: click(start_box='" + " " * 50_000 + "x",
        "Action: click(" + " " * 40_000 + "!",
        "Action: type(" + "a='1'," * 10_000 + ")",
        "1" * 60_000 + "x",
        "score " * 10_000 + "1" * 1000 + "x",
        real + "{" * 80_000,
        '{"a": [' + "0," * 40_000 + "{",
        "Action: click(start_box='(5,5)" + " " * 60_000 + "x')",
        "<answer>" + '{"a":' * 15_000,
    ])


# -- the cases --------------------------------------------------------------------------------

def cases(family: str, n: int = CASES_PER_FAMILY, seed: int = SEED) -> Iterator[Case]:
    """``n`` cases for ``family`` (``critic``: the reward model's verdicts), reproducibly."""
    rng = random.Random(f"{seed}:{family}")
    reals = real_outputs(family)
    introduced = INTRODUCERS[family]
    for i in range(n):
        frame = frame_for(family, rng)
        cursor = cursor_for(frame, rng)
        roll = rng.random()
        if roll < 0.45:
            if family == "uitars":
                text = uitars_garbage(frame, rng)
            elif family == "deskhand":
                text = deskhand_garbage(frame, rng)
            elif family == "critic":
                text = critic_garbage(rng)
            else:
                text = qwen_garbage(frame, rng, relative=family == "qwen3vl")
            yield Case(text, frame, cursor, True, f"{family} structured #{i}")
        elif roll < 0.65:
            text = soup(rng)
            while introduced(text):
                text = soup(rng)
            yield Case(text, frame, cursor, True, f"{family} soup #{i}")
        elif roll < 0.99:
            yield Case(mutate(rng.choice(reals), rng), frame, cursor, False,
                       f"{family} mutant #{i}")
        else:
            yield Case(huge(rng, rng.choice(reals)), frame, cursor, False, f"{family} huge #{i}")
