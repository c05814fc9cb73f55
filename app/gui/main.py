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


STORE_EXIT = 2


def start_app(state: CliState, argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from agent.store.engine import StoreError

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(
        argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Deskhand")
    try:
        window, db = build_window(state)
    except StoreError as exc:  # a damaged database: one message, the backups, the repair
        _cannot_start(str(exc))
        return STORE_EXIT
    try:
        window.show()
        return int(app.exec())
    finally:
        db.close()


def _cannot_start(message: str) -> None:
    """Say why the app cannot start: on stderr, and in a dialog on a real screen."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QMessageBox

    print(f"error: {message}", file=sys.stderr, flush=True)
    if QGuiApplication.platformName() not in ("offscreen", "minimal"):
        QMessageBox.critical(None, "Deskhand cannot start", message)


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
