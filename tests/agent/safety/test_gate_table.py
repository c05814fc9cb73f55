"""The labelled table of the safety gate: ``gate_cases.jsonl``, one case a line.

A case: ``action`` (the JSON form of DESIGN.md §3, so key aliases go through
``models.actions.parse_keys``), ``raw_keys`` (a ``Key`` built as-is, unnormalised, the way a
family parser or a replay may build one), ``raw_text`` (a ``Type`` built as-is) or
``raw_action`` (the action's dataclass built as-is, past ``from_json``'s bounds: the gate must
hold even for an action that skipped validation);
``ctx`` (``monitors`` [[left, top, width, height], ...] — default one 1920×1080 at the
origin —, ``title``, ``app``, ``window`` the focused window as a window object,
``windows`` top-most first, each [title, l, t, w, h, app?] or a window object, ``own``
rects, ``mode``, ``reasoning``, ``previous`` action (JSON) or ``previous_raw_keys``,
``recent`` the last executed actions, oldest first (the last is the previous one),
``focus`` {role, name, text} as the accessibility layer would say); a window object is
{title, rect: [l, t, w, h], app, instance, process, pid} where pid ``"self"`` is this
process; ``config`` (a whole ``[safety]`` table replacing ``TABLE_CONFIG``); ``expect``
allow/ask/block; ``why`` a text one of the reasons must contain (an *allow* must have no
reason at all).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agent.config import from_dict
from agent.safety.config import SafetyConfig
from agent.safety.gate import GateContext, SafetyGate, WindowInfo
from agent.screen import FocusInfo, Rect
from models.actions import ACTION_TYPES, Action, Key, Type, from_json
from models.frames import Monitor

CASES_FILE = Path(__file__).with_name("gate_cases.jsonl")
TABLE_CONFIG: dict[str, Any] = {
    "deny_apps": ["KeePassXC", "re:^gnome-terminal"],
    "deny_titles": ["Online Banking", "re:^Private —"],
    "deny_text": [r"rm\s+-rf", r"(?<!\d)\d{4}([ -]?\d{4}){3}(?!\d)", "(?-i:DROP TABLE)"],
    "dangerous_keys": ["ctrl+shift+k"],
}


def load_cases() -> list[dict[str, Any]]:
    with CASES_FILE.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


CASES = load_cases()


def build_action(case: dict[str, Any]) -> Action:
    if "raw_keys" in case:
        return Key(tuple(case["raw_keys"]))
    if "raw_action" in case:
        fields = dict(case["raw_action"])
        action: Action = ACTION_TYPES[fields.pop("type")](**fields)
        return action
    if "raw_text" in case:
        return Type(case["raw_text"])
    return from_json(case["action"])


def build_window(spec: list[Any] | dict[str, Any]) -> WindowInfo:
    if isinstance(spec, list):
        return WindowInfo(spec[0], Rect(*spec[1:5]), spec[5] if len(spec) > 5 else None)
    pid = spec.get("pid")
    return WindowInfo(spec.get("title", ""), Rect(*spec.get("rect", [0, 0, 1920, 1080])),
                      spec.get("app"), spec.get("instance"), spec.get("process"),
                      os.getpid() if pid == "self" else pid)


def build_context(ctx: dict[str, Any]) -> GateContext:
    monitors = ctx.get("monitors", [[0, 0, 1920, 1080]])
    recent = tuple(from_json(a) for a in ctx.get("recent", []))
    previous = ctx.get("previous")
    focus = ctx.get("focus")
    active = ctx.get("window")
    return GateContext(
        monitors=tuple(Monitor(*m) for m in monitors),
        active_title=ctx.get("title", "Untitled - Text Editor" if active is None else None),
        active_app=ctx.get("app"),
        windows=tuple(build_window(w) for w in ctx.get("windows", [])),
        own_windows=tuple(Rect(*r) for r in ctx.get("own", [])),
        approval_mode=ctx.get("mode", "risky"),
        reasoning=tuple(ctx.get("reasoning", [])),
        previous_action=(from_json(previous) if previous is not None else
                         Key(tuple(ctx["previous_raw_keys"])) if "previous_raw_keys" in ctx
                         else recent[-1] if recent else None),
        recent_actions=recent,
        active_window=build_window(active) if active is not None else None,
        focus=FocusInfo(focus.get("role"), focus.get("name"), focus.get("text"))
        if focus is not None else None,
    )


_GATES: dict[str, SafetyGate] = {}


def gate_for(config: dict[str, Any]) -> SafetyGate:
    key = json.dumps(config, sort_keys=True)
    if key not in _GATES:
        _GATES[key] = SafetyGate(from_dict(SafetyConfig, config, "safety"))
    return _GATES[key]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_gate_case(case: dict[str, Any]) -> None:
    gate = gate_for(case.get("config", TABLE_CONFIG))
    decision = gate.check(build_action(case), build_context(case.get("ctx", {})))
    assert decision.verdict == case["expect"], decision.reasons
    if case["expect"] == "allow":
        assert decision.reasons == ()
    else:
        assert decision.reasons, "a verdict other than allow must say why"
    if "why" in case:
        assert any(case["why"] in reason for reason in decision.reasons), decision.reasons


def test_table_is_big_and_covers_every_verdict_and_action_type() -> None:
    assert len(CASES) >= 200
    assert len({c["id"] for c in CASES}) == len(CASES), "case ids must be unique"
    verdicts = Counter(c["expect"] for c in CASES)
    assert min(verdicts[v] for v in ("allow", "ask", "block")) >= 30, verdicts
    kinds = {build_action(c).kind for c in CASES}
    assert kinds == {"click", "move", "drag", "scroll", "type", "key", "wait", "done", "fail",
                     "ask_user", "shell"}
    for kind in ("click", "type", "key", "shell"):
        labels = {c["expect"] for c in CASES if build_action(c).kind == kind}
        assert len(labels) >= 2, f"{kind} cases are all {labels}"
