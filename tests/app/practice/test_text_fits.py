"""The practice desktop shows every text whole at its own size: the task sentence, each
widget's words, and the verdict line under the exercise, however long (it wraps)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from agent.practice.generators import make_exercise
from agent.practice.spec import KINDS, ExerciseSpec
from app.practice.common import apply_look
from app.practice.window import PracticeWindow
from tests.app.gui.readback import problems, shown_text, words


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize("kind", KINDS)
def test_every_text_of_the_exercise_fits(qtbot: QtBot, tmp_path: Path, kind: str,
                                         seed: int) -> None:
    spec = make_exercise(kind, seed)
    window = _shown(qtbot, tmp_path, spec)
    qtbot.wait(100)
    verdict = shown_text(window.verdict_label)
    assert verdict.startswith("Not solved yet — ") and len(words(verdict)) > 20
    assert problems(window) == []


def test_a_long_verdict_wraps_and_never_moves_the_exercise(qtbot: QtBot, tmp_path: Path) -> None:
    """A verdict quoting a long value with no spaces (a typed string, a path) wraps inside the
    window: the window keeps its size and every widget its place, so clicks planned on the
    first screenshot still land."""
    from PySide6.QtWidgets import QLineEdit, QPushButton

    spec = make_exercise("form", 3)
    window = _shown(qtbot, tmp_path, spec)
    size, boxes = window.size(), window.document()["geometry"]["boxes"]
    window.findChildren(QLineEdit)[0].setText("me0agent0" * 20)
    button = next(b for b in window.findChildren(QPushButton)
                  if b.text() == spec.params["submit"])
    button.click()
    qtbot.waitUntil(lambda: "submitted" in shown_text(window.verdict_label), timeout=5_000)
    qtbot.wait(100)
    assert window.size() == size
    assert window.document()["geometry"]["boxes"] == boxes
    assert problems(window) == []


def _shown(qtbot: QtBot, tmp_path: Path, spec: ExerciseSpec) -> PracticeWindow:
    """The exercise's window in its look, shown and settled (its geometry published)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_look(app, spec.look)
    window = PracticeWindow(spec, tmp_path / "state.json")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.settled and window.seq > 0, timeout=10_000)
    return window

