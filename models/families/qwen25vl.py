"""Qwen2.5-VL: the ``computer_use`` tool call of Qwen's own cookbook, absolute image pixels.

The model answers with a Hermes-style tool call (QwenLM/Qwen2.5-VL
``cookbooks/utils/agent_function_call.py``, ``cookbooks/computer_use.ipynb``)::

    <tool_call>
    {"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [x, y]}}
    </tool_call>

with the cookbook's action names (``key``, ``type``, ``mouse_move``, ``left_click``,
``left_click_drag``, ``right_click``, ``middle_click``, ``double_click``, ``scroll``, ``wait``,
``terminate``; Qwen3-VL adds ``triple_click``, ``hscroll`` and ``answer``, accepted here too).

The design choice a reader must know: coordinates are absolute pixels of the image the model
saw, resized by ``smart_resize`` with factor 28 (patch 14 × merge 2); the system prompt tells
the model that size ("The screen's resolution is W×H"), so the prefix is static for as long as
the monitor is. Two small extensions of the cookbook's schema, both optional and documented in
the tool text: ``left_click_drag`` may name a ``start_coordinate`` (otherwise the drag starts
at the pointer, as in the cookbook), and ``ask_user`` asks the person a question. Scroll
``pixels`` are wheel clicks with pyautogui's sign (positive = up), as Qwen's agents execute
them, capped at ``MAX_SCROLL_CLICKS``. Everything else is strict: numbers are plain decimals
(``models.families.common.number``), ``terminate``'s status is ``success`` or ``failure``, and
the action must pass ``models.actions.validate``; anything else is a ``ParseError``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

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
    parse_keys,
)
from models.families.base import Family, Parsed, ParseError
from models.families.common import (
    ChatFamily,
    check_output,
    checked,
    cursor_point,
    json_objects,
    number,
    on_screen,
    point,
    screen_to_image_int,
    short,
    validated,
)
from models.frames import RELATIVE_GRID, Frame

MAX_SCROLL_CLICKS = 25
_TOOL_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL)
_THINK = re.compile(r"</?think>")
_CLICKS = {"left_click": ("left", 1), "right_click": ("right", 1),
           "middle_click": ("middle", 1), "double_click": ("left", 2),
           "triple_click": ("left", 3)}

_ACTIONS_DOC = "\n".join([
    'The action to perform. The available actions are:',
    '* `key`: Press the keys in `keys` together as one chord, e.g. ["ctrl", "s"].',
    '* `type`: Type the string `text` on the keyboard.',
    '* `mouse_move`: Move the pointer to `coordinate`.',
    '* `left_click`: Click the left mouse button at `coordinate`.',
    '* `left_click_drag`: Press the left button at `start_coordinate` (default: where the '
    'pointer is) and drag to `coordinate`.',
    '* `right_click`: Click the right mouse button at `coordinate`.',
    '* `middle_click`: Click the middle mouse button at `coordinate`.',
    '* `double_click`: Double-click the left mouse button at `coordinate`.',
    '* `triple_click`: Triple-click the left mouse button at `coordinate`.',
    '* `scroll`: Turn the scroll wheel by `pixels` clicks at `coordinate` (positive scrolls up, '
    'negative down).',
    '* `hscroll`: Scroll horizontally by `pixels` clicks at `coordinate` (positive scrolls right).',
    '* `wait`: Wait `time` seconds for the screen to change.',
    '* `terminate`: End the task and report its `status` (success or failure).',
    '* `answer`: End the task and give the user the answer in `text`.',
    '* `ask_user`: Ask the user the question in `text` when you need their help.',
])


def tool_schema(width: int, height: int, unit: str) -> dict[str, Any]:
    """The ``computer_use`` function described to the model (Qwen-Agent's JSON shape)."""
    description = (
        "Use a mouse and keyboard to interact with a computer, and take screenshots.\n"
        "* This is an interface to a desktop GUI; every step you see a new screenshot.\n"
        "* Some applications take time to start or respond; wait and look again if nothing "
        "changed.\n"
        f"* The screen's resolution is {width}x{height}.\n"
        "* Click buttons, links and icons in the centre of the element, never on its edge.")
    coordinate = {"description": f"(x, y): {unit}", "type": "array"}
    return {"type": "function", "function": {
        "name": "computer_use", "description": description,
        "parameters": {"type": "object", "required": ["action"], "properties": {
            "action": {"description": _ACTIONS_DOC, "type": "string",
                       "enum": ["key", "type", "mouse_move", "left_click", "left_click_drag",
                                "right_click", "middle_click", "double_click", "triple_click",
                                "scroll", "hscroll", "wait", "terminate", "answer",
                                "ask_user"]},
            "keys": {"description": "Required only by `action=key`.", "type": "array"},
            "text": {"description": "Required only by `action=type`, `answer`, `ask_user`.",
                     "type": "string"},
            "coordinate": coordinate,
            "start_coordinate": {**coordinate, "description": "(x, y): optional drag start."},
            "pixels": {"description": "Scroll amount in wheel clicks (positive = up/right).",
                       "type": "number"},
            "time": {"description": "Seconds to wait. Required only by `action=wait`.",
                     "type": "number"},
            "status": {"description": "Required only by `action=terminate`.",
                       "type": "string", "enum": ["success", "failure"]},
        }}}}


def tools_system_prompt(schema: dict[str, Any]) -> str:
    """Qwen's Hermes function-calling system prompt around one tool schema."""
    return ("You are a helpful assistant.\n\n# Tools\n\n"
            "You may call one or more functions to assist with the user query.\n\n"
            "You are provided with function signatures within <tools></tools> XML tags:\n"
            f"<tools>\n{json.dumps(schema, ensure_ascii=False)}\n</tools>\n\n"
            "For each function call, return a json object with function name and arguments "
            "within <tool_call></tool_call> XML tags:\n<tool_call>\n"
            '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>')


@dataclass(frozen=True)
class QwenToolCallFamily(ChatFamily):
    """A family whose model writes ``computer_use`` tool calls (Qwen2.5-VL, Qwen3-VL)."""

    relative: bool = False  # False: absolute image pixels; True: 0..1000 grid

    def system_prompt(self, frame: Frame) -> str:
        if self.relative:
            schema = tool_schema(RELATIVE_GRID, RELATIVE_GRID,
                                 "a point on a 0-1000 grid over the screenshot.")
        else:
            schema = tool_schema(frame.image_width, frame.image_height,
                                 "pixels from the left and top edges of the screenshot.")
        return tools_system_prompt(schema)

    def user_intro(self, task: str, frame: Frame) -> str:
        return (f"Task: {task}\n\n"
                "Look at the current screenshot. First explain in one or two sentences what "
                "you see and what to do next, then make exactly one computer_use call.\n\n")

    # -- coordinates -------------------------------------------------------------------
    def _to_screen(self, frame: Frame, value: Any, what: str) -> tuple[int, int]:
        x, y = point(value, what)
        convert = frame.relative_to_screen if self.relative else frame.image_to_screen
        return on_screen(convert, x, y, what)

    def _from_screen(self, frame: Frame, x: int, y: int) -> list[int]:
        if self.relative:
            rx, ry = frame.screen_to_relative(x, y)
            return [min(round(rx), RELATIVE_GRID), min(round(ry), RELATIVE_GRID)]
        return list(screen_to_image_int(frame, x, y))

    # -- parse -------------------------------------------------------------------------
    def parse(self, text: str, frame: Frame, cursor: tuple[int, int] | None = None) -> Parsed:
        match = _TOOL_CALL.search(check_output(text))
        reasoning = _THINK.sub("", text[:match.start()] if match else "").strip()
        body = match.group(1) if match else text
        calls = [obj for obj in json_objects(body)
                 if isinstance(obj, dict) and isinstance(obj.get("arguments"), dict)]
        if not calls:
            raise ParseError("no computer_use tool call found")
        call = calls[0]
        name = call.get("name", "computer_use")
        if name not in ("computer_use", "mobile_use"):
            raise ParseError(f"unknown tool {short(name)}")
        if not match:
            reasoning = _THINK.sub("", text[:text.find("{")]).strip()
        return Parsed(reasoning, checked(self._action(call["arguments"], frame, cursor)))

    def _action(self, args: dict[str, Any], frame: Frame,
                cursor: tuple[int, int] | None) -> Action:
        kind = args.get("action")
        if not isinstance(kind, str):
            raise ParseError(f"tool call has no action name: {short(args)}")

        def here() -> tuple[int, int]:
            if "coordinate" in args:
                return self._to_screen(frame, args["coordinate"], kind)
            return cursor_point(frame, cursor, kind)

        if kind in _CLICKS:
            button, count = _CLICKS[kind]
            return Click(*here(), button, count)
        if kind == "click":  # Qwen's mobile_use tool (same call format): a tap is a click
            return Click(*here())
        if kind == "swipe":  # mobile_use: from coordinate to coordinate2, like a drag
            start = self._to_screen(frame, args.get("coordinate"), kind)
            return Drag(*start, *self._to_screen(frame, args.get("coordinate2"), kind))
        if kind == "mouse_move":
            return Move(*self._to_screen(frame, args.get("coordinate"), kind))
        if kind == "left_click_drag":
            end = self._to_screen(frame, args.get("coordinate"), kind)
            start = (self._to_screen(frame, args["start_coordinate"], kind)
                     if "start_coordinate" in args else cursor_point(frame, cursor, kind))
            return Drag(*start, *end)
        if kind in ("scroll", "hscroll"):
            clicks = round(number(args.get("pixels"), f"{kind} pixels"))
            if clicks == 0:
                raise ParseError(f"{kind} by 0 clicks")
            clicks = max(-MAX_SCROLL_CLICKS, min(MAX_SCROLL_CLICKS, clicks))
            dx, dy = (clicks, 0) if kind == "hscroll" else (0, clicks)
            return Scroll(*here(), dx, dy)
        if kind == "key":
            try:
                return Key(parse_keys(args.get("keys", args.get("text"))))
            except ActionError as exc:
                raise ParseError(str(exc)) from None
        if kind == "type":
            return validated({"type": "type", "text": args.get("text")})
        if kind == "wait":
            return validated({"type": "wait", "seconds": args.get("time", 1.0)})
        if kind == "terminate":
            status = args.get("status", "success")
            if not isinstance(status, str) or status not in ("success", "failure"):
                raise ParseError(f"terminate: status must be success or failure, "
                                 f"got {short(status)}")
            return Done() if status == "success" else Fail()
        if kind == "answer":
            return validated({"type": "done", "summary": args.get("text", "")})
        if kind == "ask_user":
            return validated({"type": "ask_user", "question": args.get("text")})
        raise ParseError(f"unknown computer_use action {short(kind)}")

    # -- format ------------------------------------------------------------------------
    def format_action(self, action: Action, frame: Frame, reasoning: str = "") -> str:
        args = self._arguments(action, frame)
        call = json.dumps({"name": "computer_use", "arguments": args}, ensure_ascii=False)
        head = f"{reasoning.strip()}\n" if reasoning.strip() else ""
        return f"{head}<tool_call>\n{call}\n</tool_call>"

    def _arguments(self, action: Action, frame: Frame) -> dict[str, Any]:
        if isinstance(action, Click):
            names = {(b, c): n for n, (b, c) in _CLICKS.items()}
            name = names.get((action.button, action.count),
                             f"{action.button}_click" if action.button != "left" else "left_click")
            return {"action": name, "coordinate": self._from_screen(frame, action.x, action.y)}
        if isinstance(action, Move):
            return {"action": "mouse_move",
                    "coordinate": self._from_screen(frame, action.x, action.y)}
        if isinstance(action, Drag):
            return {"action": "left_click_drag",
                    "start_coordinate": self._from_screen(frame, action.x, action.y),
                    "coordinate": self._from_screen(frame, action.to_x, action.to_y)}
        if isinstance(action, Scroll):
            horizontal = action.dy == 0
            return {"action": "hscroll" if horizontal else "scroll",
                    "coordinate": self._from_screen(frame, action.x, action.y),
                    "pixels": action.dx if horizontal else action.dy}
        if isinstance(action, Key):
            return {"action": "key", "keys": list(action.keys)}
        if isinstance(action, Type):
            return {"action": "type", "text": action.text}
        if isinstance(action, Wait):
            return {"action": "wait", "time": action.seconds}
        if isinstance(action, Done):
            if action.summary:
                return {"action": "answer", "text": action.summary}
            return {"action": "terminate", "status": "success"}
        if isinstance(action, Fail):
            return {"action": "terminate", "status": "failure"}
        if isinstance(action, AskUser):
            return {"action": "ask_user", "text": action.question}
        raise ParseError(f"{self.name} cannot express a {action.kind} action")


FAMILY: Family = QwenToolCallFamily("qwen25vl", factor=28, min_pixels=56 * 56,
                            max_pixels=1280 * 28 * 28, relative=False)
