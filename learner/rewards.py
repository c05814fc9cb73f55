"""Reward functions for GRPO, in TRL's contract: ``reward(completions, **columns) -> list``.

``completions`` are strings or chat-message lists (``[{"role": "assistant", "content": ...}]``);
each column of the dataset arrives as a list with one value per completion (TRL also passes
``prompts``, ``completion_ids``, ``trainer_state``: ignored here). The columns read are those
of ``StepRecord.columns()``: ``family``, ``frame`` (monitor + resized image size), ``cursor``,
``reference_action`` (JSON text), ``target`` (``{"x", "y", "radius", "box"}``) and ``label``.

The design choice a reader must know: a *verifiable* reward returns ``None`` for a row it
cannot judge (no reference action, no target). TRL treats ``None`` as "not applicable" and
sums the other reward functions, which is how the actor's reward becomes "verifiable where a
human label exists, else the reward model's score". Every function here is pure and cheap: it
parses text and compares numbers; the only model call is the critic passed in by the caller.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from models import actions
from models.families.base import Parsed, ParseError, get_family
from models.families.critic import parse_verdict
from models.frames import Frame, Monitor

Completion = str | list[dict[str, Any]]


class Critic(Protocol):
    """The reward model: a reward in [0, 1] for each (parsed action, row) pair of one call.

    A call gets all of a group's distinct judgments at once, so a served reward model can
    judge the actions proposed on one screenshot side by side (``ModelCritic.score_many``).
    """

    def __call__(self, judged: Sequence[tuple[Parsed, dict[str, Any]]]) -> Sequence[float]: ...


DEFAULT_SIGMA = 0.05  # σ of the click reward as a fraction of the screen diagonal


def completion_text(completion: Completion) -> str:
    """The text of a completion: a string, or the last message's content (text parts joined).

    >>> completion_text([{"role": "assistant", "content": [{"type": "text", "text": "hi"}]}])
    'hi'
    """
    if isinstance(completion, str):
        return completion
    if not completion:
        return ""
    content = completion[-1].get("content", "")
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content if isinstance(p, dict))


def _row(columns: dict[str, Any], i: int) -> dict[str, Any]:
    return {k: v[i] for k, v in columns.items() if isinstance(v, (list, tuple)) and len(v) > i}


def _frame(value: dict[str, Any]) -> Frame:
    monitor = Monitor(int(value["left"]), int(value["top"]), int(value["width"]),
                      int(value["height"]), float(value.get("scale", 1.0)))
    return Frame(monitor, int(value["image_width"]), int(value["image_height"]))


def parse_completion(text: str, row: dict[str, Any]) -> Parsed | None:
    """The family parser's reading of one completion (screen pixels), None when unparseable."""
    try:
        cursor = row.get("cursor")
        return get_family(row["family"]).parse(
            text, _frame(row["frame"]), tuple(cursor) if cursor else None)
    except (ParseError, ValueError, KeyError, TypeError):
        return None


def _reference(row: dict[str, Any]) -> dict[str, Any] | None:
    ref = row.get("reference_action")
    if ref is None:
        return None
    obj = json.loads(ref) if isinstance(ref, str) else ref
    return obj if isinstance(obj, dict) else None


def _each(completions: Sequence[Completion], columns: dict[str, Any],
          score: Callable[[Parsed | None, dict[str, Any]], float | None]) -> list[float | None]:
    out: list[float | None] = []
    for i, completion in enumerate(completions):
        row = _row(columns, i)
        out.append(score(parse_completion(completion_text(completion), row), row))
    return out


def format_reward(completions: Sequence[Completion], **columns: Any) -> list[float]:
    """1 when the family parser reads an action from the completion, else 0.

    >>> frame = {"left": 0, "top": 0, "width": 100, "height": 100, "image_width": 100,
    ...          "image_height": 100}
    >>> ok = '<think>x</think><answer>{"type": "click", "x": 5, "y": 5}</answer>'
    >>> format_reward([ok, "no idea"], family=["deskhand"] * 2, frame=[frame] * 2)
    [1.0, 0.0]
    """
    return [0.0 if p is None else 1.0 for p in _each(
        completions, columns, lambda parsed, row: None if parsed is None else 1.0)]


def click_score(x: float, y: float, target: dict[str, Any], frame: dict[str, Any],
                sigma: float = DEFAULT_SIGMA) -> float:
    """1 inside the target (box, or radius of the point), else exp(−d²/2σ²), σ ∝ diagonal.

    >>> t = {"x": 50, "y": 50, "radius": 2, "box": None}
    >>> f = {"width": 100, "height": 100}
    >>> click_score(51, 50, t, f), round(click_score(60, 50, t, f, sigma=0.1), 3)
    (1.0, 0.779)
    """
    box = target.get("box")
    if box is not None and box[0] <= x <= box[2] and box[1] <= y <= box[3]:
        return 1.0
    d2 = (x - float(target["x"])) ** 2 + (y - float(target["y"])) ** 2
    if d2 <= float(target.get("radius") or 0.0) ** 2:
        return 1.0
    s = sigma * math.hypot(float(frame["width"]), float(frame["height"]))
    return math.exp(-d2 / (2.0 * s * s))


def click_reward(completions: Sequence[Completion], *, sigma: float = DEFAULT_SIGMA,
                 **columns: Any) -> list[float | None]:
    """Verifiable click: ``click_score`` of the clicked point; 0 for a non-click; None without
    a target.

    >>> frame = {"left": 0, "top": 0, "width": 100, "height": 100, "image_width": 100,
    ...          "image_height": 100}
    >>> target = {"x": 10, "y": 10, "radius": 3, "box": None}
    >>> a = '<answer>{"type": "click", "x": 11, "y": 10}</answer>'
    >>> b = '<answer>{"type": "type", "text": "hi"}</answer>'
    >>> click_reward([a, b, a], family=["deskhand"] * 3, frame=[frame] * 3,
    ...              target=[target, target, None])
    [1.0, 0.0, None]
    """
    def score(parsed: Parsed | None, row: dict[str, Any]) -> float | None:
        target = row.get("target")
        if not target:
            return None
        if parsed is None or not isinstance(parsed.action, actions.Click):
            return 0.0
        return click_score(parsed.action.x, parsed.action.y, target, row["frame"], sigma)

    return _each(completions, columns, score)


def action_type_reward(completions: Sequence[Completion], **columns: Any) -> list[float | None]:
    """1 when the action's type matches the reference action's, else 0; None without one.

    >>> frame = {"left": 0, "top": 0, "width": 100, "height": 100, "image_width": 100,
    ...          "image_height": 100}
    >>> a = '<answer>{"type": "key", "keys": ["enter"]}</answer>'
    >>> action_type_reward([a, a], family=["deskhand"] * 2, frame=[frame] * 2,
    ...                    reference_action=['{"type": "key", "keys": ["esc"]}', None])
    [1.0, None]
    """
    def score(parsed: Parsed | None, row: dict[str, Any]) -> float | None:
        ref = _reference(row)
        if ref is None:
            return None
        return 1.0 if parsed is not None and parsed.action.kind == ref.get("type") else 0.0

    return _each(completions, columns, score)


def text_similarity(got: str, want: str) -> float:
    """1 for the exact text; else a similarity of the case- and space-normalised texts < 1.

    >>> text_similarity("Hello world", "Hello world")
    1.0
    >>> text_similarity("hello  World", "Hello world")
    0.95
    """
    if got == want:
        return 1.0
    a, b = " ".join(got.casefold().split()), " ".join(want.casefold().split())
    return 0.95 * difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def typed_text_reward(completions: Sequence[Completion], **columns: Any) -> list[float | None]:
    """For a reference ``type`` action: ``text_similarity`` of the typed text (0 if the
    completion does not type); None when the reference is not a ``type``.

    >>> frame = {"left": 0, "top": 0, "width": 100, "height": 100, "image_width": 100,
    ...          "image_height": 100}
    >>> a = '<answer>{"type": "type", "text": "report.txt"}</answer>'
    >>> typed_text_reward([a], family=["deskhand"], frame=[frame],
    ...                   reference_action=['{"type": "type", "text": "report.txt"}'])
    [1.0]
    """
    def score(parsed: Parsed | None, row: dict[str, Any]) -> float | None:
        ref = _reference(row)
        if ref is None or ref.get("type") != "type":
            return None
        if parsed is None or not isinstance(parsed.action, actions.Type):
            return 0.0
        return text_similarity(parsed.action.text, str(ref.get("text", "")))

    return _each(completions, columns, score)


def key_score(got: Sequence[str], want: Sequence[str]) -> float:
    """1 for the same chord (order-free), else the Jaccard overlap of the key sets × 0.5.

    >>> key_score(["s", "ctrl"], ["ctrl", "s"]), key_score(["ctrl", "a"], ["ctrl", "s"])
    (1.0, 0.16666666666666666)
    """
    a, b = set(got), set(want)
    if a == b:
        return 1.0
    return 0.5 * len(a & b) / len(a | b) if a | b else 0.0


def verifiable_score(parsed: Parsed | None, row: dict[str, Any],
                     sigma: float = DEFAULT_SIGMA) -> float | None:
    """The verifiable reward of one parsed completion against the row's reference action."""
    ref = _reference(row)
    if ref is None:
        return None
    if parsed is None:
        return 0.0
    act, kind = parsed.action, ref.get("type")
    if kind == "click" and row.get("target"):
        if not isinstance(act, actions.Click):
            return 0.0
        return click_score(act.x, act.y, row["target"], row["frame"], sigma)
    if act.kind != kind:
        return 0.0
    if isinstance(act, actions.Type):
        return text_similarity(act.text, str(ref.get("text", "")))
    if isinstance(act, actions.Key):
        return key_score(act.keys, [actions.normalize_key(k) for k in ref.get("keys", [])])
    return 1.0  # same type, nothing else that can be checked (done, wait, ...)


def verifiable_reward(completions: Sequence[Completion], *, sigma: float = DEFAULT_SIGMA,
                      **columns: Any) -> list[float | None]:
    """The actor's verifiable reward: click / typed text / key chord / type match against the
    reference action, by its type; None where no reference exists (the gate's primary metric).

    >>> frame = {"left": 0, "top": 0, "width": 100, "height": 100, "image_width": 100,
    ...          "image_height": 100}
    >>> a = '<answer>{"type": "key", "keys": ["ctrl", "s"]}</answer>'
    >>> verifiable_reward([a, a, "junk"], family=["deskhand"] * 3, frame=[frame] * 3,
    ...     reference_action=['{"type": "key", "keys": ["ctrl", "s"]}',
    ...                       '{"type": "done"}', '{"type": "done"}'])
    [1.0, 0.0, 0.0]
    """
    return _each(completions, columns, lambda p, row: verifiable_score(p, row, sigma))


def same_action(got: actions.Action, want: dict[str, Any], frame: dict[str, Any],
                tolerance: float = 0.03) -> bool:
    """Whether ``got`` does what the stored action ``want`` did: the same kind, pointer
    actions within ``tolerance`` × the screen diagonal, everything else equal.

    >>> f = {"width": 100, "height": 100}
    >>> same_action(actions.Click(50, 50), {"type": "click", "x": 52, "y": 51}, f)
    True
    >>> same_action(actions.Click(50, 50), {"type": "click", "x": 70, "y": 50}, f)
    False
    """
    try:
        other = actions.from_json(want)
    except ValueError:
        return False
    if got.kind != other.kind:
        return False
    mine, theirs = actions.points(got), actions.points(other)
    if mine or theirs:
        reach = tolerance * math.hypot(float(frame["width"]), float(frame["height"]))
        close = len(mine) == len(theirs) and all(
            math.hypot(a[0] - b[0], a[1] - b[1]) <= reach
            for a, b in zip(mine, theirs, strict=True))
        return close and _without_points(got) == _without_points(other)
    return got == other


def _without_points(action: actions.Action) -> dict[str, Any]:
    """An action's JSON fields other than its coordinates (button, count, dx, dy...)."""
    return {k: v for k, v in actions.to_json(action).items()
            if k not in ("x", "y", "to_x", "to_y")}


def repeats_rejected(completions: Sequence[Completion], **columns: Any) -> list[bool]:
    """Per completion: it proposes the very action the person rejected at this state.

    >>> frame = {"left": 0, "top": 0, "width": 100, "height": 100, "image_width": 100,
    ...          "image_height": 100}
    >>> a = '<answer>{"type": "click", "x": 11, "y": 10}</answer>'
    >>> b = '<answer>{"type": "click", "x": 60, "y": 60}</answer>'
    >>> repeats_rejected([a, b, a], family=["deskhand"] * 3, frame=[frame] * 3,
    ...     rejected_action=['{"type": "click", "x": 10, "y": 10}'] * 2 + [None])
    [True, False, False]
    """
    def score(parsed: Parsed | None, row: dict[str, Any]) -> float | None:
        wrong = row.get("rejected_action")
        if parsed is None or not wrong:
            return 0.0
        want = json.loads(wrong) if isinstance(wrong, str) else wrong
        return 1.0 if same_action(parsed.action, want, row["frame"]) else 0.0

    return [bool(v) for v in _each(completions, columns, score)]


def critic_reward(completions: Sequence[Completion], *, critic: Critic,
                  **columns: Any) -> list[float]:
    """The reward model's score of each parseable completion (0 when unparseable); the
    ``critic`` gets the parsed actions with their rows, all in one call, and returns rewards
    in [0, 1] (clamped here).

    The reward model judges greedily, so a group's samples that propose the same action with
    the same reasoning on the same row are judged once (a converging policy repeats itself;
    each judgment is a whole generation). Bind the critic with
    ``functools.partial(critic_reward, critic=...)`` for TRL.

    >>> frame = {"left": 0, "top": 0, "width": 100, "height": 100, "image_width": 100,
    ...          "image_height": 100}
    >>> a, b = '<answer>{"type": "done"}</answer>', '<answer>{"type": "wait"}</answer>'
    >>> calls = []
    >>> critic_reward([a, "junk", a, b], critic=lambda judged: calls.append(judged) or [0.8, 2],
    ...               family=["deskhand"] * 4, frame=[frame] * 4), [len(c) for c in calls]
    ([0.8, 0.0, 0.8, 1.0], [2])
    """
    keys: list[tuple[Any, ...] | None] = []
    distinct: dict[tuple[Any, ...], tuple[Parsed, dict[str, Any]]] = {}
    for i, completion in enumerate(completions):
        row = _row(columns, i)
        parsed = parse_completion(completion_text(completion), row)
        if parsed is None:
            keys.append(None)
            continue
        key = (json.dumps(actions.to_json(parsed.action), sort_keys=True), parsed.reasoning,
               tuple((k, id(v)) for k, v in row.items()))  # same objects: the same row
        distinct.setdefault(key, (parsed, row))
        keys.append(key)
    scores = list(critic(list(distinct.values()))) if distinct else []
    if len(scores) != len(distinct):
        raise ValueError(f"the critic gave {len(scores)} scores for {len(distinct)} actions")
    judged = {key: min(1.0, max(0.0, float(v))) for key, v in zip(distinct, scores, strict=True)}
    return [0.0 if key is None else judged[key] for key in keys]


def verdict_format_reward(completions: Sequence[Completion], *,
                          with_reasoning: bool | list[bool] = True,
                          **_columns: Any) -> list[float]:
    """The reward model's format: a parseable ``<score>`` (and a ``<think>`` block when
    reasoning is asked for) → 1, else 0.

    >>> verdict_format_reward(["<think>ok</think><score>0.9</score>", "<score>1</score>", "?"])
    [1.0, 0.0, 0.0]
    """
    out = []
    for i, completion in enumerate(completions):
        text = completion_text(completion)
        want_think = with_reasoning[i] if isinstance(with_reasoning, list) else with_reasoning
        try:
            parse_verdict(text)
        except ParseError:
            out.append(0.0)
            continue
        has_tag = "<score>" in text.lower()
        has_think = "<think>" in text and "</think>" in text
        out.append(1.0 if has_tag and (has_think or not want_think) else 0.0)
    return out


def agreement_reward(completions: Sequence[Completion], *, label: Sequence[float],
                     **_columns: Any) -> list[float]:
    """The reward model's own reward: 1 − |score − human label|, 0 when unparseable.

    >>> agreement_reward(["<score>0.8</score>", "<score>0.1</score>", "maybe"],
    ...                  label=[1.0, 1.0, 0.0])
    [0.8, 0.1, 0.0]
    """
    out = []
    for completion, want in zip(completions, label, strict=True):
        try:
            got = parse_verdict(completion_text(completion)).reward
        except ParseError:
            out.append(0.0)
            continue
        out.append(round(1.0 - abs(got - float(want)), 12))
    return out
