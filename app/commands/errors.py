"""How a command reports a problem: one line on stderr, never wrapped, never a traceback.

Rich wraps at the console width by default, which cut messages mid-word ("line\\n2") when a
long path came first; every command's error goes through :func:`fail` (or :func:`say_error`
for a message that does not end the command) with ``soft_wrap`` on, so the message is exactly
the text the core raised, whatever the terminal's width.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

ERROR_EXIT = 2


def say_error(message: str, *, prefix: str = "error") -> None:
    """Print ``prefix: message`` on stderr, unwrapped (``message`` is plain text)."""
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[red]{escape(prefix)}:[/] {escape(message)}")


def fail(message: str, *, code: int = ERROR_EXIT, prefix: str = "error") -> typer.Exit:
    """Say ``message`` as an error and return the ``typer.Exit`` to raise."""
    say_error(message, prefix=prefix)
    return typer.Exit(code)
