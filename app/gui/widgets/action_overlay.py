"""Draw a proposed action on its screenshot: a crosshair for a click, an arrow for a drag, a
wheel arrow for a scroll, the text to be typed or the keys to be pressed in a caption.

Used by the chat's step cards and review view and by the history page. The one design choice
a reader must know: actions are in virtual-screen pixels and the image may be any size (the
physical screenshot or a thumbnail), so every point goes through the fraction of the
observation's monitor (``models.frames.Frame``) — the same bridge the agent uses — and
``image_to_screen`` is the exact inverse used when a person clicks the picture to move a
target.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPixmap

from models.actions import Action, Click, Drag, Key, Move, Scroll, Type, describe
from models.frames import Frame, FrameError, Monitor

TARGET = QColor(255, 40, 90)  # bright, and unlike any common UI colour
HALO = QColor(255, 255, 255, 220)


def to_qimage(image: np.ndarray | QImage | QPixmap) -> QImage:
    """An RGB ``[H, W, 3]`` uint8 array (or a Qt image) as a QImage that owns its pixels."""
    if isinstance(image, QPixmap):
        return image.toImage()
    if isinstance(image, QImage):
        return image.copy()
    array = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
    height, width = array.shape[:2]
    return QImage(array.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def _monitor(frame_or_monitor: Frame | Monitor) -> Monitor:
    return frame_or_monitor.monitor if isinstance(frame_or_monitor, Frame) else frame_or_monitor


def screen_to_image(point: tuple[float, float], size: tuple[int, int],
                    frame_or_monitor: Frame | Monitor) -> QPointF:
    """A virtual-screen point → a point of an image ``size`` (width, height) of the monitor.

    Points off the monitor are not clamped (they are drawn off the picture, as they are).
    The exact inverse of ``image_to_screen`` for every pixel of the monitor.
    """
    m = _monitor(frame_or_monitor)
    x, y = point
    return QPointF((x - m.left) / m.width * size[0], (y - m.top) / m.height * size[1])


def image_to_screen(point: tuple[float, float], size: tuple[int, int],
                    frame_or_monitor: Frame | Monitor) -> tuple[int, int]:
    """A point on an image ``size`` (width, height) of the monitor → virtual-screen pixels.

    Raises ``FrameError`` for a point outside the picture.

    >>> image_to_screen((320, 180), (640, 360), Monitor(100, 0, 1280, 720))
    (740, 360)
    """
    frame = Frame(_monitor(frame_or_monitor), size[0], size[1])
    return frame.image_to_screen(*point)


def draw_action(image: np.ndarray | QImage | QPixmap, action: Action | None,
                frame_or_monitor: Frame | Monitor) -> QImage:
    """A copy of ``image`` with ``action`` drawn on it (nothing drawn for ``None``)."""
    out = to_qimage(image).convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    if action is None:
        return out
    size = (out.width(), out.height())
    unit = max(2.0, min(size) / 90.0)  # stroke width: readable on thumbnails and full size
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    try:
        if isinstance(action, (Click, Move)):
            centre = screen_to_image((action.x, action.y), size, frame_or_monitor)
            _crosshair(painter, centre, unit, hollow=isinstance(action, Move))
            if isinstance(action, Click) and (action.count > 1 or action.button != "left"):
                label = ("double " if action.count == 2 else "triple " if action.count == 3
                         else "") + ("" if action.button == "left" else action.button)
                _label(painter, centre + QPointF(unit * 4, -unit * 4), label.strip(), unit)
        elif isinstance(action, Drag):
            start = screen_to_image((action.x, action.y), size, frame_or_monitor)
            end = screen_to_image((action.to_x, action.to_y), size, frame_or_monitor)
            _crosshair(painter, start, unit, hollow=True)
            _arrow(painter, start, end, unit)
        elif isinstance(action, Scroll):
            centre = screen_to_image((action.x, action.y), size, frame_or_monitor)
            _crosshair(painter, centre, unit, hollow=True)
            # dy > 0 scrolls up (content moves down): draw the arrow the way the view moves
            length = unit * 14
            direction = QPointF(action.dx, -action.dy)
            norm = max(1e-6, (direction.x() ** 2 + direction.y() ** 2) ** 0.5)
            end = centre + QPointF(direction.x() / norm * length, direction.y() / norm * length)
            if action.dx or action.dy:
                _arrow(painter, centre, end, unit)
        elif isinstance(action, (Type, Key)):
            _caption(painter, size, describe(action), unit)
        else:
            _caption(painter, size, describe(action), unit)
    finally:
        painter.end()
    return out


def draw_action_pixmap(image: np.ndarray | QImage | QPixmap, action: Action | None,
                       frame_or_monitor: Frame | Monitor) -> QPixmap:
    return QPixmap.fromImage(draw_action(image, action, frame_or_monitor))


def _pens(unit: float) -> tuple[QPen, QPen]:
    halo = QPen(HALO, unit * 2.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    line = QPen(TARGET, unit, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    return halo, line


def _crosshair(painter: QPainter, centre: QPointF, unit: float, hollow: bool = False) -> None:
    radius = unit * 5
    arm = unit * 9
    lines = [QLineF(centre.x() - arm, centre.y(), centre.x() - radius * 0.4, centre.y()),
             QLineF(centre.x() + radius * 0.4, centre.y(), centre.x() + arm, centre.y()),
             QLineF(centre.x(), centre.y() - arm, centre.x(), centre.y() - radius * 0.4),
             QLineF(centre.x(), centre.y() + radius * 0.4, centre.x(), centre.y() + arm)]
    for pen in _pens(unit):
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(centre, radius, radius)
        painter.drawLines(lines)
    if not hollow:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(TARGET)
        painter.drawEllipse(centre, unit * 0.9, unit * 0.9)


def _arrow(painter: QPainter, start: QPointF, end: QPointF, unit: float) -> None:
    line = QLineF(start, end)
    head = QPainterPath()
    if line.length() > 0:
        back = QLineF(end, start)
        back.setLength(unit * 5)
        left, right = QLineF(back), QLineF(back)
        left.setAngle(back.angle() + 28)
        right.setAngle(back.angle() - 28)
        head.moveTo(end)
        head.lineTo(left.p2())
        head.lineTo(right.p2())
        head.closeSubpath()
    for pen in _pens(unit):
        painter.setPen(pen)
        painter.drawLine(line)
    painter.setPen(QPen(HALO, unit * 0.8))
    painter.setBrush(TARGET)
    painter.drawPath(head)


def _font(unit: float) -> QFont:
    font = QFont()
    font.setPixelSize(max(9, int(unit * 5.5)))
    font.setBold(True)
    return font


def _label(painter: QPainter, at: QPointF, text: str, unit: float) -> None:
    if not text:
        return
    painter.setFont(_font(unit))
    metrics = painter.fontMetrics()
    box = QRectF(at.x(), at.y() - metrics.height(), metrics.horizontalAdvance(text) + unit * 3,
                 metrics.height() + unit)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 180))
    painter.drawRoundedRect(box, unit, unit)
    painter.setPen(QColor("white"))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _caption(painter: QPainter, size: tuple[int, int], text: str, unit: float) -> None:
    """A banner along the bottom of the picture, for actions without a point."""
    painter.setFont(_font(unit))
    metrics = painter.fontMetrics()
    height = metrics.height() + unit * 2
    box = QRectF(0, size[1] - height, size[0], height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(20, 20, 30, 200))
    painter.drawRect(box)
    painter.setPen(QColor(255, 220, 120))
    shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(size[0] - unit * 4))
    painter.drawText(box.adjusted(unit * 2, 0, -unit * 2, 0),
                     Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shown)


__all__ = ["FrameError", "draw_action", "draw_action_pixmap", "image_to_screen",
           "screen_to_image", "to_qimage"]
