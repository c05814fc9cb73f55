"""Start the desktop app: open the store (migrating it), then show the main window.

Until the app issue lands the window is a plain status window: it tells the person what the
data folder holds and which commands work today, rather than pretending to be the chat.
"""

from __future__ import annotations

import sys

from app.state import CliState


def start_app(state: CliState, argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from app.gui.window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Deskhand")
    state.paths.ensure()
    summary = store_summary(state)
    window = MainWindow(state.paths, summary)
    window.show()
    return int(app.exec())


def store_summary(state: CliState) -> str:
    """Open the store (migrating it after a backup, marking episodes a crash left running as
    interrupted, sweeping orphan screenshots); a one-line description of what it holds."""
    from agent.store.repo import open_store

    store = open_store(state.paths, state.config.store)
    try:
        interrupted, _swept = store.recover()
        line = f"{len(store.list_episodes())} episode(s) recorded"
        if interrupted:
            line += f"; {interrupted} left running by a crash were marked interrupted"
        return line
    finally:
        store.close()
