"""``deskhand parse``: raw model output on stdin → the parsed action as JSON.

For trying a model's output by hand or in scripts: the action is printed in the JSON form of
DESIGN.md §3, in pixels of a W×H screen whose top-left corner is (0, 0). The image the model
saw is the family's own resize of that screen unless ``--image-width/--image-height`` say
otherwise. Whatever the input, a failure is one plain line on stderr (never a traceback, never
wrapped to the terminal's width) and the exit status is 2, so scripts can tell.
"""

from __future__ import annotations

import sys

import typer

from models.actions import MAX_COORDINATE
from models.frames import MAX_FRAME_PIXELS

PARSE_ERROR_EXIT = 2


def _cursor(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        x, y = (int(part) for part in value.split(","))
    except ValueError:
        raise typer.BadParameter("give the pointer as X,Y, e.g. 640,360",
                                 param_hint="--cursor") from None
    return x, y


def one_line(message: str, limit: int = 500) -> str:
    """A message as one printable line: whitespace runs become one space, control
    characters are escaped, and the line is cut at ``limit`` characters.

    >>> one_line("bad\\n  value \\x1b[31m")
    'bad value \\\\x1b[31m'
    """
    text = " ".join(message.split())
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit] + "..."


def _fail(prefix: str, message: str) -> typer.Exit:
    typer.echo(f"{prefix}: {one_line(message)}", err=True)
    return typer.Exit(PARSE_ERROR_EXIT)


def _read_input() -> str:
    buffer = getattr(sys.stdin, "buffer", None)  # bytes, so a bad byte is our error to word
    try:
        return buffer.read().decode("utf-8") if buffer is not None else sys.stdin.read()
    except UnicodeDecodeError as exc:
        raise _fail("parse error", f"the input is not UTF-8 text ({exc.reason} at byte "
                                   f"{exc.start})") from None


def register(app: typer.Typer) -> None:
    @app.command()
    def parse(
        family: str = typer.Option(..., "--family", "-f",
                                   help="qwen25vl, uitars, qwen3vl, deskhand, guiowl or uivenus."),
        width: int = typer.Option(..., "--width", min=1, max=MAX_COORDINATE,
                                  help="Screen width in pixels."),
        height: int = typer.Option(..., "--height", min=1, max=MAX_COORDINATE,
                                   help="Screen height in pixels."),
        image_width: int | None = typer.Option(
            None, "--image-width", min=1, max=MAX_FRAME_PIXELS,
            help="Width of the image the model saw."),
        image_height: int | None = typer.Option(
            None, "--image-height", min=1, max=MAX_FRAME_PIXELS,
            help="Height of the image the model saw."),
        cursor: str | None = typer.Option(
            None, "--cursor", metavar="X,Y",
            help="Pointer position, for actions that name no point (e.g. a drag's start)."),
        show_reasoning: bool = typer.Option(
            False, "--show-reasoning", help="Print the model's reasoning before the JSON."),
    ) -> None:
        """Parse a raw model output (stdin) into an action in screen pixels."""
        from models.actions import dumps
        from models.families.base import FAMILY_NAMES, ParseError, get_family
        from models.frames import Monitor

        if family not in FAMILY_NAMES:
            raise typer.BadParameter(f"unknown family {family!r}; known: "
                                     f"{', '.join(FAMILY_NAMES)}", param_hint="--family")
        if (image_width is None) != (image_height is None):
            raise typer.BadParameter("give both --image-width and --image-height, or neither",
                                     param_hint="--image-width")
        pointer = _cursor(cursor)
        model = get_family(family)
        size = (image_width, image_height) if image_width and image_height else None
        try:
            frame = model.frame(Monitor(0, 0, width, height), size)
        except ValueError as exc:  # FrameError, or a size the family's resize rule refuses
            raise _fail("error", f"no image frame for a {width}x{height} screen: {exc}") from None
        text = _read_input()
        try:
            parsed = model.parse(text, frame, pointer)
        except ParseError as exc:
            raise _fail("parse error", str(exc)) from None
        except Exception as exc:  # noqa: BLE001 - a parser bug: still one line, no traceback
            typer.echo("internal error: the " + family + " parser failed on this input ("
                       + one_line(f"{type(exc).__name__}: {exc}", 200) + "); please report it",
                       err=True)
            raise typer.Exit(1) from None
        if show_reasoning:
            typer.echo(f"reasoning: {parsed.reasoning}" if parsed.reasoning else "reasoning:")
        typer.echo(dumps(parsed.action))
