"""What earlier steps put in the next prompt: the task text and the action history.

The episode loop builds the prompt it acts on from these functions, and the learner rebuilds
the prompt a stored step was served with from the same functions, so the two can never drift
apart: a trained adapter sees in training exactly the text it will see when it acts.

A ``StepTrace`` is what one finished step contributes: the actions that were really carried out
(the agent's own, the person's correction, or every action of a "let me do it" takeover, in
order), the agent's reasoning when its own proposal was carried out, and a note for the task
text (the person's answer to ``ask_user``). The loop writes each step's trace into the step row
(``extra["trace"]``); :func:`legacy_trace` rebuilds one for rows written before that existed
(or imported) from the step's action, outcome and correction.

The design choice a reader must know: reasoning stays with an action only when the agent's own
proposal was executed. A correction or a takeover did something the agent did not reason
about, so its history lines carry no reasoning rather than words that no longer fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from models.actions import Action, ActionError, from_json, to_json
from models.families.base import HistoryStep

TRACE_KEY = "trace"  # where the loop keeps a step's trace in ``steps.extra``


@dataclass(frozen=True)
class StepTrace:
    """What one finished step contributes to the prompts of the steps after it."""

    actions: tuple[Action, ...]
    reasoning: str = ""
    note: str | None = None  # a line appended to the task text (an ask_user answer)

    def to_json(self) -> dict[str, Any]:
        return {"actions": [to_json(a) for a in self.actions], "reasoning": self.reasoning,
                "note": self.note}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> StepTrace:
        """
        >>> t = StepTrace((from_json({"type": "done"}),), "because", "an answer")
        >>> StepTrace.from_json(t.to_json()) == t
        True
        """
        raw = obj.get("actions")
        if not isinstance(raw, list):
            raise ActionError(f"a step trace needs a list of actions, got {raw!r}")
        note = obj.get("note")
        return cls(tuple(from_json(a) for a in raw), str(obj.get("reasoning") or ""),
                   None if note is None else str(note))


def task_text(task: str, traces: Sequence[StepTrace]) -> str:
    """The task as the model reads it: the person's words, then their answers so far.

    >>> task_text("Book a table", [StepTrace((), note='You asked "When?"; the user answered: 8pm')])
    'Book a table\\nYou asked "When?"; the user answered: 8pm'
    """
    return "\n".join([task, *(t.note for t in traces if t.note)])


def history(traces: Sequence[StepTrace], length: int) -> tuple[HistoryStep, ...]:
    """The last ``length`` actions carried out, oldest first (0: no history).

    >>> click, done = from_json({"type": "click", "x": 1, "y": 2}), from_json({"type": "done"})
    >>> [h.reasoning for h in history([StepTrace((click,), "mine"), StepTrace((click, done))], 2)]
    ['', '']
    >>> [h.reasoning for h in history([StepTrace((click,), "mine"), StepTrace((done,))], 8)]
    ['mine', '']
    """
    if length <= 0:
        return ()
    steps = [HistoryStep(action, trace.reasoning if len(trace.actions) == 1 else "")
             for trace in traces for action in trace.actions]
    return tuple(steps[-length:])


def legacy_trace(action: Mapping[str, Any] | None, outcome: str, reasoning: str,
                 corrected: Mapping[str, Any] | None,
                 extra: Mapping[str, Any] | None) -> StepTrace | None:
    """The trace of a stored step: the one the loop wrote, else rebuilt from the row.

    ``corrected``: the step's last correction, if any. Returns None for a step that changed
    nothing (skipped, blocked, unparseable, interrupted).

    >>> legacy_trace({"type": "done"}, "executed", "ok", None, None).reasoning
    'ok'
    >>> legacy_trace({"type": "done"}, "skipped", "ok", None, None) is None
    True
    """
    extra = extra or {}
    stored = extra.get(TRACE_KEY)
    if isinstance(stored, Mapping):
        return StepTrace.from_json(stored)
    takeover = extra.get("takeover")
    if isinstance(takeover, list) and takeover:
        import json

        return StepTrace(tuple(from_json(json.loads(a) if isinstance(a, str) else a)
                               for a in takeover))
    if corrected is not None:
        return StepTrace((from_json(dict(corrected)),))
    if action is None or outcome not in ("executed", "corrected"):
        return None
    done = from_json(dict(action))
    answer = extra.get("answer")
    note = None
    if done.kind == "ask_user" and isinstance(answer, str):
        note = answer_note(str(getattr(done, "question", "")), answer)
    return StepTrace((done,), reasoning, note)


def answer_note(question: str, answer: str) -> str:
    """The line an ``ask_user`` answer adds to the task text.

    >>> answer_note("Which file?", "report.txt")
    'You asked "Which file?"; the user answered: report.txt'
    """
    return f'You asked "{question}"; the user answered: {answer}'
