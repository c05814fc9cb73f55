"""``deskhand bench ...``: speed and memory measured as ratios within one run."""

from __future__ import annotations

import typer

from app.commands.pending import not_yet

group = typer.Typer(help="Benchmarks: ratios measured in one run.", no_args_is_help=True)


@group.command()
def runtime() -> None:
    """Per-step breakdown of the llama.cpp runtime; overhead and TTFT ratios."""
    not_yet("bench runtime", "the models issue")


@group.command()
def capture() -> None:
    """Screen capture to a model-ready image vs a bare mss grab."""
    not_yet("bench capture", "the agent issue")


@group.command()
def stop() -> None:
    """Stop latency: stop request → last synthetic event."""
    not_yet("bench stop", "the agent issue")


@group.command()
def learner() -> None:
    """Time per GRPO step vs plain TRL, and peak memory."""
    not_yet("bench learner", "the learner issue")


@group.command()
def ui() -> None:
    """Longest UI event-loop stall while an episode streams tokens."""
    not_yet("bench ui", "the app issue")
