"""The target marker: before the agent clicks, a ring on the real screen shows where.

A frameless, always-on-top window over the whole virtual screen that takes no input and no
focus. The one design choice a reader must know: the window is *shaped* to the marker
(``setMask``), so everything but the ring and arrow is truly not there — it stays transparent
on desktops without a compositor (where a translucent full-screen window would paint black),
and it is hidden again before the action runs, so it is never in a screenshot or under a
click.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import (
    QBitmap,
    QColor,
    QGuiApplication,
    QPainter,
    QPaintEvent,
    QPen,
    QRegion,
)
from PySide6.QtWidgets import QWidget

from models.actions import Action, Drag, points

RING = 26  # radius in pixels
COLOUR = QColor(255, 40, 90)


class TargetOverlay(QWidget):
    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint
                         | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowTransparentForInput
                         | Qt.WindowType.WindowDoesNotAcceptFocus
                         | Qt.WindowType.X11BypassWindowManagerHint)
        self.setWindowTitle("Deskhand — target")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.points: list[QPointF] = []
        self.drag = False

    def show_target(self, action: Action) -> bool:
        """Mark the points of ``action`` (virtual-screen pixels); False if it has none."""
        screen = QGuiApplication.primaryScreen()
        pts = points(action)
        if screen is None or not pts:
            return False
        area = screen.virtualGeometry()
        ratio = screen.devicePixelRatio() or 1.0
        self.setGeometry(area)
        self.points = [QPointF(x / ratio - area.x(), y / ratio - area.y()) for x, y in pts]
        self.drag = isinstance(action, Drag)
        self.setMask(self._shape())
        self.show()
        self.raise_()
        self.update()
        return True

    def hide_target(self) -> None:
        self.hide()
        self.points = []

    def _shape(self) -> QRegion:
        bitmap = QBitmap(self.size())
        bitmap.fill(Qt.GlobalColor.color0)
        painter = QPainter(bitmap)
        self._draw(painter, Qt.GlobalColor.color1, Qt.GlobalColor.color1, width=9)
        painter.end()
        return QRegion(bitmap)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._draw(painter, QColor("white"), COLOUR, width=5)
        painter.end()

    def _draw(self, painter: QPainter, halo: QColor | Qt.GlobalColor,
              colour: QColor | Qt.GlobalColor, width: int) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for pen_colour, pen_width in ((halo, width + 4), (colour, width)):
            painter.setPen(QPen(pen_colour, pen_width))
            for point in self.points:
                painter.drawEllipse(point, RING, RING)
                painter.drawLine(point + QPointF(-RING * 1.6, 0), point + QPointF(-RING * 0.5, 0))
                painter.drawLine(point + QPointF(RING * 0.5, 0), point + QPointF(RING * 1.6, 0))
                painter.drawLine(point + QPointF(0, -RING * 1.6), point + QPointF(0, -RING * 0.5))
                painter.drawLine(point + QPointF(0, RING * 0.5), point + QPointF(0, RING * 1.6))
            if self.drag and len(self.points) == 2:
                painter.drawLine(self.points[0], self.points[1])

    def marked_rect(self) -> QRect:
        """The bounding box of what is drawn (for tests and screenshots)."""
        return self.mask().boundingRect()
