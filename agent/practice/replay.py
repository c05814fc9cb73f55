"""Replay files for the practice desktop: the solution of an exercise, one action per line.

The file is the JSONL form of DESIGN.md §3 that ``deskhand run --policy replay:FILE`` reads.
The one design choice a reader must know: the coordinates come from the live geometry of a
running practice window, so a replay file is valid only for that window where it was (the
window's place is part of the exercise spec, so the same kind and seed on a screen of the
same size puts it at the same place).
"""

from __future__ import annotations

from pathlib import Path

from agent.practice.solve import solve
from agent.practice.spec import ExerciseSpec, Geometry
from models.actions import Action, ActionError, dumps, validate


def write_replay(path: Path, actions: list[Action]) -> Path:
    """Write the actions as JSONL (one action per line); return the path.

    Every action is validated first (``ActionError`` names the first bad one), so a replay
    file written here is one ``ReplayPolicy`` reads back.
    """
    for number, action in enumerate(actions, start=1):
        try:
            validate(action)
        except ActionError as exc:
            raise ActionError(f"replay action {number}: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(dumps(a) + "\n" for a in actions), encoding="utf-8")
    return path


def write_solution(path: Path, spec: ExerciseSpec, geometry: Geometry) -> Path:
    """Plan the exercise from the live geometry and write the plan as a replay file."""
    return write_replay(path, solve(spec, geometry))
