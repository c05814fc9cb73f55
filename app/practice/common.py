"""What every exercise's widgets share: the ``Kind`` base, geometry in screen pixels, themes.

The one design choice a reader must know: a widget's box is taken with ``mapToGlobal``, i.e.
in virtual-screen pixels, the frame xdotool, pyautogui and the actuator use, and a widget is
named (``practice_name`` property) so a mouse press can be attributed to it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from PySide6.QtCore import QObject, QPoint, QRect, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from agent.practice.spec import Box, ExerciseSpec, Geometry, Look

NAME_PROPERTY = "practice_name"
W = TypeVar("W", bound=QWidget)


def box_of(widget: QWidget, rect: QRect | None = None) -> Box:
    """The box of ``rect`` (default: the whole widget) in virtual-screen pixels."""
    r = rect if rect is not None else widget.rect()
    top_left = widget.mapToGlobal(r.topLeft())
    return Box(top_left.x(), top_left.y(), r.width(), r.height())


def name(widget: W, practice_name: str) -> W:
    """Give a widget its geometry name (used for boxes and for attributing presses)."""
    widget.setProperty(NAME_PROPERTY, practice_name)
    return widget


class GeometryBuilder:
    """Collects boxes and numbers while a kind describes its widgets."""

    def __init__(self) -> None:
        self.boxes: dict[str, Box] = {}
        self.numbers: dict[str, int] = {}

    def widget(self, widget: QWidget, practice_name: str | None = None) -> None:
        key = practice_name or str(widget.property(NAME_PROPERTY))
        if widget.isVisible():
            self.boxes[key] = box_of(widget)

    def box(self, key: str, box: Box) -> None:
        self.boxes[key] = box

    def number(self, key: str, value: int) -> None:
        self.numbers[key] = int(value)

    def build(self) -> Geometry:
        return Geometry(dict(self.boxes), dict(self.numbers))


class Kind(QObject):
    """One exercise kind's widgets. ``changed`` fires whenever state or geometry changes."""

    changed = Signal()
    fills = False  # True: the content takes all the height (an editor, a list)

    def __init__(self, spec: ExerciseSpec, window: QMainWindow) -> None:
        super().__init__(window)
        self.spec = spec
        self.window = window
        self.params: dict[str, Any] = spec.params

    def build(self) -> QWidget:
        """The exercise's content, put under the task sentence."""
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self, geometry: GeometryBuilder) -> None:
        raise NotImplementedError

    def settle(self) -> None:
        """Called once the window is shown and placed (open a dialog, measure popups)."""


def global_point(widget: QWidget, point: QPoint) -> tuple[int, int]:
    p = widget.mapToGlobal(point)
    return p.x(), p.y()


_DARK = {
    QPalette.ColorRole.Window: "#2b2d31", QPalette.ColorRole.WindowText: "#e8e8ea",
    QPalette.ColorRole.Base: "#1e1f22", QPalette.ColorRole.AlternateBase: "#26282c",
    QPalette.ColorRole.Text: "#e8e8ea", QPalette.ColorRole.Button: "#3a3d43",
    QPalette.ColorRole.ButtonText: "#f0f0f2", QPalette.ColorRole.Highlight: "#4c8bf5",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#3a3d43",
    QPalette.ColorRole.ToolTipText: "#f0f0f2", QPalette.ColorRole.PlaceholderText: "#8c8f96",
    QPalette.ColorRole.Mid: "#4a4d54", QPalette.ColorRole.Dark: "#191a1d",
}
_LIGHT = {
    QPalette.ColorRole.Window: "#f3f3f5", QPalette.ColorRole.WindowText: "#1d1d20",
    QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f6f7f9",
    QPalette.ColorRole.Text: "#1d1d20", QPalette.ColorRole.Button: "#e7e8eb",
    QPalette.ColorRole.ButtonText: "#1d1d20", QPalette.ColorRole.Highlight: "#2f6fde",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.PlaceholderText: "#8a8d93",
}


def apply_look(app: QApplication, look: Look) -> None:
    """Fusion style, the light or dark palette and the font size of the exercise."""
    app.setStyle("Fusion")
    palette = app.style().standardPalette()
    for role, color in (_DARK if look.theme == "dark" else _LIGHT).items():
        palette.setColor(role, QColor(color))
    app.setPalette(palette)
    font = QFont(app.font())
    font.setPointSize(look.font_pt)
    app.setFont(font)
