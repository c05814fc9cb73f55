"""The terminal's ``UserGate`` for ``deskhand run``: approve / edit / skip / quit, and ratings.

``TerminalGate`` asks on a rich console (input from a stream, so tests drive it exactly as a
person would): approve, edit, let me do it (the person does the step, the recorder keeps
it), skip, quit — and a rating of the step and of the whole episode. ``UnattendedGate`` is
the gate that asks nothing: ``--approve never``, or no terminal. ``parse_short`` reads a
corrected action typed by hand, as JSON (``{"type": "click", "x": 300, "y": 250}``) or a
short form (``click 300 250``).

The one design choice a reader must know: with no one to ask, what the safety gate flags is
*skipped*, never approved — unattended runs only do what needs no confirmation. A question
waits on the stop token too, so a stop (the hotkey, a signal) ends it at once.
"""

from __future__ import annotations

import queue
import shlex
import sys
import threading
from dataclasses import dataclass, field
from typing import IO

from rich.console import Console
from rich.markup import escape

from agent.actuator import StopToken
from agent.user_gate import (
    APPROVE,
    SKIP,
    STOP,
    TAKEOVER,
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


POLL_S = 0.1  # how often a waiting question looks at the stop token
RATE_PROMPT = "1-5, + or -, or a comment (Enter to skip)"


class TerminalGate:
    """Asks the person at the terminal. ``stream``: where answers are read (default stdin);
    ``stop``: a stop ends a waiting question (as the end of the input does).

    The end of the input (Ctrl-D, a closed pipe, a closed terminal) is a stop, never an
    approval.
    """

    def __init__(self, console: Console, stream: IO[str] | None = None,
                 rate_steps: bool = True, stop: StopToken | None = None) -> None:
        self.console = console
        self.stream = stream if stream is not None else sys.stdin
        self.rate_steps = rate_steps
        self.stop = stop
        self.closed = False
        self._lines: queue.Queue[str] | None = None  # a real terminal's lines, as typed
        self._ended = threading.Event()

    def _read(self, prompt: str, stoppable: bool = True) -> str | None:
        """One line from the person (stripped); None at the end of the input or, while the
        episode runs (``stoppable``), at a stop."""
        if self.closed or (stoppable and self.stop is not None and self.stop.stopped):
            return None
        self.console.print(f"{prompt}: ", end="", markup=False, highlight=False)
        try:
            line = self._readline(stoppable)
        except OSError:  # the terminal went away
            line = ""
        if not line:
            self.closed = True
            self.console.print()
            return None
        return line.strip()

    def read_line(self) -> str | None:
        """The next line the person types (no prompt); None at the end of the input."""
        try:
            line = self._readline(stoppable=True)
        except OSError:
            line = ""
        return line if line else None

    def _readline(self, stoppable: bool) -> str:
        """A line ("" at the end), waiting on the stop token meanwhile. A real terminal is
        read by one thread of its own, so a stop never waits for the person's Enter."""
        try:
            self.stream.fileno()
        except (AttributeError, OSError, ValueError):
            return self.stream.readline()  # an in-memory stream: it never blocks
        if self._lines is None:
            self._lines = queue.Queue()
            threading.Thread(target=self._pump, name="deskhand-terminal", daemon=True).start()
        while True:
            try:
                return self._lines.get(timeout=POLL_S)
            except queue.Empty:
                stopped = stoppable and self.stop is not None and self.stop.stopped
                if self._ended.is_set() or stopped:
                    return ""

    def _pump(self) -> None:
        assert self._lines is not None
        while True:
            try:
                line = self.stream.readline()
            except (OSError, ValueError):
                line = ""
            self._lines.put(line)
            if not line:
                self._ended.set()
                return

    def review(self, step: StepView) -> UserDecision:
        c = self.console
        c.print(f"\n[bold]Step {step.index + 1}[/]: {escape(describe(step.action))}")
        if step.verdict is not None:
            c.print(f"  critic: {step.verdict.reward:.2f} {escape(step.verdict.analysis)}")
        for flag in step.flags:
            c.print(f"  [yellow]![/] {escape(flag)}")
        while True:
            choice = self._read("[a]pprove, [e]dit, [l]et me do it, [s]kip or [q]uit")
            if choice is None or choice.lower() in ("q", "quit"):
                return STOP
            choice = choice.lower() or "a"
            if choice in ("a", "approve", "y", "yes"):
                return APPROVE
            if choice in ("s", "skip"):
                return SKIP
            if choice in ("l", "let me do it", "let me"):
                return TAKEOVER
            if choice not in ("e", "edit"):
                c.print("please answer a, e, l, s or q")
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
        return _rating(self._read(f"Rate this step: {RATE_PROMPT}"))

    def rate_episode(self, summary: str) -> Rating | None:
        """The person's rating of the whole episode, asked once it ended, however it ended
        (None: none given)."""
        return _rating(self._read(f"Rate the whole episode ({summary}): {RATE_PROMPT}",
                                  stoppable=False))

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
        self._read("Do the step yourself now, in its window; then press Enter here")


def _rating(answer: str | None) -> Rating | None:
    """
    >>> _rating("4"), _rating("-"), _rating("nice"), _rating("")
    (Rating(stars=4, thumbs=None, comment=None), Rating(stars=None, thumbs=False, \
comment=None), Rating(stars=None, thumbs=None, comment='nice'), None)
    """
    if not answer:
        return None
    if answer in ("+", "-"):
        return Rating(thumbs=answer == "+")
    if answer.isdigit() and 1 <= int(answer) <= 5:
        return Rating(stars=int(answer))
    return Rating(comment=answer)


@dataclass
class UnattendedGate:
    """No one is asked (``--approve never``, or no terminal): flagged steps are skipped,
    questions are answered no, nothing is rated."""

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

    def rate_episode(self, summary: str) -> Rating | None:
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
