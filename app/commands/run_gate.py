"""The terminal's ``UserGate`` for ``deskhand run``: approve / edit / skip / quit, and ratings.

``TerminalGate`` asks on a rich console (input from a stream, so tests drive it exactly as a
person would); ``UnattendedGate`` is the gate when no one is at a terminal (``--approve never``
without a TTY). ``parse_short`` reads a corrected action typed by hand, as JSON
(``{"type": "click", "x": 300, "y": 250}``) or a short form (``click 300 250``).

The one design choice a reader must know: with no one to ask, what the safety gate flags is
*skipped*, never approved — unattended runs only do what needs no confirmation.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from typing import IO

from rich.console import Console
from rich.markup import escape

from agent.user_gate import (
    APPROVE,
    SKIP,
    STOP,
    GateEvent,
    Rating,
    StepView,
    UserDecision,
)
from models.actions import Action, ActionError, describe, from_json

SHORT_FORMS = ("click X Y [left|right|middle] [COUNT]", "move X Y", "drag X Y TO_X TO_Y",
               "scroll X Y DY [DX]", "type TEXT", "key ctrl+s", "wait SECONDS", "done [SUMMARY]",
               "fail [REASON]")


def parse_short(text: str) -> Action:
    """A hand-typed action: JSON, or a short form.

    >>> parse_short("click 300 250 right")
    Click(x=300, y=250, button='right', count=1)
    >>> parse_short("type hello world"), parse_short("key ctrl+s")
    (Type(text='hello world'), Key(keys=('ctrl', 's')))
    >>> parse_short('{"type": "scroll", "x": 1, "y": 2, "dy": -3}')
    Scroll(x=1, y=2, dx=0, dy=-3)
    >>> parse_short("jump 1 2")
    Traceback (most recent call last):
    ...
    models.actions.ActionError: unknown action 'jump' (try: click X Y [left|right|middle] ...)
    """
    text = text.strip()
    if text.startswith("{"):
        return from_json(text)
    verb, _, rest = text.partition(" ")
    verb = verb.lower()
    if verb in ("type", "done", "fail"):
        field_name = {"type": "text", "done": "summary", "fail": "reason"}[verb]
        return from_json({"type": verb, field_name: rest})
    try:
        args = shlex.split(rest)
        nums = [float(a) for a in args if _is_number(a)]
        if verb == "click":
            button = next((a for a in args if not _is_number(a)), "left")
            count = int(nums[2]) if len(nums) > 2 else 1
            return from_json({"type": "click", "x": nums[0], "y": nums[1], "button": button,
                              "count": count})
        if verb == "move":
            return from_json({"type": "move", "x": nums[0], "y": nums[1]})
        if verb == "drag":
            return from_json({"type": "drag", "x": nums[0], "y": nums[1], "to_x": nums[2],
                              "to_y": nums[3]})
        if verb == "scroll":
            return from_json({"type": "scroll", "x": nums[0], "y": nums[1], "dy": nums[2],
                              "dx": nums[3] if len(nums) > 3 else 0})
        if verb == "key":
            return from_json({"type": "key", "keys": rest})
        if verb == "wait":
            return from_json({"type": "wait", "seconds": nums[0] if nums else 1.0})
    except (IndexError, ValueError) as exc:
        if isinstance(exc, ActionError):
            raise
        raise ActionError(f"{verb}: missing or bad numbers (forms: {', '.join(SHORT_FORMS)})"
                          ) from None
    raise ActionError(f"unknown action {verb!r} (try: {SHORT_FORMS[0]} ...)")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class TerminalGate:
    """Asks the person at the terminal. ``stream``: where answers are read (default stdin).

    The end of the input (Ctrl-D, a closed pipe) is a stop, never an approval.
    """

    def __init__(self, console: Console, stream: IO[str] | None = None,
                 rate_steps: bool = True) -> None:
        self.console = console
        self.stream = stream if stream is not None else sys.stdin
        self.rate_steps = rate_steps
        self.closed = False

    def _read(self, prompt: str) -> str | None:
        """One line from the person (stripped); None at the end of the input."""
        if self.closed:
            return None
        self.console.print(f"{prompt}: ", end="", markup=False, highlight=False)
        line = self.stream.readline()
        if not line:
            self.closed = True
            self.console.print()
            return None
        return line.strip()

    def review(self, step: StepView) -> UserDecision:
        c = self.console
        c.print(f"\n[bold]Step {step.index + 1}[/]: {escape(describe(step.action))}")
        if step.verdict is not None:
            c.print(f"  critic: {step.verdict.reward:.2f} {escape(step.verdict.analysis)}")
        for flag in step.flags:
            c.print(f"  [yellow]![/] {escape(flag)}")
        while True:
            choice = self._read("[a]pprove, [e]dit, [s]kip or [q]uit")
            if choice is None or choice.lower() in ("q", "quit"):
                return STOP
            choice = choice.lower() or "a"
            if choice in ("a", "approve", "y", "yes"):
                return APPROVE
            if choice in ("s", "skip"):
                return SKIP
            if choice not in ("e", "edit"):
                c.print("please answer a, e, s or q")
                continue
            typed = self._read("Corrected action (JSON or e.g. 'click 300 250', 'type hi')")
            if typed is None:
                return STOP
            try:
                return UserDecision("correct", parse_short(typed))
            except ActionError as exc:
                c.print(f"[red]not an action:[/] {escape(str(exc))}")

    def rate(self, step: StepView) -> Rating | None:
        if not self.rate_steps:
            return None
        answer = self._read("Rate this step: 1-5, + or -, or a comment (Enter to skip)")
        if not answer:
            return None
        if answer in ("+", "-"):
            return Rating(thumbs=answer == "+")
        if answer.isdigit() and 1 <= int(answer) <= 5:
            return Rating(stars=int(answer))
        return Rating(comment=answer)

    def notify(self, event: GateEvent) -> None:
        colour = {"error": "red", "blocked": "red", "budget": "yellow"}.get(event.kind, "cyan")
        self.console.print(f"[{colour}]{event.kind}:[/] {escape(event.message)}")

    def ask(self, question: str) -> bool:
        reply = self._read(f"{question} [y/N]")
        return bool(reply) and reply.lower() in ("y", "yes")  # type: ignore[union-attr]

    def answer(self, question: str) -> str | None:
        return self._read(f"The agent asks: {question}\nYour answer (Enter to stop)") \
            or None

    def takeover_done(self, step: StepView) -> None:
        self._read("Do it yourself now; press Enter when you are done")


@dataclass
class UnattendedGate:
    """No one at the terminal: flagged steps are skipped; questions are answered no."""

    console: Console
    skipped: list[StepView] = field(default_factory=list)

    def review(self, step: StepView) -> UserDecision:
        self.skipped.append(step)
        reasons = "; ".join(step.flags) or "it needs a confirmation"
        self.console.print(f"[yellow]skipped[/] {escape(describe(step.action))}: no one to ask "
                           f"({escape(reasons)})")
        return UserDecision("skip", comment="unattended: no one to confirm", judged=False)

    def rate(self, step: StepView) -> Rating | None:
        return None

    def notify(self, event: GateEvent) -> None:
        self.console.print(f"{event.kind}: {escape(event.message)}")

    def ask(self, question: str) -> bool:
        self.console.print(f"{escape(question)} [no one to ask: no]")
        return False

    def answer(self, question: str) -> str | None:
        self.console.print(f"The agent asks: {escape(question)} [no one to answer]")
        return None

    def takeover_done(self, step: StepView) -> None:
        pass
