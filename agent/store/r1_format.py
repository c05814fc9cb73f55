"""The r1-computer-use format (github.com/agentsea/r1-computer-use, ``data/comp_thoughts.jsonl``)
and how its actions map onto Deskhand's vocabulary.

One JSON object per step with ``task``, ``image_before``, ``image_after``, ``action`` (JSON
text ``{"name": ..., "parameters": {...}}``), ``thought``, ``bad_thought``, ``subtask``,
``bad_subtask``. Consecutive lines with the same task form one episode. ``thought`` is the
step's reasoning. A line with a ``bad_thought`` or a ``bad_subtask`` also holds a *negative*:
a reasoning (the bad thought, else the bad subtask) that is wrong for this step; it is stored
as a ``negative`` judgment (value 0, the bad reasoning in ``reasoning``, the bad subtask as
comment) for the reward model and for preference exports.

=============  ====================================================================
r1 name        Deskhand action
=============  ====================================================================
move_mouse     move(x, y)
click          click(x, y, button); without x/y at the pointer (the last point moved to)
double_click   click(..., count=2), same rule for the position
drag_mouse     drag from the pointer to (x, y)
scroll         scroll(dy=clicks, default -3) at the pointer (else the screenshot's centre)
type_text      type(text)
press_key      key([key])
hot_key        key(keys); pyautogui's left/right variants (ctrlleft, ...) fold to ctrl, ...
exec           shell(cmd)
open_url       shell("xdg-open <url>") — Deskhand has no browser action; the shell opens it
=============  ====================================================================
"""

from __future__ import annotations

import shlex
from typing import Any

from agent.store.import_input import BadLine
from models import actions

TEXT_FIELDS = ("thought", "bad_thought", "subtask", "bad_subtask", "image_before",
               "image_after")
_PYAUTOGUI_SIDES = {"ctrlleft": "ctrl", "ctrlright": "ctrl", "altleft": "alt", "altright": "alt",
                    "shiftleft": "shift", "shiftright": "shift", "winleft": "win",
                    "winright": "win", "optionleft": "alt", "optionright": "alt"}


def negative(texts: dict[str, str]) -> tuple[str, str | None] | None:
    """(bad reasoning, comment) of the line's negative, or None when it has none.

    >>> negative({"bad_thought": "", "bad_subtask": "click on search bar"})
    ('click on search bar', 'click on search bar')
    >>> negative({"bad_thought": " ", "bad_subtask": ""}) is None
    True
    """
    bad_thought, bad_subtask = texts["bad_thought"].strip(), texts["bad_subtask"].strip()
    if not bad_thought and not bad_subtask:
        return None
    return bad_thought or bad_subtask, bad_subtask or None


def pointer_after(action: actions.Action, before: tuple[int, int] | None
                  ) -> tuple[int, int] | None:
    if isinstance(action, actions.Drag):
        return action.to_x, action.to_y
    if isinstance(action, (actions.Click, actions.Move, actions.Scroll)):
        return action.x, action.y
    return before


def r1_action(call: dict[str, Any], cursor: tuple[int, int] | None,
              size: tuple[int, int] | None = None) -> actions.Action:
    """Map one r1 ``{"name", "parameters"}`` call to a Deskhand action (see module docstring).

    >>> r1_action({"name": "click", "parameters": {"x": 5, "y": 7, "button": "left"}}, None)
    Click(x=5, y=7, button='left', count=1)
    >>> r1_action({"name": "scroll", "parameters": {"clicks": 2}}, (10, 20))
    Scroll(x=10, y=20, dx=0, dy=2)
    >>> r1_action({"name": "open_url", "parameters": {"url": "https://a.b/?q=1&r=2"}}, None)
    Shell(command="xdg-open 'https://a.b/?q=1&r=2'")
    """
    name, params = call.get("name"), call.get("parameters") or {}
    if not isinstance(params, dict):
        raise BadLine(f"action parameters must be an object, got {params!r:.60}")

    def at() -> dict[str, Any]:
        if "x" in params and "y" in params and params["x"] is not None:
            return {"x": params["x"], "y": params["y"]}
        if cursor is not None:
            return {"x": cursor[0], "y": cursor[1]}
        raise BadLine(f"{name}: no x/y and no earlier pointer position in this episode")

    try:
        if name == "move_mouse":
            return actions.from_json({"type": "move", "x": params.get("x"), "y": params.get("y")})
        if name in ("click", "double_click"):
            return actions.from_json({"type": "click", **at(),
                                      "button": params.get("button") or "left",
                                      "count": 2 if name == "double_click" else 1})
        if name == "drag_mouse":
            if cursor is None:
                raise BadLine("drag_mouse: no earlier pointer position to drag from")
            return actions.from_json({"type": "drag", "x": cursor[0], "y": cursor[1],
                                      "to_x": params.get("x"), "to_y": params.get("y")})
        if name == "scroll":
            where = at() if cursor or "x" in params or size is None else {
                "x": size[0] // 2, "y": size[1] // 2}
            return actions.from_json({"type": "scroll", **where,
                                      "dy": params.get("clicks", -3)})
        if name == "type_text":
            return actions.from_json({"type": "type", "text": params.get("text")})
        if name == "press_key":
            return actions.from_json({"type": "key", "keys": [params.get("key")]})
        if name == "hot_key":
            keys = params.get("keys")
            if isinstance(keys, list):
                keys = [_PYAUTOGUI_SIDES.get(k, k) if isinstance(k, str) else k for k in keys]
            return actions.from_json({"type": "key", "keys": keys})
        if name == "exec":
            return actions.from_json({"type": "shell", "command": params.get("cmd")})
        if name == "open_url":
            url = params.get("url")
            if not isinstance(url, str) or not url.strip():
                raise BadLine("open_url: parameter 'url' must be a non-empty string")
            return actions.Shell(f"xdg-open {shlex.quote(url)}")
    except actions.ActionError as exc:
        raise BadLine(f"{name}: {exc}") from None
    except (TypeError, ValueError, OverflowError) as exc:  # a value no action can hold
        if isinstance(exc, BadLine):
            raise
        raise BadLine(f"{name}: {exc}") from None
    raise BadLine(f"unknown action name {str(name)[:60]!r}")
