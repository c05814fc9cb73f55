"""``deskhand parse``: raw model output on stdin → the parsed action as JSON.

For trying a model's output by hand or in scripts: the action is printed in the JSON form of
DESIGN.md §3, in pixels of a W×H screen whose top-left corner is (0, 0). The image the model
saw is the family's own resize of that screen unless ``--image-width/--image-height`` say
otherwise. A parse error goes to stderr and the exit status is 2, so scripts can tell.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

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


def register(app: typer.Typer) -> None:
    @app.command()
    def parse(
        family: str = typer.Option(..., "--family", "-f",
                                   help="qwen25vl, uitars, qwen3vl or deskhand."),
        width: int = typer.Option(..., "--width", min=1, help="Screen width in pixels."),
        height: int = typer.Option(..., "--height", min=1, help="Screen height in pixels."),
        image_width: int | None = typer.Option(
            None, "--image-width", min=1, help="Width of the image the model saw."),
        image_height: int | None = typer.Option(
            None, "--image-height", min=1, help="Height of the image the model saw."),
        cursor: str | None = typer.Option(
            None, "--cursor", metavar="X,Y",
            help="Pointer position, for actions that name no point (e.g. a drag's start)."),
        show_reasoning: bool = typer.Option(
            False, "--show-reasoning", help="Print the model's reasoning before the JSON."),
    ) -> None:
        """Parse a raw model output (stdin) into an action in screen pixels."""
        from models.actions import dumps
        from models.families.base import FAMILY_NAMES, ParseError, get_family
        from models.frames import FrameError, Monitor

        if family not in FAMILY_NAMES:
            raise typer.BadParameter(f"unknown family {family!r}; known: "
                                     f"{', '.join(FAMILY_NAMES)}", param_hint="--family")
        if (image_width is None) != (image_height is None):
            raise typer.BadParameter("give both --image-width and --image-height, or neither",
                                     param_hint="--image-width")
        model = get_family(family)
        size = (image_width, image_height) if image_width and image_height else None
        frame = model.frame(Monitor(0, 0, width, height), size)
        try:
            parsed = model.parse(sys.stdin.read(), frame, _cursor(cursor))
        except (ParseError, FrameError) as exc:
            Console(stderr=True, highlight=False).print(f"[red]parse error:[/] {escape(str(exc))}")
            raise typer.Exit(PARSE_ERROR_EXIT) from None
        if show_reasoning:
            typer.echo(f"reasoning: {parsed.reasoning}" if parsed.reasoning else "reasoning:")
        typer.echo(dumps(parsed.action))
