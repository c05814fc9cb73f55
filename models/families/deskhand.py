"""Deskhand's own format: ``<think>…</think><answer>{json action}</answer>``.

This is the r1-computer-use convention (agentsea/r1-computer-use ``scripts/thoughts.py``
writes ``<think>{thought}</think><answer>{action}</answer>``) with the action in the JSON form
of DESIGN.md §3 — the same vocabulary the rest of Deskhand speaks — so training targets are
just our stored actions written in the model's frame. For data imported from that repository
its own ``{"name": ..., "parameters": {...}}`` actions are read too.

The design choice a reader must know: ``x``/``y``/``to_x``/``to_y`` inside ``<answer>`` are
absolute pixels of the resized image the model saw (Qwen2.5-VL's frame: ``smart_resize``
with factor 28, at most 1280·28·28 pixels), because our actor is a Qwen2.5-VL fine-tune
and that is the frame its base model already points in. Coordinates are plain decimal
numbers inside that image (``models.families.common.number``); every other field is checked
by ``models.actions.from_json``, so garbage is a ``ParseError``, never an action.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.actions import Action, from_json, points, to_json
from models.families.base import Family, Parsed, ParseError
from models.families.common import (
    ChatFamily,
    check_output,
    checked,
    cursor_point,
    json_objects,
    number,
    on_screen,
    screen_to_image_int,
    short,
    validated,
)
from models.frames import Frame

_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL)
_ANSWER = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL)
_POINT_FIELDS = (("x", "y"), ("to_x", "to_y"))

SYSTEM = "\n".join([
    'You are Deskhand, an agent that operates a desktop computer for its user, one action at a '
    'time.',
    'Each turn you see the task, the steps taken so far and a screenshot of the screen as it is '
    'now.',
    'First think step by step inside <think></think>: what is on the screen, what has been '
    'done, what to do next.',
    'Then give exactly one action as a JSON object inside <answer></answer>.',
    'Coordinates are pixels of the screenshot, measured from its top-left corner; the '
    'screenshot is {width}x{height}.',
    'Actions:',
    '{{"type": "click", "x": 300, "y": 250, "button": "left", "count": 1}}   button '
    'left/right/middle, count 1-3',
    '{{"type": "move", "x": 300, "y": 250}}',
    '{{"type": "drag", "x": 10, "y": 20, "to_x": 200, "to_y": 20}}',
    '{{"type": "scroll", "x": 300, "y": 250, "dx": 0, "dy": -3}}   wheel clicks, dy > 0 scrolls up',
    '{{"type": "type", "text": "hello"}}',
    '{{"type": "key", "keys": ["ctrl", "s"]}}',
    '{{"type": "wait", "seconds": 1.0}}',
    '{{"type": "done", "summary": "what was achieved"}}',
    '{{"type": "fail", "reason": "why the task cannot be done"}}',
    '{{"type": "ask_user", "question": "what you need to know"}}',
    'Example: <think>The Save button is at the top left.</think><answer>{{"type": "click", "x": '
    '24, "y": 60}}</answer>',
])


def _what(value: Any) -> str:
    """An action's name for an error message."""
    return value[:40] if isinstance(value, str) else short(value)


@dataclass(frozen=True)
class DeskhandFamily(ChatFamily):
    """Our own format on a Qwen2.5-VL base: think, then one JSON action in image pixels."""

    def system_prompt(self, frame: Frame) -> str:
        return SYSTEM.format(width=frame.image_width, height=frame.image_height)

    def user_intro(self, task: str, frame: Frame) -> str:
        return f"Task: {task}\n\n"

    def parse(self, text: str, frame: Frame, cursor: tuple[int, int] | None = None) -> Parsed:
        answer = _ANSWER.search(check_output(text))
        if not answer:
            raise ParseError("no <answer> in the output")
        think = _THINK.search(text[:answer.start()])
        reasoning = (think.group(1) if think else text[:answer.start()]).strip()
        objects = [o for o in json_objects(answer.group(1)) if isinstance(o, dict)]
        if not objects:
            raise ParseError("no JSON object inside <answer>")
        obj = objects[0]
        if "type" in obj:
            return Parsed(reasoning, checked(self._ours(obj, frame)))
        if "name" in obj:
            return Parsed(reasoning, checked(self._r1(obj, frame, cursor)))
        raise ParseError(f"the JSON in <answer> names no action type: {short(obj)}")

    def _ours(self, obj: dict[str, Any], frame: Frame) -> Action:
        out = dict(obj)
        for fx, fy in _POINT_FIELDS:
            if fx in out or fy in out:
                x, y = number(out.get(fx), fx), number(out.get(fy), fy)
                out[fx], out[fy] = on_screen(frame.image_to_screen, x, y, _what(obj.get("type")))
        return validated(out)

    def _r1(self, obj: dict[str, Any], frame: Frame, cursor: tuple[int, int] | None) -> Action:
        name, params = obj.get("name"), obj.get("parameters", {})
        if not isinstance(params, dict):
            raise ParseError(f"parameters must be an object, got {short(params)}")

        def at() -> tuple[int, int]:
            if params.get("x") is None and params.get("y") is None:
                return cursor_point(frame, cursor, _what(name))
            return on_screen(frame.image_to_screen, number(params.get("x"), "x"),
                             number(params.get("y"), "y"), _what(name))

        simple: dict[str, Callable[[], dict[str, Any]]] = {
            "type_text": lambda: {"type": "type", "text": params.get("text")},
            "press_key": lambda: {"type": "key", "keys": [params.get("key")]},
            "hot_key": lambda: {"type": "key", "keys": params.get("keys")},
            "exec": lambda: {"type": "shell", "command": params.get("cmd")}}
        if isinstance(name, str) and name in simple:
            return validated(simple[name]())
        if name in ("click", "double_click"):
            x, y = at()
            count = 2 if name == "double_click" else 1
            return validated({"type": "click", "x": x, "y": y,
                              "button": params.get("button", "left"), "count": count})
        if name in ("move_mouse", "drag_mouse"):
            x, y = on_screen(frame.image_to_screen, number(params.get("x"), "x"),
                             number(params.get("y"), "y"), _what(name))
            if name == "move_mouse":
                return validated({"type": "move", "x": x, "y": y})
            sx, sy = cursor_point(frame, cursor, "drag_mouse")
            return validated({"type": "drag", "x": sx, "y": sy, "to_x": x, "to_y": y})
        if name == "scroll":
            x, y = cursor_point(frame, cursor, "scroll")
            return validated({"type": "scroll", "x": x, "y": y,
                              "dy": params.get("clicks", -3)})
        raise ParseError(f"unknown r1-computer-use action {short(name)}")

    def format_action(self, action: Action, frame: Frame, reasoning: str = "") -> str:
        obj = to_json(action)
        for (fx, fy), (x, y) in zip(_POINT_FIELDS, points(action), strict=False):
            obj[fx], obj[fy] = screen_to_image_int(frame, x, y)
        from_json(obj)  # what we write must read back
        answer = json.dumps(obj, ensure_ascii=False)
        return f"<think>{reasoning.strip()}</think><answer>{answer}</answer>"


FAMILY: Family = DeskhandFamily("deskhand", factor=28, min_pixels=56 * 56,
                                max_pixels=1280 * 28 * 28)
