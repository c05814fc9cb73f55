"""The tray icon: show the window, start or stop the agent, the last run's status, and
whether closing the window keeps Deskhand running (so the app's schedule keeps going).

The menu and its actions exist whether or not the desktop has a tray: offscreen, under a bare
Xvfb or a desktop without a status area ``QSystemTrayIcon.isSystemTrayAvailable()`` is false,
then no icon is shown, ``notify`` falls back to the ``message`` signal (the main window shows
it as a banner), and ``keep_running()`` is false — a window closed with no tray to reopen it
from must quit the app. The main window connects the hooks: ``start_requested``,
``stop_requested``, ``show_requested``, ``quit_requested``.

The "keep running" choice is a preference of this app, not of the agent, so it lives in
``app.ini`` beside config.toml (QSettings, INI format) rather than in the strict config.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from agent.paths import Paths

KEEP_KEY = "tray/keep_running"


def app_icon() -> QIcon:
    """A drawn icon (no resource files): a blue rounded square with a white D."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#2f6fdf"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRectF(4, 4, 56, 56), 12, 12)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(38)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(4, 2, 56, 56), Qt.AlignmentFlag.AlignCenter, "D")
    painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    show_requested = Signal()
    start_requested = Signal()
    stop_requested = Signal()
    quit_requested = Signal()
    message = Signal(str, str)  # (title, text) when there is no tray to show it

    def __init__(self, paths: Paths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = QSettings(str(paths.config_dir / "app.ini"), QSettings.Format.IniFormat)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.menu = QMenu()
        self.show_action = self._action("&Show Deskhand", self.show_requested.emit)
        self.menu.addSeparator()
        self.start_action = self._action("S&tart a task…", self.start_requested.emit)
        self.stop_action = self._action("St&op the agent", self.stop_requested.emit)
        self.status_action = self.menu.addAction("No run yet")
        self.status_action.setEnabled(False)
        self.menu.addSeparator()
        self.keep_action = self._action("&Keep running in the tray when the window is closed",
                                        self._keep_toggled)
        self.keep_action.setCheckable(True)
        self.keep_action.setChecked(self._stored_keep())
        if not self.available:
            self.keep_action.setEnabled(False)
            self.keep_action.setToolTip("This desktop has no system tray to reopen it from")
        self.menu.addSeparator()
        self.quit_action = self._action("&Quit Deskhand", self.quit_requested.emit)
        self.icon: QSystemTrayIcon | None = None
        if self.available:
            self.icon = QSystemTrayIcon(app_icon(), self)
            self.icon.setContextMenu(self.menu)
            self.icon.setToolTip("Deskhand")
            self.icon.activated.connect(self._activated)
            self.icon.show()
        self.set_running(False)

    def _action(self, text: str, slot: object) -> QAction:
        action = self.menu.addAction(text)
        action.triggered.connect(slot)
        return action

    def _stored_keep(self) -> bool:
        value = self.settings.value(KEEP_KEY, False)
        return value in (True, "true", "1", 1)

    def _keep_toggled(self, checked: bool = False) -> None:
        self.settings.setValue(KEEP_KEY, bool(self.keep_action.isChecked()))
        self.settings.sync()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()

    def keep_running(self) -> bool:
        """Whether closing the main window should hide it rather than quit."""
        return self.available and self.keep_action.isChecked()

    def set_running(self, running: bool, step: str = "") -> None:
        """The agent started or stopped: Start and Stop swap, the tooltip follows."""
        self.start_action.setEnabled(not running)
        self.stop_action.setEnabled(running)
        if self.icon is not None:
            self.icon.setToolTip(f"Deskhand — running: {step}" if running and step else
                                 "Deskhand — running" if running else "Deskhand")

    def set_last_status(self, text: str) -> None:
        """The last run's status, e.g. "Last episode: done — 'rename the file' (4 steps)"."""
        self.status_action.setText(text)
        self.status_action.setToolTip(text)

    def notify(self, title: str, text: str) -> None:
        """A tray message where there is a tray; else the ``message`` signal."""
        if self.icon is not None and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        else:
            self.message.emit(title, text)

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()
