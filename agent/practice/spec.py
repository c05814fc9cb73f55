"""What an exercise is: a frozen, JSON-able spec, the geometry the app reports, a verdict.

The one design choice a reader must know: everything here is plain data. ``ExerciseSpec`` is
made only by ``make_exercise(kind, seed)`` (``agent.practice.generators``) and is the same for
the same kind and seed on every machine; ``Geometry`` is what the running app reports about
its widgets, as boxes in virtual-screen pixels (Qt's ``mapToGlobal``), so the verifier, the
solver and the learner's click reward never need Qt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("button", "form", "checkboxes", "menu", "combo", "slider", "dialog", "editor",
         "scroll_list", "swatch", "lamp")
THEMES = ("light", "dark")


class ExerciseError(ValueError):
    """An unknown exercise kind, or a spec / state / geometry that does not fit its kind."""


@dataclass(frozen=True)
class Box:
    """A widget rectangle in virtual-screen pixels.

    >>> Box(10, 20, 100, 30).center
    (60, 35)
    >>> Box(10, 20, 100, 30).contains(109, 49), Box(10, 20, 100, 30).contains(110, 20)
    (True, False)
    """

    x: int
    y: int
    width: int
    height: int

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    def contains(self, x: int, y: int) -> bool:
        return self.x <= x < self.x + self.width and self.y <= y < self.y + self.height

    def to_json(self) -> list[int]:
        return [self.x, self.y, self.width, self.height]

    @classmethod
    def from_json(cls, value: Any) -> Box:
        if not (isinstance(value, (list, tuple)) and len(value) == 4
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            raise ExerciseError(f"a box is [x, y, width, height] in integers, got {value!r}")
        return cls(*value)


@dataclass(frozen=True)
class Geometry:
    """Widget boxes by name (``"button:Orange"``, ``"menu_item:File/Open"``, ``"editor"``...)
    and a few integers the solver needs (``"list_rows_per_notch"``, ``"slider_x:35"``...)."""

    boxes: dict[str, Box] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)

    def box(self, name: str) -> Box:
        try:
            return self.boxes[name]
        except KeyError:
            raise ExerciseError(f"the app reported no widget {name!r}") from None

    def number(self, name: str) -> int:
        try:
            return self.numbers[name]
        except KeyError:
            raise ExerciseError(f"the app reported no number {name!r}") from None

    def to_json(self) -> dict[str, Any]:
        return {"boxes": {k: b.to_json() for k, b in self.boxes.items()},
                "numbers": dict(self.numbers)}

    @classmethod
    def from_json(cls, value: Any) -> Geometry:
        """
        >>> Geometry.from_json({"boxes": {"editor": [1, 2, 3, 4]}, "numbers": {"n": 5}}).box(
        ...     "editor")
        Box(x=1, y=2, width=3, height=4)
        """
        if not isinstance(value, dict):
            raise ExerciseError(f"geometry must be an object, got {value!r}")
        boxes = {str(k): Box.from_json(v) for k, v in dict(value.get("boxes", {})).items()}
        numbers = {str(k): int(v) for k, v in dict(value.get("numbers", {})).items()}
        return cls(boxes, numbers)


@dataclass(frozen=True)
class Look:
    """How the window looks: theme, font size, where it sits and how big it is (pixels)."""

    theme: str
    font_pt: int
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class ExerciseSpec:
    """One exercise: its kind and seed, the sentence the agent is told, the look, and the
    kind's own parameters (JSON values only: labels, targets, initial values)."""

    kind: str
    seed: int
    task: str
    look: Look
    params: dict[str, Any]

    @property
    def title(self) -> str:
        """The window title (the agent loop and tests find the window by it)."""
        return f"Deskhand practice — {self.kind} #{self.seed}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "seed": self.seed, "task": self.task,
                "look": asdict(self.look), "params": self.params}


@dataclass(frozen=True)
class Verdict:
    """Whether the exercise is solved, and in words what is right or still wrong."""

    ok: bool
    details: str
