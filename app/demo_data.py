"""Demonstrations for the demo model: real practice windows, drawn offscreen, with the answers
of the practice desktop's own solver, written in Deskhand's own format.

Each exercise window is the very widget ``deskhand practice`` shows (same style, palette and
fonts), rendered offscreen at its place on a screen of the exercise's size — the picture the
agent's screenshot of that exercise is — and the target is the solver's first action, written
by the ``deskhand`` family as the model should write it. The critic's demonstrations are the
same pictures with a right or a wrong square proposed and the solver's verdict on it.

The design choice a reader must know: this is the one place the demo's training data is made,
and it is made from the product's own parts (the practice widgets, the solver, the family's
prompt and writer, the critic prompt), so what the demo learns is exactly what it will see.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from agent.practice.generators import make_exercise
from agent.practice.solve import solve, targets
from agent.practice.spec import ExerciseSpec, Geometry
from learner.sft import Example
from models.actions import Click
from models.families.base import get_family
from models.families.critic import build_critic_prompt, format_verdict
from models.frames import Monitor

SCREEN = (448, 336)  # the demo's screen: the swatch/lamp window fills it


def _app() -> Any:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
        _quiet_offscreen_size_hints()
    return app


_NOISE = "does not support propagateSizeHints()"


def _quiet_offscreen_size_hints() -> None:
    """Drop the offscreen plugin's warning for every fixed-size window drawn (thousands of
    lines in a build's output); every other Qt message goes on to stderr as before."""
    from PySide6.QtCore import qInstallMessageHandler

    previous: Any = None

    def handler(mode: Any, context: Any, message: str) -> None:
        if _NOISE in message:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)


def render(spec: ExerciseSpec, screen: tuple[int, int] = SCREEN) -> tuple[np.ndarray, Geometry]:
    """The screen showing this exercise's window, ``[H, W, 3]`` uint8, and its geometry."""
    from PySide6.QtGui import QImage

    from agent.practice.channel import geometry_of
    from app.practice.common import apply_look
    from app.practice.window import PracticeWindow

    app = _app()
    apply_look(app, spec.look)
    window = PracticeWindow(spec)
    try:
        window.setGeometry(spec.look.x, spec.look.y, spec.look.width, spec.look.height)
        window.show()
        for _ in range(5):
            app.processEvents()
        window.kind.settle()
        window.settled = True
        window.publish()
        app.processEvents()
        shot = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
        pixels = np.frombuffer(shot.constBits(), np.uint8, shot.sizeInBytes())
        pixels = pixels.reshape(shot.height(), shot.bytesPerLine())[:, :shot.width() * 3]
        width, height = screen
        canvas = np.zeros((height, width, 3), np.uint8)
        x, y = spec.look.x, spec.look.y
        part = pixels.reshape(shot.height(), shot.width(), 3)[:height - y, :width - x]
        canvas[y:y + part.shape[0], x:x + part.shape[1]] = part
        return canvas, geometry_of(window.document())
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()


def exercises(kinds: Iterable[str], seeds: Iterable[int]) -> Iterator[tuple[ExerciseSpec,
                                                                             np.ndarray,
                                                                             Geometry]]:
    kinds = tuple(kinds)
    for seed in seeds:
        spec = make_exercise(kinds[seed % len(kinds)], seed)
        image, geometry = render(spec)
        yield spec, image, geometry


def actor_example(spec: ExerciseSpec, image: np.ndarray, geometry: Geometry,
                  family: str = "deskhand") -> Example:
    """The prompt the agent gets on this screen, and the solver's first step as the answer."""
    fam = get_family(family)
    monitor = Monitor(0, 0, image.shape[1], image.shape[0])
    prompt = fam.build_prompt(spec.task, [], image, monitor)
    first = solve(spec, geometry)[0]
    target = spec.params.get("target", "")
    reasoning = f"The {target} square." if target else ""
    return Example(prompt.hf_text(), prompt.image,
                   fam.format_action(first, prompt.frame, reasoning))


def critic_examples(spec: ExerciseSpec, image: np.ndarray, geometry: Geometry,
                    rng: random.Random, with_reasoning: bool = False) -> list[Example]:
    """One right and one wrong proposed click on this screen, each with its verdict."""
    monitor = Monitor(0, 0, image.shape[1], image.shape[0])
    (right_name, right), = targets(spec, geometry)[:1]
    others = [b for name, b in geometry.boxes.items()
              if name.startswith("swatch:") and name != right_name]
    wrong = rng.choice(others)
    out = []
    for box, label in ((right, 1.0), (wrong, 0.0)):
        prompt = build_critic_prompt(spec.task, image, monitor, Click(*box.center), "",
                                     with_reasoning=with_reasoning)
        out.append(Example(prompt.hf_text(), prompt.image,
                           format_verdict(label, "", with_reasoning)))
    return out
