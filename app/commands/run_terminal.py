"""The terminal's side of a ``deskhand run`` episode: what it prints, how a takeover pause
ends, how a signal stops the episode, and the rating of the whole episode at its end.

The one design choice a reader must know: SIGTERM and SIGHUP (the terminal was closed) only
*stop* the episode — the stop token every part of the loop watches (the model, the actuator
between events, a waiting question, a pause) — so the loop ends as after a Stop: the episode
is recorded ``stopped``, never left ``running``, and no key or button is left held. After a
SIGHUP there is no terminal to print to, so the console writes nowhere.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from rich.console import Console
from rich.markup import escape

from agent.actuator import StopToken

SIGNALS = {"SIGTERM": "SIGTERM", "SIGHUP": "SIGHUP: the terminal was closed"}


class Pause:
    """A takeover pause at the terminal: say so, and resume when the person presses Enter
    (``read_line``, at a terminal that is asked things) or has been still for a while."""

    def __init__(self, control: Any, console: Console,
                 read_line: Callable[[], str | None] | None) -> None:
        self.control, self.console, self.read_line = control, console, read_line
        self.desktop: Any = None  # app.episode_controls.DesktopEpisode, once built

    def paused(self, description: str) -> None:  # a listener thread: say it, then hand over
        how = ("press Enter to resume" if self.read_line is not None else
               f"the agent resumes after {self.control.resume_after_idle_s:g} s without input")
        self.console.print(f"[yellow]paused: you took over ({escape(description)}); {how}[/]")
        threading.Thread(target=self._resume_later, name="deskhand-resume", daemon=True).start()

    def _resume_later(self) -> None:
        desktop = self.desktop
        if desktop is None or desktop.takeover is None:
            return
        if self.read_line is not None:
            self.read_line()
        else:
            desktop.takeover.wait_until_idle(self.control.resume_after_idle_s)
        self.console.print("[green]resuming[/]")
        desktop.resume()


@contextmanager
def stop_on_signals(stop: StopToken, console: Console) -> Iterator[list[int]]:
    """While inside, SIGTERM and SIGHUP stop the episode; yields the signals received."""
    received: list[int] = []
    previous: dict[int, Any] = {}
    nowhere: list[Any] = []

    def handle(number: int, _frame: FrameType | None) -> None:
        name = signal.Signals(number).name
        received.append(number)
        if name == "SIGHUP" and not nowhere:
            nowhere.append(open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
            console.file = nowhere[0]
        stop.stop(SIGNALS.get(name, name))

    for name in SIGNALS:
        number = getattr(signal, name, None)
        if number is not None and threading.current_thread() is threading.main_thread():
            previous[number] = signal.signal(number, handle)
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for file in nowhere:
            file.close()


def callbacks(console: Console) -> Any:
    """What the terminal shows while the episode runs: the model's words, each step, and
    when it acts or is paused."""
    from agent.episode import Callbacks, StepReport
    from models.actions import describe

    def on_token(piece: str) -> None:
        console.print(piece, end="", markup=False, style="dim")

    def on_step(report: StepReport) -> None:
        what = describe(report.action) if report.action is not None else (
            f"unparseable output: {report.parse_error}")
        note = f" ({report.note})" if report.note else ""
        console.print(f"\n[bold]#{report.index + 1}[/] {report.outcome}: {escape(what)}"
                      f"{escape(note)}")

    def on_status(text: str) -> None:
        if text.startswith(("acting", "paused")):
            console.print(f"[dim]{escape(text)}[/]")

    return Callbacks(on_token=on_token, on_step=on_step, on_status=on_status)


def summary(result: Any) -> str:
    """The episode's last line: how it ended and what its steps came to."""
    counts: dict[str, int] = {}
    for step in result.steps:
        counts[step.outcome] = counts.get(step.outcome, 0) + 1
    tally = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no steps"
    colour = "green" if result.status == "done" else "yellow"
    return (f"\n[{colour}]episode {result.episode_id} {result.status}[/]: "
            f"{escape(result.summary)} ({tally})")
