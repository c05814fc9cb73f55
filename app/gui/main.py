"""Start the desktop app: open the store (migrating it) on the database worker, tidy what a
crash left behind, and show the main window.

The one design choice a reader must know: the UI thread never opens SQLite — ``DbWorker``
opens the store on its own thread (the migration and its backup happen there) and the
start-up housekeeping (``store.recover()``) is its first job; the window reports the result.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from app.state import CliState

if TYPE_CHECKING:
    from app.gui.window import MainWindow
    from app.gui.worker import DbWorker


def start_app(state: CliState, argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(
        argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Deskhand")
    window, db = build_window(state)
    try:
        window.show()
        return int(app.exec())
    finally:
        db.close()


def build_window(state: CliState) -> tuple[MainWindow, DbWorker]:
    """The context, the database worker (with ``recover`` queued) and the main window."""
    from app.gui.context import AppContext
    from app.gui.window import MainWindow
    from app.gui.worker import DbWorker

    state.paths.ensure()
    db = DbWorker(state.paths, state.config.store)
    ctx = AppContext(state.paths, state.config, db, list(state.overrides))
    window = MainWindow(ctx)

    def recovered(result: tuple[int, int]) -> None:
        message = recovered_message(*result)
        if message:
            window.statusBar().showMessage(message, 15_000)

    db.submit(lambda store: store.recover(), on_done=recovered)
    return window, db


def recovered_message(interrupted: int, swept: int) -> str:
    """What start-up housekeeping did, in words ("" when nothing).

    >>> recovered_message(2, 0)
    '2 episode(s) left running by a crash were marked interrupted'
    >>> recovered_message(0, 0)
    ''
    """
    if interrupted:
        return f"{interrupted} episode(s) left running by a crash were marked interrupted"
    return ""
