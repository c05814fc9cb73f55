"""The terminal gate's additions: "let me do it", the episode's rating, and a stop that ends a
question waiting on a real terminal (no Enter needed)."""

from __future__ import annotations

import io
import os
import threading
import time

from rich.console import Console

from agent.actuator import StopToken
from app.commands.run_gate import TerminalGate, UnattendedGate
from tests.app.test_run_command import _view


def test_let_me_do_it_is_an_answer_and_the_episode_is_rated() -> None:
    out = io.StringIO()
    gate = TerminalGate(Console(file=out, width=200), io.StringIO("l\n\n3\n"))
    assert gate.review(_view()).kind == "takeover"
    gate.takeover_done(_view())  # the Enter that says "done"
    rating = gate.rate_episode("all went well")
    assert rating is not None and rating.stars == 3
    assert "[l]et me do it" in out.getvalue() and "all went well" in out.getvalue()


def test_the_episode_is_rated_even_after_a_stop_but_never_unattended() -> None:
    stop = StopToken()
    stop.stop("hotkey")
    gate = TerminalGate(Console(file=io.StringIO()), io.StringIO("+\n"), stop=stop)
    assert gate.review(_view()).kind == "stop", "a stop ends the questions of the episode"
    assert gate.rate_episode("stopped").thumbs is True  # type: ignore[union-attr]
    assert UnattendedGate(Console(file=io.StringIO())).rate_episode("done") is None


def test_a_stop_ends_a_question_waiting_at_a_real_terminal() -> None:
    read, write = os.pipe()
    stream = os.fdopen(read, "r")
    stop = StopToken()
    gate = TerminalGate(Console(file=io.StringIO()), stream, stop=stop)
    answers: list[str] = []
    thread = threading.Thread(target=lambda: answers.append(gate.review(_view()).kind))
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive(), "it waits for the person"
    stop.stop("SIGTERM")
    thread.join(timeout=5)
    try:
        assert answers == ["stop"]
    finally:
        os.close(write)
        stream.close()
