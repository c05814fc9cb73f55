"""Getting out of the way: while the agent looks at or acts on the screen, the main window
steps aside for the always-on-top panel (``app.gui.panel``), and before a pointer action the
target is marked on the real screen (``app.gui.overlay``); the window comes back whenever the
person is asked something, and the panel carries Stop, Resume and "I'm done" meanwhile.

The one design choice a reader must know: ``before_capture`` and ``mark`` are called on the
episode thread and do their widget work through ``UiInvoker.call`` (the UI thread, waited
for), so a screenshot never shows Deskhand and the marker is gone before the click.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from agent.screen import Rect
from app.gui.chat.worker import UiInvoker
from models.actions import Action, points


class Aside(QObject):
    """The panel, the target marker and the main window's moves for one chat page."""

    stop_clicked = Signal()
    resume_clicked = Signal()
    done_clicked = Signal()

    def __init__(self, page: QWidget, options: Any, marker_seconds: Callable[[], float],
                 wait: Callable[[float], object]) -> None:
        super().__init__(page)
        self.page, self.options = page, options
        self.marker_seconds = marker_seconds  # the config's, read at each mark
        self.wait = wait  # sleeps on the episode's stop token
        self.running = False
        self.taking_over = False  # the person does a step: the panel stays
        self._panel: Any = None
        self._overlay: Any = None
        self._ui = UiInvoker(self)

    # -- the pieces -----------------------------------------------------------------------
    def panel(self) -> Any:
        """The agent panel (made on first use), or None when the options have none."""
        if not (self.options.show_panel and self.options.move_aside):
            return None
        if self._panel is None:
            from app.gui.panel import AgentPanel

            self._panel = AgentPanel()
            self._panel.stop_clicked.connect(self.stop_clicked)
            self._panel.show_clicked.connect(self.come_back)
            self._panel.done_clicked.connect(self.done_clicked)
            self._panel.resume_clicked.connect(self.resume_clicked)
        return self._panel

    def shown_panel(self) -> Any:
        """The panel if it was ever made (never makes one)."""
        return self._panel

    def overlay(self) -> Any:
        if self._overlay is None:
            from app.gui.overlay import TargetOverlay

            self._overlay = TargetOverlay()
        return self._overlay

    def own_rects(self) -> tuple[Rect, ...]:
        """Deskhand's windows that stay on screen while the agent acts (the panel)."""
        panel = self.panel()
        if panel is None:
            return ()
        panel.place()
        return (panel.screen_rect(),)

    def close(self) -> None:
        """The page is going: the panel and the marker go with it, now (not whenever the
        garbage collector gets to them)."""
        widgets, self._panel, self._overlay = (self._panel, self._overlay), None, None
        for widget in widgets:
            if widget is not None:
                widget.close()
                widget.deleteLater()

    # -- the episode thread's hooks -------------------------------------------------------
    def before_capture(self) -> None:
        self._ui.call(self.move_aside)

    def mark(self, action: Action) -> None:
        """Just before acting: out of the way, the target shown for a moment, then hidden."""
        self._ui.call(self.move_aside)  # the window may be back from asking the person
        seconds = self.options.target_marker_s
        if seconds is None:
            seconds = self.marker_seconds()
        if seconds <= 0 or not points(action):
            return
        shown: list[bool] = []
        self._ui.call(lambda: shown.append(self.overlay().show_target(action)))
        if shown and shown[0]:
            self.wait(seconds)
            self._ui.call(self.overlay().hide_target)

    # -- moving (UI thread) ---------------------------------------------------------------
    def move_aside(self) -> None:
        if not self.options.move_aside or not self.running:
            return
        window = self.page.window()
        if window is not self.page and window.isVisible():
            window.hide()
        panel = self.panel()
        if panel is not None and not panel.isVisible():
            panel.show()
            panel.raise_()
        QTimer.singleShot(0, lambda: None)

    def come_back(self) -> None:
        if not self.options.move_aside:
            return
        window = self.page.window()
        if window is not self.page and not window.isVisible():
            window.showNormal()
            window.raise_()
            window.activateWindow()
        if self._panel is not None and not self.taking_over:
            self._panel.hide()

    def show_paused(self, on: bool) -> None:
        """Resume on the panel while the person's input pauses the agent; the panel shows
        wherever the person is."""
        panel = self.panel() if on and self.running else self._panel
        if panel is not None:
            panel.set_paused(on)
            if on and not panel.isVisible():
                panel.show()

    def set_takeover(self, on: bool) -> None:
        self.taking_over = on
        if self._panel is not None:
            self._panel.set_takeover(on)
        if on:
            self.move_aside()

    def episode_ended(self) -> None:
        self.running = False
        if self._panel is not None:
            self._panel.hide()
        self.come_back()
