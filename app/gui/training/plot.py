"""A small line plot drawn with QPainter (PySide6-Essentials has no QtCharts).

``Plot`` shows one or more named series of plain floats against the step number, with the
y range, the last value of each series and a legend. ``None`` (a non-finite value the trainer
stored as null) leaves a gap instead of a spike to zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

PALETTE = ("#2f6fdf", "#d9622b", "#2c9a5a", "#9b4dca", "#c23b5b")
Series = Sequence[float | None]


def _finite(values: Series) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


class Plot(QWidget):
    """``plot.set_series({"reward": [...], "kl": [...]})``; an empty plot says so."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.series: dict[str, list[float | None]] = {}
        self.empty_text = "no data yet"
        self.setMinimumSize(140, 110)  # four of them fit beside the schedule at 1180 px
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(f"{title} plot")

    def sizeHint(self) -> QSize:
        return QSize(260, 170)

    def set_series(self, series: dict[str, Series], empty_text: str = "no data yet") -> None:
        self.series = {name: list(values) for name, values in series.items()}
        self.empty_text = empty_text
        self.setToolTip("\n".join(f"{n}: last {self._last(v)}" for n, v in self.series.items()))
        self.update()

    @staticmethod
    def _last(values: Series) -> str:
        found = _finite(values)
        return f"{found[-1]:.4g}" if found else "—"

    def y_range(self) -> tuple[float, float] | None:
        """(low, high) over every finite value, padded so a flat line sits mid-plot."""
        values = [v for s in self.series.values() for v in _finite(s)]
        if not values:
            return None
        low, high = min(values), max(values)
        if high - low < 1e-12:
            pad = abs(high) * 0.1 or 1.0
            return low - pad, high + pad
        pad = (high - low) * 0.06
        return low - pad, high + pad

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.base())
        text = pal.text().color()
        metrics = painter.fontMetrics()
        line_h = metrics.height()
        painter.setPen(text)
        labels = [f"{name} {self._last(values)}" for name, values in self.series.items()]
        beside = metrics.horizontalAdvance(labels[0]) + 30 if labels else 0  # the first legend
        room = max(0, self.width() - 16 - beside)
        painter.drawText(QRectF(8, 4, room, line_h), Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, room))
        legend_y = 4.0
        for i, label in enumerate(labels):
            width = metrics.horizontalAdvance(label) + 18
            x = self.width() - 8 - width
            y = legend_y + i * line_h
            color = QColor(PALETTE[i % len(PALETTE)])
            painter.fillRect(QRectF(x, y + line_h / 2 - 2, 12, 4), color)
            painter.setPen(text)
            painter.drawText(QRectF(x + 16, y, width, line_h), Qt.AlignmentFlag.AlignLeft,
                             label)
        top = 8 + line_h * max(1, len(self.series))
        left = 8 + metrics.horizontalAdvance("-0.0000")
        area = QRectF(left, top, self.width() - left - 10, self.height() - top - line_h - 8)
        grid = QColor(text)
        grid.setAlpha(60)
        painter.setPen(QPen(grid, 1))
        painter.drawRect(area)
        y_range = self.y_range()
        if y_range is None or area.width() < 10 or area.height() < 10:
            painter.setPen(text)
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.empty_text)
            painter.end()
            return
        low, high = y_range
        painter.setPen(text)
        for value, y in ((high, area.top()), (low, area.bottom() - line_h)):
            painter.drawText(QRectF(0, y, left - 4, line_h), Qt.AlignmentFlag.AlignRight,
                             f"{value:.3g}")
        steps = max(len(s) for s in self.series.values())
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), line_h),
                         Qt.AlignmentFlag.AlignRight, f"step {steps}")
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), line_h),
                         Qt.AlignmentFlag.AlignLeft, "1")
        for i, values in enumerate(self.series.values()):
            self._draw_line(painter, area, values, steps, low, high,
                            QColor(PALETTE[i % len(PALETTE)]))
        painter.end()

    @staticmethod
    def _draw_line(painter: QPainter, area: QRectF, values: Series, steps: int, low: float,
                   high: float, color: QColor) -> None:
        def point(i: int, v: float) -> QPointF:
            x = area.left() + (area.width() * i / (steps - 1) if steps > 1 else area.width() / 2)
            y = area.bottom() - (v - low) / (high - low) * area.height()
            return QPointF(x, y)

        path = QPainterPath()
        pen_down = False
        single: list[QPointF] = []
        for i, v in enumerate(values):
            if v is None or not math.isfinite(v):
                pen_down = False
                continue
            p = point(i, v)
            if pen_down:
                path.lineTo(p)
            else:
                path.moveTo(p)
                single.append(p)
            pen_down = True
        painter.setPen(QPen(color, 2))
        painter.drawPath(path)
        painter.setBrush(color)
        for p in single:  # a lone point (one step, or after a gap) stays visible
            painter.drawEllipse(p, 2.5, 2.5)
        painter.setBrush(Qt.BrushStyle.NoBrush)
