"""Start the practice desktop: a QApplication, the look of the exercise, the window.

The one design choice a reader must know: the look (Fusion style, palette, font size) is set
on the whole application before any widget exists, so every exercise window, dialog and popup
shares it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from agent.practice.spec import ExerciseSpec


def run_practice(spec: ExerciseSpec, state_file: Path | None = None,
                 solution_file: Path | None = None, argv: list[str] | None = None) -> int:
    """Show the exercise's window and run the event loop until it is closed.

    ``solution_file``: once the window is placed, write ``solve``'s plan there as a replay
    file (JSONL actions) for ``deskhand run --policy replay:FILE``."""
    from PySide6.QtWidgets import QApplication

    from app.practice.common import apply_look
    from app.practice.window import PracticeWindow, PressRecorder

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Deskhand practice")
    apply_look(app, spec.look)
    window = PracticeWindow(spec, state_file, solution_file)
    recorder = PressRecorder(window)
    app.installEventFilter(recorder)
    window.show()
    try:
        return int(app.exec())
    finally:
        app.removeEventFilter(recorder)
