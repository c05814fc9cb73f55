"""The main window: a navigation list on the left, the pages on the right, Stop always in
reach.

Pages come from ``app.gui.pages.PAGES`` (built by ``build_page``; Ctrl+1..5 switch to them).
The one design choice a reader must know: Stop belongs to the window, not the chat page —
the Stop button in the status bar and Esc work from every page, and they are the chat page's
own stop (the page's Esc shortcut is switched off here so the key is never ambiguous). On a
first run with no actor model the Models page is shown first (it explains what to do).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QCloseEvent,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.context import AppContext
from app.gui.pages import PAGES, build_page

FIRST_RUN = "No model is set up yet: add one on this page, then give the agent a task (Ctrl+1)."
DEFAULT_SIZE = (1180, 740)  # on a screen with room for it


def has_actor_model(ctx: AppContext) -> bool:
    from models.hub import Catalogue, CatalogueError

    try:
        return Catalogue.load(ctx.paths.models_dir).model_for("actor") is not None
    except CatalogueError:
        return False


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle("Deskhand")
        self.nav = QListWidget()
        self.nav.setFixedWidth(150)
        self.nav.setAccessibleName("Pages")
        self.nav.setStyleSheet("QListWidget { border: none; background: palette(window); "
                               "font-size: 14px; } QListWidget::item { padding: 9px 12px; "
                               "border-radius: 6px; } QListWidget::item:selected { "
                               "background: palette(highlight); "
                               "color: palette(highlighted-text); }")
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        for number, spec in enumerate(PAGES, start=1):
            page = build_page(spec, ctx)
            self.pages[spec.key] = page
            self.stack.addWidget(page)
            self.nav.addItem(f"{spec.title}")
            self.nav.item(number - 1).setToolTip(f"{spec.title} (Ctrl+{number})")
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
            shortcut.activated.connect(lambda key=spec.key: self.show_page(key))
        self.nav.currentRowChanged.connect(self._row_changed)
        right = QVBoxLayout()
        right.setContentsMargins(0, 6, 6, 0)
        right.addWidget(self.stack, 1)
        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(6, 6, 0, 0)
        row.addWidget(self.nav)
        row.addLayout(right, 1)
        self.setCentralWidget(body)
        self.stop_button = QPushButton("■ Stop  (Esc)")
        self.stop_button.setToolTip("Stop the agent now — from any page (Esc; anywhere on the "
                                    f"screen: {ctx.config.control.stop_hotkey})")
        self.stop_button.setStyleSheet("QPushButton:enabled { background: #c62828; color: white;"
                                       " font-weight: bold; padding: 3px 14px; }")
        bold = QFont(self.stop_button.font())
        bold.setBold(True)  # measured in the bold face the enabled style uses, or it clips
        self.stop_button.setMinimumWidth(
            QFontMetrics(bold).horizontalAdvance(self.stop_button.text()) + 48)
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.statusBar().addPermanentWidget(self.stop_button)
        self.stop_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.stop_shortcut.activated.connect(self.stop)
        chat = self.chat
        if chat is not None:
            chat.stop_shortcut.setEnabled(False)
            chat.stop_button.hide()  # the window's Stop, always visible, is the one
            chat.running_changed.connect(self._running)
        self._size()
        self._connect_pages()
        self.first_run_check()

    @property
    def chat(self) -> Any:
        page = self.pages.get("chat")
        return page if hasattr(page, "stop_shortcut") else None

    def show_page(self, key: str) -> None:
        keys = [spec.key for spec in PAGES]
        self.nav.setCurrentRow(keys.index(key))

    def current_key(self) -> str:
        return PAGES[self.stack.currentIndex()].key

    def stop(self) -> None:
        if self.chat is not None:
            self.chat.stop()

    def first_run_check(self) -> None:
        """No actor model yet: show the Models page first (it says why and offers the ways
        to add one); the status bar says it too."""
        if has_actor_model(self.ctx):
            self.show_page("chat")
        else:
            self.show_page("models")
            self.statusBar().showMessage(FIRST_RUN, 0)

    def _connect_pages(self) -> None:
        """The tray, and what one page tells the others (a model added, a run finished)."""
        from app.gui.tray import Tray

        self.tray = Tray(self.ctx.paths, self)
        self.tray.show_requested.connect(self.bring_back)
        self.tray.stop_requested.connect(self.stop)
        self.tray.start_requested.connect(lambda: (self.bring_back(), self.show_page("chat")))
        self.tray.quit_requested.connect(self.quit)
        self.tray.message.connect(lambda title, text: self.statusBar().showMessage(
            f"{title}: {text}", 15_000))
        models = self.pages.get("models")
        if hasattr(models, "model_changed"):
            models.model_changed.connect(self._model_changed)
        training = self.pages.get("training")
        if hasattr(training, "run_finished"):
            training.run_finished.connect(lambda text: (
                self.tray.notify("Training finished", text), self.tray.set_last_status(text)))
        if self.chat is not None:
            self.chat.running_changed.connect(self.tray.set_running)
            self.chat.show_in_history.connect(self.show_in_history)

    def show_in_history(self, episode_id: int) -> None:
        """The History page, with that episode selected (a chat link)."""
        history: Any = self.pages.get("history")
        if hasattr(history, "show_episode"):
            history.show_episode(episode_id)
            self.show_page("history")

    def _model_changed(self) -> None:
        if has_actor_model(self.ctx) and self.statusBar().currentMessage() == FIRST_RUN:
            self.statusBar().clearMessage()

    def bring_back(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def quit(self) -> None:
        self._quitting = True
        self.close()

    def _row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        page = self.stack.currentWidget()
        if page is not None:
            page.setFocus(Qt.FocusReason.OtherFocusReason)

    def _running(self, on: bool) -> None:
        self.stop_button.setEnabled(on)
        self.statusBar().showMessage("The agent is running — Esc stops it" if on else "", 0)

    def _size(self) -> None:
        screen = QGuiApplication.primaryScreen()
        width, height = DEFAULT_SIZE
        if screen is not None:
            area = screen.availableGeometry()
            width, height = min(width, area.width() - 40), min(height, area.height() - 40)
        self.resize(width, height)
        self.setMinimumSize(760, 520)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not getattr(self, "_quitting", False) and self.tray.keep_running():
            self.hide()  # the tray keeps the app (and its schedule) alive
            self.tray.notify("Deskhand keeps running", "Open it again from the tray icon.")
            event.ignore()
            return
        self.tray.hide()
        for page in self.pages.values():
            shutdown = getattr(page, "shutdown", None)
            if callable(shutdown):
                shutdown()
        super().closeEvent(event)
