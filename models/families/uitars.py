"""UI-TARS-1.5: ``Thought: …\\nAction: click(start_box='(x,y)')``, absolute image pixels.

The output grammar is the one of ByteDance-Seed/UI-TARS (``codes/ui_tars/action_parser.py``,
``codes/ui_tars/prompt.py``, README "computer use" prompt) and bytedance/UI-TARS-desktop
(``packages/ui-tars/action-parser``): an optional ``<think>…</think>``, a ``Thought:`` (or
``Reflection:`` + ``Action_Summary:``), then ``Action:`` and one call such as
``left_double(start_box='<|box_start|>(x,y)<|box_end|>')``. Points come as ``(x,y)``,
``<|box_start|>(x,y)<|box_end|>``, ``<point>x y</point>``, ``<bbox>x1 y1 x2 y2</bbox>`` or
``[x1,y1,x2,y2]``; a box means its centre.

The design choice a reader must know: coordinates are absolute pixels of the image resized
with UI-TARS' own ``smart_resize`` constants (factor 28, min 100·28·28 pixels — its
``action_parser.py``), i.e. a 1920×1080 screen is seen as 1932×1092; its maximum of
16384·28·28 pixels is cut to what llama.cpp's projector takes unresized (4,096 tokens,
``models.image_tokens``), else a 4K screen would be resized a second time by mtmd and every
click would land in the wrong place. The action
arguments are read by a small hand-written scanner, never ``eval``/``ast``: ``content`` runs
to the last quote before the closing parenthesis, as UI-TARS' own parser does, so unescaped
quotes inside typed text survive. Points are read strictly: one of the forms above holding 2
(a point) or 4 (a box) plain decimal numbers, nothing else — so the prompt's own placeholders
(``(x1,y1)``), scientific notation (``1e3``, which UI-TARS never writes), unicode digits or
stray text never become a click.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.actions import (
    MAX_TEXT_CHARS,
    Action,
    ActionError,
    AskUser,
    Click,
    Done,
    Drag,
    Fail,
    Key,
    Move,
    Scroll,
    Type,
    Wait,
    parse_keys,
)
from models.families.base import Family, Parsed, ParseError
from models.families.common import (
    ChatFamily,
    check_output,
    checked,
    cursor_point,
    on_screen,
    plain_number,
    screen_to_image_int,
    short,
    validated,
)
from models.frames import Frame
from models.image_tokens import MTMD_MAX_IMAGE_TOKENS

SCROLL_CLICKS = 5  # UI-TARS executes scroll(direction) as pyautogui.scroll(±5)
WAIT_SECONDS = 5.0  # "wait() #Sleep for 5s and take a screenshot"
_ACTION_MARK = re.compile(r"Action[:：]\s*")
_THOUGHT = re.compile(r"(?:Thought|Action_Summary)[:：]\s*(.*)", re.DOTALL)
_CALL_HEAD = re.compile(r"\s*([A-Za-z_]+)\s*\(")
_ARG_NAME = re.compile(r"\s*(?:,\s*)?([A-Za-z_]+)\s*=\s*")  # no nested \s*: no backtracking
_SEPARATORS = re.compile(r"[\s,]*")
MAX_ARGUMENTS = 8
# A point or a box: (x,y) [x,y] <point>x y</point> <bbox>x1 y1 x2 y2</bbox>, maybe inside
# <|box_start|> <|box_end|>; the numbers are checked one by one afterwards.
# (every optional part starts with a literal, so no two \s* compete for the same spaces)
_POINT_TEXT = re.compile(r"\s*(?:<\|box_start\|>\s*)?(?:\(([^()]*)\)|\[([^\[\]]*)\]|"
                         r"<point>([^<>]*)</point>|<bbox>([^<>]*)</bbox>)(?:\s*<\|box_end\|>)?\s*")
_NUMBER_SEPARATOR = re.compile(r"\s*,\s*|\s+")
_ESCAPES = re.compile(r"\\(.)")
_ESCAPED = {"n": "\n", "t": "\t"}
_CLICKS = {"click": ("left", 1), "left_single": ("left", 1), "left_double": ("left", 2),
           "right_single": ("right", 1)}
_DIRECTIONS = {"up": (0, SCROLL_CLICKS), "down": (0, -SCROLL_CLICKS),
               "left": (-SCROLL_CLICKS, 0), "right": (SCROLL_CLICKS, 0)}

PROMPT = "\n".join([
    'You are a GUI agent. You are given a task and your action history, with screenshots. You '
    'need to perform the next action to complete the task.',
    '',
    '## Output Format',
    '```',
    'Thought: ...',
    'Action: ...',
    '```',
    '',
    '## Action Space',
    '',
    "click(start_box='<|box_start|>(x1,y1)<|box_end|>')",
    "left_double(start_box='<|box_start|>(x1,y1)<|box_end|>')",
    "right_single(start_box='<|box_start|>(x1,y1)<|box_end|>')",
    "drag(start_box='<|box_start|>(x1,y1)<|box_end|>', end_box='<|box_start|>(x3,y3)<|box_end|>')",
    "hotkey(key='')",
    'type(content=\'\') #If you want to submit your input, use "\\n" at the end of `content`.',
    "scroll(start_box='<|box_start|>(x1,y1)<|box_end|>', direction='down or up or right or left')",
    'wait() #Sleep for 5s and take a screenshot to check for any changes.',
    'finished(content=\'xxx\') # Use escape characters \\\', \\", and \\n in content part to '
    'ensure we can parse the content in normal python string format.',
    'call_user() # Submit the task and call the user when the task is unsolvable, or when you '
    "need the user's help.",
    '',
    '## Note',
    '- Use English in `Thought` part.',
    '- Write a small plan and finally summarize your next action (with its target element) in '
    'one sentence in `Thought` part.',
    '',
    '## User Instruction',
    '',
])


def _unescape(text: str) -> str:
    return _ESCAPES.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), text)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")


def _think(text: str) -> tuple[str, int] | None:
    """The first ``<think>…</think>`` (its inside and where it ends), found in linear time."""
    start = text.find("<think>")
    end = text.find("</think>", start + len("<think>")) if start != -1 else -1
    if end == -1:
        return None
    return text[start + len("<think>"):end], end + len("</think>")


def read_point(value: str) -> tuple[float, float]:
    """A point or a box (its centre) in the model's image pixels, or ``ParseError``.

    >>> read_point("<|box_start|>(100,200)<|box_end|>"), read_point("<bbox>0 0 10 20</bbox>")
    ((100.0, 200.0), (5.0, 10.0))
    >>> read_point("(x1,y1)")
    Traceback (most recent call last):
    ...
    models.families.base.ParseError: expected a point or a box of plain numbers, got '(x1,y1)'
    """
    form = _POINT_TEXT.fullmatch(value)
    inside = next((g for g in form.groups() if g is not None), "") if form else ""
    nums = [plain_number(part) for part in _NUMBER_SEPARATOR.split(inside.strip())]
    if not form or len(nums) not in (2, 4) or any(n is None for n in nums):
        raise ParseError(f"expected a point or a box of plain numbers, got {short(value)}")
    x1, y1, *box = [n for n in nums if n is not None]
    if box:
        return (x1 + box[0]) / 2, (y1 + box[1]) / 2
    return x1, y1


def split_call(call: str) -> tuple[str, dict[str, str]]:
    """``name(key='value', ...)`` → (name, arguments), without evaluating anything.

    >>> split_call("type(content='it's done\\\\n')")
    ('type', {'content': "it's done\\n"})
    >>> split_call("scroll(point='<point>5 6</point>', direction='down')")
    ('scroll', {'point': '<point>5 6</point>', 'direction': 'down'})
    """
    head = _CALL_HEAD.match(call)
    if not head:
        raise ParseError(f"not an action call: {short(call[:80])}")
    body = call[head.end():].rstrip()
    if body.endswith(")"):
        body = body[:-1]
    args: dict[str, str] = {}
    pos = 0
    while not _SEPARATORS.fullmatch(body, pos):
        name = _ARG_NAME.match(body, pos)
        if not name:
            raise ParseError(f"cannot read the arguments of {head.group(1)}: "
                             f"{short(body[pos:pos + 80])}")
        key, pos = name.group(1), name.end()
        if key in args:
            raise ParseError(f"argument {short(key)} given twice")
        if len(args) == MAX_ARGUMENTS:
            raise ParseError(f"{head.group(1)} has more than {MAX_ARGUMENTS} arguments")
        quote = body[pos:pos + 1]
        if quote in ("'", '"'):
            if key == "content":  # runs to the last quote: typed text may hold quotes
                end = body.rfind(quote)
            else:
                end = pos + 1
                while end < len(body) and (body[end] != quote or body[end - 1] == "\\"):
                    end += 1
            if end <= pos or end >= len(body) and key != "content":
                raise ParseError(f"unterminated quote in argument {short(key)}")
            args[key] = _unescape(body[pos + 1:end])
            pos = end + 1
        else:
            end = body.find(",", pos)
            end = len(body) if end == -1 else end
            args[key] = body[pos:end].strip()
            pos = end
    return head.group(1), args


@dataclass(frozen=True)
class UITarsFamily(ChatFamily):
    """UI-TARS-1.5 (a Qwen2.5-VL fine-tune): its prompt, grammar and pixel frame."""

    def system_prompt(self, frame: Frame) -> str:
        return "You are a helpful assistant."

    def user_intro(self, task: str, frame: Frame) -> str:
        return PROMPT + task + "\n\n"

    def parse(self, text: str, frame: Frame, cursor: tuple[int, int] | None = None) -> Parsed:
        think = _think(check_output(text))
        rest = text[think[1]:] if think else text
        mark = _ACTION_MARK.search(rest)
        if mark:
            head, call = rest[:mark.start()], rest[mark.end():]
        elif _CALL_HEAD.match(rest.strip()) and rest.strip().split("(")[0].strip() in _KNOWN:
            head, call = "", rest.strip()
        else:
            raise ParseError("no 'Action:' in the output")
        thought = _THOUGHT.search(head)
        parts = [think[0].strip() if think else "",
                 (thought.group(1) if thought else head).strip()]
        reasoning = "\n".join(p for p in parts if p)
        first = call.strip().split(")\n\n")[0]
        name, args = split_call(first)
        return Parsed(reasoning, checked(self._action(name, args, frame, cursor, reasoning)))

    def _point(self, value: str, frame: Frame, what: str) -> tuple[int, int]:
        try:
            x, y = read_point(value)
        except ParseError as exc:
            raise ParseError(f"{what}: {exc}") from None
        return on_screen(frame.image_to_screen, x, y, what)

    def _action(self, name: str, args: dict[str, str], frame: Frame,
                cursor: tuple[int, int] | None, reasoning: str) -> Action:
        # a point argument that is there must be a point, even an empty one
        start = next((args[k] for k in ("start_box", "point", "start_point") if k in args), None)
        end = next((args[k] for k in ("end_box", "end_point") if k in args), None)

        def here() -> tuple[int, int]:
            if start is None:
                return cursor_point(frame, cursor, name)
            return self._point(start, frame, name)

        if name in _CLICKS:
            return Click(*here(), *_CLICKS[name])
        if name == "hover":
            return Move(*here())
        if name in ("drag", "select"):
            if end is None:
                raise ParseError(f"{name} needs an end_box")
            return Drag(*here(), *self._point(end, frame, name))
        if name == "scroll":
            direction = args.get("direction", "").strip().lower()
            if direction not in _DIRECTIONS:
                raise ParseError(
                    f"scroll direction must be up/down/left/right, got {short(direction)}")
            return Scroll(*here(), *_DIRECTIONS[direction])
        if name in ("hotkey", "press", "keydown"):
            keys = args.get("key", args.get(name, ""))
            try:
                return Key(parse_keys(keys))
            except ActionError as exc:
                raise ParseError(str(exc)) from None
        if name == "type":
            return validated({"type": "type", "text": args.get("content", args.get("text", ""))})
        if name == "wait":
            return Wait(WAIT_SECONDS)
        if name == "finished":
            return Done(args.get("content", ""))
        if name == "call_user":
            return AskUser(reasoning[:MAX_TEXT_CHARS] or "The agent needs your help to go on.")
        raise ParseError(f"action {short(name)} is not supported on the desktop")

    def format_action(self, action: Action, frame: Frame, reasoning: str = "") -> str:
        def box(x: int, y: int) -> str:
            ix, iy = screen_to_image_int(frame, x, y)
            return f"'<|box_start|>({ix},{iy})<|box_end|>'"

        call: str
        if isinstance(action, Click):
            names = {v: k for k, v in reversed(list(_CLICKS.items()))}
            name = names.get((action.button, action.count), "click")
            call = f"{name}(start_box={box(action.x, action.y)})"
        elif isinstance(action, Move):
            call = f"hover(start_box={box(action.x, action.y)})"
        elif isinstance(action, Drag):
            call = (f"drag(start_box={box(action.x, action.y)}, "
                    f"end_box={box(action.to_x, action.to_y)})")
        elif isinstance(action, Scroll):
            direction = ("up" if action.dy > 0 else "down") if action.dy else (
                "right" if action.dx > 0 else "left")
            call = f"scroll(start_box={box(action.x, action.y)}, direction='{direction}')"
        elif isinstance(action, Key):
            call = f"hotkey(key='{' '.join(action.keys)}')"
        elif isinstance(action, Type):
            call = f"type(content='{_escape(action.text)}')"
        elif isinstance(action, Wait):
            call = "wait()"
        elif isinstance(action, Done):
            call = f"finished(content='{_escape(action.summary)}')"
        elif isinstance(action, (AskUser, Fail)):
            call = "call_user()"
        else:
            raise ParseError(f"uitars cannot express a {action.kind} action")
        return f"Thought: {' '.join(reasoning.split()) or '...'}\nAction: {call}"


_KNOWN = {*_CLICKS, "hover", "drag", "select", "scroll", "hotkey", "press", "keydown", "type",
          "wait", "finished", "call_user"}

FAMILY: Family = UITarsFamily("uitars", factor=28, min_pixels=100 * 28 * 28,
                      max_pixels=min(16384, MTMD_MAX_IMAGE_TOKENS) * 28 * 28)
