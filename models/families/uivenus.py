"""UI-Venus-1.5 (inclusionAI, a Qwen3-VL fine-tune): its web-agent prompt, 0-1000 grid.

Source of every string here: inclusionAI/UI-Venus at commit
c3a1442c3c4501af18c124458dbbddcbda5c2c6f ("UI-Venus 1.5 version release"): the navigation
prompt ``WEB_USER_PROMPT`` of ``models/navigation/utils.py`` (the README's ``PROMPT_TYPE="web"``,
"for browser/web page navigation tasks"; the other choice is the Android one), sent as the
only user text after a "You are a helpful assistant." system turn
(``models/navigation/ui_venus_navi_vllm.py``), with earlier steps written as
``Step {i}: <think>{think}</think><action>{action}</action>`` from 0, one a line
(``ui_venus_navi_agent.py``). The model answers::

    <think> ... </think>
    <action>Click(box=(x,y))</action>
    <conclusion> ... </conclusion>

The design choices a reader must know: points are on a 0-1000 grid over the screenshot. The
1.5 technical report maps "all spatial targets" to [0, 1000], the 1.5 grounding code
(``models/grounding/ui_venus1_5_gd.py``) and the 1.5 Android framework
(``Venus_framework/policy/ui_venus_policy.py``: ``x * width / 1000``) read them so; only the
evaluation agent still rescales from a factor-28 resize, a leftover of the Qwen2.5-VL 1.0
models. The web prompt promises that "The system automatically presses ENTER" after ``Type``;
Deskhand does not keep that promise (on a desktop an Enter after every typed text could send a
message or run a command the person never saw), so the model submits with ``PressEnter()``,
which it also has. Actions with no desktop meaning (``Launch``,
``LongPress``, ``PressBack``, ``PressHome``, ``PressRecent``) are parse errors, never guesses;
``CallUser`` (the prompt's way to reply to the person) asks the person; ``Scroll`` turns the
wheel by ``SCROLL_CLICKS`` at the pointer, since it names no point. The arguments are read by
a small scanner, never ``eval``; a ``content`` runs to the last quote before the closing
parenthesis, as the official parser's split tolerates quotes inside typed text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from models.actions import (
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
    describe,
    parse_keys,
)
from models.families.base import Family, HistoryStep, Parsed, ParseError
from models.families.common import (
    ChatFamily,
    check_output,
    checked,
    cursor_point,
    on_screen,
    plain_number,
    scrub,
    short,
    validated,
)
from models.frames import RELATIVE_GRID, Frame

SYSTEM = "You are a helpful assistant."
SCROLL_CLICKS = 5
WAIT_SECONDS = 1.0  # the 1.5 framework waits 1000 ms on Wait()
MAX_ARGUMENTS = 4
_TAG = {t: re.compile(rf"<{t}>(.*?)</{t}>", re.DOTALL) for t in ("think", "action", "conclusion")}
_CALL = re.compile(r"\s*([A-Za-z]+)\s*\((.*)\)\s*", re.DOTALL)
_ARG = re.compile(r"\s*([A-Za-z_]+)\s*=\s*")
_POINT = re.compile(r"\(\s*([^(),\s]+)\s*,\s*([^(),\s]+)\s*\)")
_KEY_ITEM = re.compile(r"\s*(['\"])(.*?)\1\s*")
_CLICKS = {"Click": 1, "DoubleClick": 2}
_DIRECTIONS = {"up": (0, SCROLL_CLICKS), "down": (0, -SCROLL_CLICKS),
               "left": (-SCROLL_CLICKS, 0), "right": (SCROLL_CLICKS, 0)}
_MOBILE = ("Launch", "LongPress", "PressBack", "PressHome", "PressRecent")
_TEXT_ACTIONS = ("Type", "Finished", "CallUser")

# models/navigation/utils.py's WEB_USER_PROMPT, byte for byte.
WEB_USER_PROMPT = (
    "\n"
    "**You are a GUI Agent.**\n"
    "Your task is to analyze a given user task, review current screenshot and previous "
    "actions, and determine the next action to complete the task.\n"
    "\n"
    "### Available Actions\n"
    "You may execute one of the following functions:\n"
    "- Click(box=(x1,y1))\n"
    "- Drag(start=(x1,y1), end=(x2,y2))\n"
    "- Scroll(direction='down or up')\n"
    "- Type(content='')\n"
    "- Launch(app='' or url='')\n"
    "- Wait()\n"
    "- Finished(content='')\n"
    "- CallUser(content='')\n"
    "- LongPress(box=(x1,y1))\n"
    "- PressBack()\n"
    "- PressHome()\n"
    "- PressEnter()\n"
    "- PressRecent()\n"
    "- Hover(box=(x1,y1))\n"
    "- DoubleClick(box=(x1,y1))\n"
    "- Hotkey(keys=['ctrl', 'c']) # Split keys with comma and wrap each key in single "
    "quotes. Do not use more than 3 keys in one Hotkey action.\n"
    "\n"
    "### User Task\n"
    "{user_task}\n"
    "\n"
    "### Previous Actions\n"
    "{previous_actions}\n"
    "\n"
    "### Output Format\n"
    "<think> your thinking process </think>\n"
    "<action> the next action </action>\n"
    "<conclusion> the conclusion about the next action </conclusion>\n"
    "\n"
    "### Instruction\n"
    "- Make sure you understand the task goal to avoid wrong actions.\n"
    "- Make sure you carefully examine the the current screenshot. Sometimes the "
    "summarized history might not be reliable, over-claiming some effects.\n"
    "- For complex information-retrieval tasks, use `CallUser(content='...')` to reply "
    "only at the very end, after gathering all required info. Combine web evidence with "
    "your reasoning.\n"
    "- To input text: first `Click(box=...)` on the textbox, then `Type(content='...')`. "
    "The system automatically presses `ENTER` afterward. If search filters are needed, "
    "click the search button after typing.\n"
    "- Try to use simple language when searching.\n"
    "- Distinguish textbox from button: never `Type` into a button. If no textbox is "
    "visible, try clicking the search icon first — the input field may appear afterward.\n"
    "- Execute only one action per step.\n"
    "- Strictly avoid repeating the same action when the webpage remains unchanged — you "
    "may have executed the wrong action. Continuous use of `Wait()` is also NOT allowed.\n"
)

_BEFORE_TASK, _REST = WEB_USER_PROMPT.split("{user_task}")
_BETWEEN, AFTER_HISTORY = _REST.split("{previous_actions}")


def split_arguments(body: str) -> list[tuple[str, str]]:
    """``key=value, ...`` → [(key, raw value)], split at commas outside quotes and brackets.

    >>> split_arguments("start=(1,2), end=(3, 4)")
    [('start', '(1,2)'), ('end', '(3, 4)')]
    >>> split_arguments("keys=['ctrl', 'c']")
    [('keys', "['ctrl', 'c']")]
    """
    parts: list[tuple[str, str]] = []
    pos = 0
    while body[pos:].strip():
        name = _ARG.match(body, pos)
        if not name:
            raise ParseError(f"cannot read the arguments {short(body[pos:pos + 80])}")
        if len(parts) == MAX_ARGUMENTS:
            raise ParseError(f"more than {MAX_ARGUMENTS} arguments")
        end, depth, quote = name.end(), 0, ""
        while end < len(body) and (quote or depth or body[end] != ","):
            ch = body[end]
            if quote:
                quote = "" if ch == quote and body[end - 1] != "\\" else quote
            elif ch in "'\"":
                quote = ch
            elif ch in "([":
                depth += 1
            elif ch in ")]":
                depth -= 1
            end += 1
        parts.append((name.group(1), body[name.end():end].strip()))
        pos = end + 1 if end < len(body) else end
    return parts


def _unquote(value: str, what: str) -> str:
    if len(value) < 2 or value[0] not in "'\"" or value[-1] != value[0]:
        raise ParseError(f"{what} must be a quoted string, got {short(value)}")
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value[1:-1])


def _content(name: str, body: str) -> str:
    """The one ``content='...'`` of Type/Finished/CallUser, to the last matching quote."""
    head = re.match(r"\s*content\s*=\s*(['\"])", body)
    if not head:
        if name != "Type" and not body.strip():
            return ""
        raise ParseError(f"{name} needs content='...', got {short(body)}")
    end = body.rfind(head.group(1))
    if end < head.end() or body[end + 1:].strip():
        raise ParseError(f"{name}: unterminated content {short(body)}")
    return _unquote(body[head.start(1):end + 1], f"{name} content")


@dataclass(frozen=True)
class UIVenusFamily(ChatFamily):
    """UI-Venus-1.5: the official web-agent prompt and its ``<action>Name(...)`` answers."""

    def system_prompt(self, frame: Frame) -> str:
        return SYSTEM

    def user_intro(self, task: str, frame: Frame) -> str:
        return f"{_BEFORE_TASK}{task}{_BETWEEN}"

    def history_text(self, history: Sequence[HistoryStep], frame: Frame) -> str:
        lines = []
        for i, step in enumerate(history):
            try:
                call = self.write_call(step.action, frame)
            except ValueError:  # not on this monitor any more, or not in the vocabulary
                call = describe(step.action)
            think = " ".join(scrub(step.reasoning).split())
            lines.append(f"Step {i}: <think>{think}</think><action>{scrub(call)}</action>")
        return "\n".join(lines) + AFTER_HISTORY

    # -- parse -------------------------------------------------------------------------
    def parse(self, text: str, frame: Frame, cursor: tuple[int, int] | None = None) -> Parsed:
        found = {t: r.search(check_output(text)) for t, r in _TAG.items()}
        if not found["action"]:
            raise ParseError("no <action>...</action> in the output")
        think = found["think"].group(1).strip() if found["think"] else ""
        call = _CALL.fullmatch(found["action"].group(1))
        if not call:
            raise ParseError(f"not an action call: {short(found['action'].group(1))}")
        return Parsed(think, checked(self._action(call.group(1), call.group(2), frame, cursor)))

    def _point(self, value: str | None, frame: Frame, what: str) -> tuple[int, int]:
        point = _POINT.fullmatch(value or "")
        nums = [plain_number(g) for g in point.groups()] if point else []
        if len(nums) != 2 or nums[0] is None or nums[1] is None:
            raise ParseError(f"{what} needs a point (x,y) of plain numbers, got {short(value)}")
        return on_screen(frame.relative_to_screen, nums[0], nums[1], what)

    def _action(self, name: str, body: str, frame: Frame,
                cursor: tuple[int, int] | None) -> Action:
        if name in _TEXT_ACTIONS:
            content = _content(name, body)
            if name == "Type":
                return validated({"type": "type", "text": content})
            if name == "Finished":
                return validated({"type": "done", "summary": content})
            return validated({"type": "ask_user", "question": content})
        args = dict(split_arguments(body))
        if name in _CLICKS:
            return Click(*self._point(args.get("box"), frame, name), "left", _CLICKS[name])
        if name == "Hover":
            return Move(*self._point(args.get("box"), frame, name))
        if name == "Drag":
            start = self._point(args.get("start"), frame, name)
            return Drag(*start, *self._point(args.get("end"), frame, name))
        if name == "Scroll":
            raw = args.get("direction")
            direction = _unquote(raw, "Scroll direction").strip().lower() if raw else ""
            if direction not in _DIRECTIONS:
                raise ParseError(f"Scroll needs direction='up', 'down', 'left' or 'right', "
                                 f"got {short(raw)}")
            return Scroll(*cursor_point(frame, cursor, name), *_DIRECTIONS[direction])
        if name == "Hotkey":
            return Key(self._keys(args.get("keys")))
        if name == "PressEnter":
            return Key(("enter",))
        if name == "Wait":
            return Wait(WAIT_SECONDS)
        if name in _MOBILE:
            raise ParseError(f"{name} is a phone action with no desktop meaning")
        raise ParseError(f"unknown UI-Venus action {short(name)}")

    def _keys(self, value: str | None) -> tuple[str, ...]:
        inside = value[1:-1] if value and value[0] == "[" and value[-1] == "]" else None
        items = inside.split(",") if inside is not None and inside.strip() else []
        keys = [_KEY_ITEM.fullmatch(item) for item in items]
        if not keys or not all(keys):
            raise ParseError(f"Hotkey needs keys=['...', ...], got {short(value)}")
        try:
            return parse_keys([k.group(2) for k in keys if k])
        except ActionError as exc:
            raise ParseError(str(exc)) from None

    # -- format ------------------------------------------------------------------------
    def _grid(self, frame: Frame, x: int, y: int) -> str:
        rx, ry = frame.screen_to_relative(x, y)
        return f"({min(round(rx), RELATIVE_GRID - 1)},{min(round(ry), RELATIVE_GRID - 1)})"

    def write_call(self, action: Action, frame: Frame) -> str:
        """An action as UI-Venus writes it inside ``<action>``, on its own grid."""
        def quoted(text: str) -> str:
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"

        if isinstance(action, Click) and action.button == "left" and action.count in (1, 2):
            name = "Click" if action.count == 1 else "DoubleClick"
            return f"{name}(box={self._grid(frame, action.x, action.y)})"
        if isinstance(action, Move):
            return f"Hover(box={self._grid(frame, action.x, action.y)})"
        if isinstance(action, Drag):
            return (f"Drag(start={self._grid(frame, action.x, action.y)}, "
                    f"end={self._grid(frame, action.to_x, action.to_y)})")
        if isinstance(action, Scroll) and (action.dx == 0) != (action.dy == 0):
            direction = ("up" if action.dy > 0 else "down") if action.dy else (
                "right" if action.dx > 0 else "left")
            return f"Scroll(direction='{direction}')"
        if isinstance(action, Key):
            if action.keys == ("enter",):
                return "PressEnter()"
            return "Hotkey(keys=[" + ", ".join(f"'{k}'" for k in action.keys) + "])"
        if isinstance(action, Type):
            return f"Type(content={quoted(action.text)})"
        if isinstance(action, Wait):
            return "Wait()"
        if isinstance(action, Done):
            return f"Finished(content={quoted(action.summary)})"
        if isinstance(action, (AskUser, Fail)):
            text = action.question if isinstance(action, AskUser) else action.reason
            return f"CallUser(content={quoted(text)})"
        raise ParseError(f"uivenus cannot express {describe(action)}")

    def format_action(self, action: Action, frame: Frame, reasoning: str = "") -> str:
        call = self.write_call(action, frame)
        return (f"<think>{reasoning.strip()}</think>\n<action>{call}</action>\n"
                f"<conclusion>{call}</conclusion>")


# The resize rule of Qwen3-VL (patch 16, merge 2); coordinates are relative, so the image
# size only bounds the visual tokens.
FAMILY: Family = UIVenusFamily("uivenus", factor=32, min_pixels=64 * 64,
                               max_pixels=1280 * 32 * 32)
