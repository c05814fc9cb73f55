r"""GUI-Owl-1.5 (X-PLUG, a Qwen3-VL fine-tune): its own desktop prompt, 0-1000 relative grid.

Source of every string here: X-PLUG/MobileAgent ``Mobile-Agent-v3.5/cookbook/
end2end_usage_computer.ipynb`` (commit 11cea575561fb7800b5fb6b6cafa56f7a91de11f), the "model
cookbook" the Mobile-Agent-v3.5 README names for the GUI-Owl 1.5 models. Its system prompt is
the ``computer_use`` tool of Qwen3-VL with GUI-Owl's own wording and a fixed response format::

    Action: <a short imperative describing what to do in the UI>
    <tool_call>
    {"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [x, y]}}
    </tool_call>

and its user turn reads "Please generate the next move according to the UI screenshot,
instruction and previous actions.\n\nInstruction: {goal}\n\nPrevious actions:\n{prev}", where
``prev`` is "No previous action." or one "Step{n}: {the Action line}" per earlier step. The
README says "GUI-Owl 1.5 outputs relative coordinates (0-1000) by default" and the desktop
runner (``computer_use/run_gui_owl_1_5_for_pc.py``) maps them with ``x / 1000 * width``. That
runner sends a shorter variant of the same prompt (``computer_use/utils.py``: no "Whenever you
intend..." and "If you tried clicking..." lines, ``\n`` escaped inside the tool JSON, "None"
for an empty history); the cookbook's is kept here byte for byte (a test pins its sha256).

The design choices a reader must know: the official agents send the last few screenshots as
earlier turns; Deskhand sends one screenshot, so every earlier step is a "Step{n}:" line, as
the cookbook writes the steps that fell out of its image window. A step's line is the model's
own "Action:" line when its reasoning has one, else Deskhand's short description of the action
on the same 0-1000 grid. The parser is the Qwen3-VL ``computer_use`` parser, plus the action
names GUI-Owl's own desktop runner also executes (``interact``/``call_user`` ask the person,
``hotkey``, ``computer_double_click``, ``right click``, ``drag`` from the pointer, ``stop`` and
``done``). The one field outside the published schema is the optional ``start_coordinate`` of
``left_click_drag``, which Deskhand writes so that a drag survives a round trip; the model's
own drags (from the pointer) parse as published.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.actions import Action, AskUser, describe
from models.families.base import Family, HistoryStep
from models.families.common import scrub
from models.families.qwen25vl import QwenToolCallFamily
from models.frames import Frame

INSTRUCTION = ("Please generate the next move according to the UI screenshot, instruction and "
               "previous actions.\n\nInstruction: {task}\n\nPrevious actions:\n")
NO_HISTORY = "No previous action."
# The cookbook's extract_action_line: the rest of the first line that follows "Action:"
_ACTION_LINE = re.compile(r"Action:[ \t]*([^\n]+)")
ASK_DEFAULT = "The agent needs your help to go on."
# Action names GUI-Owl's desktop runner executes besides the prompt's own, and what they are
_ALIASES = {"right click": "right_click", "computer_double_click": "double_click",
            "hotkey": "key", "drag": "left_click_drag", "stop": "terminate",
            "done": "terminate", "interact": "ask_user", "call_user": "ask_user"}

# The cookbook's SYSTEM_PROMPT, byte for byte.
SYSTEM_PROMPT = (
    "# Tools\n"
    "\n"
    "You may call one or more functions to assist with the user query.\n"
    "\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n"
    "<tools>\n"
    '{"type": "function", "function": {"name": "computer_use", "description": "Use a mouse '
    "and keyboard to interact with a computer, and take screenshots.\n"
    "* This is an interface to a desktop GUI. You do not have access to a terminal or "
    "applications menu. You must click on desktop icons to start applications.\n"
    "* Some applications may take time to start or process actions, so you may need to "
    "wait and take successive screenshots to see the results of your actions. E.g. if you "
    "click on Firefox and a window doesn't open, try wait and taking another screenshot.\n"
    "* The screen's resolution is 1000x1000.\n"
    "* Whenever you intend to move the cursor to click on an element like an icon, you "
    "should consult a screenshot to determine the coordinates of the element before moving "
    "the cursor.\n"
    "* If you tried clicking on a program or link but it failed to load, even after "
    "waiting, try adjusting your cursor position so that the tip of the cursor visually "
    "falls on the element that you want to click.\n"
    "* Make sure to click any buttons, links, icons, etc with the cursor tip in the center "
    "of the element. Don't click boxes on their edges unless asked.\", \"parameters\": "
    '{"properties": {"action": {"description": "The action to perform. The available '
    "actions are:\n"
    "* `key`: Performs key down presses on the arguments passed in order, then performs "
    "key releases in reverse order.\n"
    "* `type`: Type a string of text on the keyboard.\n"
    "* `mouse_move`: Move the cursor to a specified (x, y) pixel coordinate on the screen.\n"
    "* `left_click`: Click the left mouse button at a specified (x, y) pixel coordinate on "
    "the screen.\n"
    "* `left_click_drag`: Click and drag the cursor to a specified (x, y) pixel coordinate "
    "on the screen.\n"
    "* `right_click`: Click the right mouse button at a specified (x, y) pixel coordinate "
    "on the screen.\n"
    "* `middle_click`: Click the middle mouse button at a specified (x, y) pixel "
    "coordinate on the screen.\n"
    "* `double_click`: Double-click the left mouse button at a specified (x, y) pixel "
    "coordinate on the screen.\n"
    "* `triple_click`: Triple-click the left mouse button at a specified (x, y) pixel "
    "coordinate on the screen (simulated as double-click since it's the closest action).\n"
    "* `scroll`: Performs a scroll of the mouse scroll wheel.\n"
    "* `hscroll`: Performs a horizontal scroll (mapped to regular scroll).\n"
    "* `wait`: Wait specified seconds for the change to happen.\n"
    "* `interact`: Resolve the blocking window by interacting with the user.\n"
    "* `terminate`: Terminate the current task and report its completion status.\n"
    '* `answer`: Answer a question.", "enum": ["key", "type", "mouse_move", "left_click", '
    '"left_click_drag", "right_click", "middle_click", "double_click", "triple_click", '
    '"scroll", "hscroll", "wait", "interact", "terminate", "answer"], "type": "string"}, '
    '"keys": {"description": "Required only by `action=key`.", "type": "array"}, "text": '
    '{"description": "Required only by `action=type`, `action=interact`, and '
    '`action=answer`.", "type": "string"}, "coordinate": {"description": "(x, y): The x '
    "(pixels from the left edge) and y (pixels from the top edge) coordinates to move the "
    'mouse to. Required only by `action=mouse_move` and `action=left_click_drag`.", '
    '"type": "array"}, "pixels": {"description": "The amount of scrolling to perform. '
    "Positive values scroll up, negative values scroll down. Required only by "
    '`action=scroll` and `action=hscroll`.", "type": "number"}, "time": {"description": '
    '"The seconds to wait. Required only by `action=wait`.", "type": "number"}, "status": '
    '{"description": "The status of the task. Required only by `action=terminate`.", '
    '"type": "string", "enum": ["success", "failure"]}}, "required": ["action"], "type": '
    '"object"}}}\n'
    "</tools>\n"
    "\n"
    "For each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\n"
    "<tool_call>\n"
    '{"name": <function-name>, "arguments": <args-json-object>}\n'
    "</tool_call>\n"
    "\n"
    "# Response format\n"
    "\n"
    "Response format for every step:\n"
    "1) Action: a short imperative describing what to do in the UI.\n"
    '2) A single <tool_call>...</tool_call> block containing only the JSON: {"name": '
    '<function-name>, "arguments": <args-json-object>}.\n'
    "\n"
    "Rules:\n"
    "- Output exactly in the order: Action, <tool_call>.\n"
    "- Be brief: one for Action.\n"
    "- Do not output anything else outside those two parts.\n"
    "- If finishing, use action=terminate in the tool call.\n"
)


def action_line(reasoning: str) -> str:
    """The model's "Action:" line in its reasoning, or "" (the cookbook's extract_action_line).

    >>> action_line("Action: Click the Settings icon.\\nmore"), action_line("no line")
    ('Click the Settings icon.', '')
    """
    match = _ACTION_LINE.search(reasoning)
    return match.group(1).strip() if match else ""


def imperative(args: dict[str, Any]) -> str:
    """Deskhand's short description of a ``computer_use`` call, on the model's own grid.

    >>> imperative({"action": "left_click", "coordinate": [500, 250]})
    'left click at [500, 250]'
    >>> imperative({"action": "key", "keys": ["ctrl", "s"]})
    'key ctrl+s'
    """
    words = [str(args["action"]).replace("_", " ")]
    if "start_coordinate" in args:
        words.append(f"from {args['start_coordinate']}")
    if "coordinate" in args:
        words.append(f"{'to' if 'start_coordinate' in args else 'at'} {args['coordinate']}")
    if "keys" in args:
        words.append("+".join(args["keys"]))
    if "text" in args:
        words.append(json.dumps(args["text"], ensure_ascii=False))
    for key, what in (("pixels", "by"), ("time", "for"), ("status", "with status")):
        if key in args:
            words.append(f"{what} {args[key]}")
    return " ".join(words)


@dataclass(frozen=True)
class GuiOwlFamily(QwenToolCallFamily):
    """GUI-Owl-1.5: the cookbook's prompt and response format over the Qwen3-VL tool call."""

    def system_prompt(self, frame: Frame) -> str:
        return SYSTEM_PROMPT

    def user_intro(self, task: str, frame: Frame) -> str:
        return INSTRUCTION.format(task=task)

    def history_text(self, history: Sequence[HistoryStep], frame: Frame) -> str:
        if not history:
            return NO_HISTORY
        lines = []
        for n, step in enumerate(history, start=1):
            line = action_line(step.reasoning)
            if not line:
                try:
                    line = imperative(self._arguments(step.action, frame))
                except ValueError:  # not on this monitor any more, or not in the vocabulary
                    line = describe(step.action)
            lines.append(f"Step{n}: {' '.join(scrub(line).split())}")
        return "\n".join(lines)

    def _action(self, args: dict[str, Any], frame: Frame,
                cursor: tuple[int, int] | None) -> Action:
        kind = args.get("action")
        if isinstance(kind, str) and kind in _ALIASES:
            args = {**args, "action": _ALIASES[kind]}
            if _ALIASES[kind] == "ask_user" and not args.get("text"):
                args["text"] = ASK_DEFAULT
        return super()._action(args, frame, cursor)

    def _arguments(self, action: Action, frame: Frame) -> dict[str, Any]:
        if isinstance(action, AskUser):  # the cookbook's name for asking the person
            return {"action": "interact", "text": action.question}
        return super()._arguments(action, frame)

    def format_action(self, action: Action, frame: Frame, reasoning: str = "") -> str:
        args = self._arguments(action, frame)
        call = json.dumps({"name": "computer_use", "arguments": args}, ensure_ascii=False)
        line = action_line(reasoning) or " ".join(reasoning.split()) or imperative(args)
        return f"Action: {line}\n<tool_call>\n{call}\n</tool_call>"


# The resize rule of Qwen3-VL (patch 16, merge 2); coordinates are relative, so the image
# size only bounds the visual tokens.
FAMILY: Family = GuiOwlFamily("guiowl", factor=32, min_pixels=64 * 64,
                              max_pixels=1280 * 32 * 32, relative=True)
