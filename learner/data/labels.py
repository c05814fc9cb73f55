"""Judgments → labelled candidate actions for one step (DESIGN.md §6), as a pure function.

Labels: approve → 1, reject → 0, rating r of 1–5 → (r−1)/4, a correction gives the corrected
action 1 and the original 0, a ``negative`` judgment (an imported ``bad_thought``) is a 0 for
the action with that reasoning.

The design choice a reader must know: a correction is final. Once a person has corrected a
step, its original action is labelled 0 whatever came after (an "approve" after a correction
approves the corrected action the agent then executed). Without a correction, the *latest* of
approve / reject / rate wins, so a person may change their mind. Comments carry no label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

VERDICT_KINDS = ("approve", "reject", "rate", "correct")


@dataclass(frozen=True)
class JudgmentView:
    """What labelling needs of a judgment row (in ``id`` order)."""

    kind: str
    value: float | None = None
    corrected_action: dict[str, Any] | None = None
    reasoning: str | None = None


@dataclass(frozen=True)
class Labelled:
    """One candidate action of a step with its label in [0, 1]."""

    action: dict[str, Any]
    reasoning: str
    label: float
    source: str  # approve | reject | rate | corrected | correct_original | negative | demo
    from_step: bool  # True: the step's own proposed action (its raw output applies)


def rating_label(value: float | None) -> float | None:
    """A 1–5 rating as a label, or None when it is not a rating.

    >>> [rating_label(r) for r in (1, 3, 5, 0, None)]
    [0.0, 0.5, 1.0, None, None]
    """
    if value is None or not 1 <= value <= 5:
        return None
    return (float(value) - 1.0) / 4.0


def _original_label(verdict: JudgmentView) -> tuple[float, str] | None:
    if verdict.kind == "approve":
        return 1.0, "approve"
    if verdict.kind == "reject":
        return 0.0, "reject"
    label = rating_label(verdict.value)
    return None if label is None else (label, "rate")


def label_step(action: dict[str, Any] | None, reasoning: str,
               judgments: Sequence[JudgmentView], *, imported: bool = False,
               imported_positive: bool = True) -> list[Labelled]:
    """The labelled candidates of one step (``judgments`` oldest first).

    >>> click = {"type": "click", "x": 5, "y": 5}
    >>> fixed = {"type": "click", "x": 9, "y": 9}
    >>> [(c.action["x"], c.label, c.source) for c in label_step(
    ...     click, "", [JudgmentView("correct", corrected_action=fixed),
    ...                 JudgmentView("approve")])]
    [(5, 0.0, 'correct_original'), (9, 1.0, 'corrected')]
    >>> [(c.label, c.source) for c in label_step(click, "", [JudgmentView("reject")])]
    [(0.0, 'reject')]
    >>> [(c.label, c.source) for c in label_step(
    ...     click, "", [JudgmentView("approve"), JudgmentView("rate", 2)])]
    [(0.25, 'rate')]
    """
    out: list[Labelled] = []
    verdicts = [j for j in judgments if j.kind in VERDICT_KINDS]
    corrections = [j for j in verdicts if j.kind == "correct"]
    if corrections:
        fixed = next((j.corrected_action for j in reversed(corrections)
                      if j.corrected_action is not None), None)
        if action is not None and action != fixed:
            out.append(Labelled(action, reasoning, 0.0, "correct_original", True))
        if fixed is not None:
            same = action == fixed
            out.append(Labelled(fixed, reasoning if same else "", 1.0,
                                "approve" if same else "corrected", same))
    elif verdicts and action is not None:
        decided = next((lab for lab in map(_original_label, reversed(verdicts))
                        if lab is not None), None)
        if decided is not None:
            out.append(Labelled(action, reasoning, decided[0], decided[1], True))
    elif imported and imported_positive and action is not None:
        out.append(Labelled(action, reasoning, 1.0, "demo", True))
    if action is not None:
        for j in judgments:
            if j.kind == "negative":
                bad = (j.reasoning or "").strip()
                out.append(Labelled(action, bad or reasoning, 0.0, "negative", not bad))
    return out


def reference_action(labelled: Sequence[Labelled]) -> dict[str, Any] | None:
    """The action known to be right for the step (label 1, not a negative), if any.

    >>> reference_action([Labelled({"type": "done"}, "", 0.0, "reject", True)]) is None
    True
    """
    for cand in labelled:
        if cand.label >= 1.0 and cand.source != "negative":
            return cand.action
    return None


def correction(judgments: Sequence[JudgmentView]) -> dict[str, Any] | None:
    """The step's last corrected action (what was carried out instead), if any.

    >>> correction([JudgmentView("approve")]) is None
    True
    >>> correction([JudgmentView("correct", corrected_action={"type": "done"})])
    {'type': 'done'}
    """
    for j in reversed(judgments):
        if j.kind == "correct" and j.corrected_action is not None:
            return j.corrected_action
    return None
