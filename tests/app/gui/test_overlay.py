"""Drawing actions on screenshots, the on-screen target marker, and the agent panel."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from app.gui.overlay import TargetOverlay
from app.gui.panel import AgentPanel
from app.gui.widgets.action_overlay import (
    TARGET,
    FrameError,
    draw_action,
    image_to_screen,
    screen_to_image,
)
from models.actions import Click, Drag, Scroll, Type
from models.frames import Frame, Monitor

GREY = (128, 128, 128)
pytestmark = pytest.mark.usefixtures("qapp")  # text drawing needs a QGuiApplication


def grey(width: int = 400, height: int = 225) -> np.ndarray:
    return np.full((height, width, 3), GREY, np.uint8)


def is_target(image: QImage, x: int, y: int) -> bool:
    colour = QColor(image.pixel(x, y))
    return abs(colour.red() - TARGET.red()) < 40 and colour.green() < 90 and colour.blue() < 140


def changed(image: QImage, x0: int, y0: int, x1: int, y1: int) -> bool:
    return any(QColor(image.pixel(x, y)).getRgb()[:3] != GREY
               for x in range(x0, x1) for y in range(y0, y1))


def test_a_click_is_drawn_where_it_lands_on_a_monitor_not_at_the_origin() -> None:
    monitor = Monitor(-1600, 100, 1600, 900)  # a left-hand monitor: negative x
    image = draw_action(grey(), Click(-800, 550), monitor)  # its centre
    assert (image.width(), image.height()) == (400, 225)
    assert is_target(image, 200, 112), "the crosshair's centre dot is at the centre"
    assert not changed(image, 0, 0, 40, 40), "the corner is untouched"


def test_the_same_action_lands_on_the_same_spot_at_any_image_size() -> None:
    monitor = Monitor(0, 0, 1920, 1080)
    small = draw_action(grey(192, 108), Click(480, 270), monitor)
    large = draw_action(grey(960, 540), Click(480, 270), monitor)
    assert is_target(small, 48, 27) and is_target(large, 240, 135)


def test_a_drag_draws_an_arrow_between_its_points() -> None:
    monitor = Monitor(0, 0, 400, 225)
    image = draw_action(grey(), Drag(50, 112, 350, 112), monitor)
    assert is_target(image, 200, 112), "the shaft runs through the middle"
    assert changed(image, 340, 100, 360, 125), "and reaches the drop point"
    assert not changed(image, 150, 180, 250, 225)


def test_a_scroll_draws_an_arrow_the_way_the_view_moves() -> None:
    monitor = Monitor(0, 0, 400, 225)
    down = draw_action(grey(), Scroll(200, 112, dy=-3), monitor)
    # the crosshair reaches 22 px up and down; the arrow goes on below it, nothing above
    assert changed(down, 196, 138, 204, 150) and not changed(down, 196, 74, 204, 86)


def test_typed_text_is_written_in_a_caption() -> None:
    image = draw_action(grey(), Type("hello"), Monitor(0, 0, 400, 225))
    assert changed(image, 0, 215, 400, 225), "a banner along the bottom"
    assert not changed(image, 0, 0, 400, 150)


def test_no_action_leaves_the_picture_alone() -> None:
    image = draw_action(grey(), None, Monitor(0, 0, 400, 225))
    assert not changed(image, 0, 0, 400, 225)


def test_image_and_screen_points_are_inverse() -> None:
    monitor = Monitor(1920, -200, 2560, 1440, scale=1.25)
    size = (640, 360)
    for x, y in ((1920, -200), (3200, 520), (4479, 1239)):
        point = screen_to_image((x, y), size, monitor)
        assert image_to_screen((point.x(), point.y()), size, monitor) == (x, y)
    assert image_to_screen((320, 180), size, Frame(monitor, 10, 10)) == (3200, 520)
    with pytest.raises(FrameError):
        image_to_screen((641, 10), size, monitor)


def test_the_target_overlay_marks_only_the_target(qtbot: QtBot) -> None:
    overlay = TargetOverlay()
    qtbot.addWidget(overlay)
    assert overlay.show_target(Click(300, 200))
    origin = overlay.geometry().topLeft()
    box = overlay.marked_rect().translated(origin)  # in screen coordinates
    assert box.contains(300, 200) and box.width() < 200 and box.height() < 200
    assert overlay.mask().contains(QPoint(300 + 26, 200) - origin), "the ring is there"
    assert not overlay.mask().contains(QPoint(300 + 150, 200 + 150) - origin), \
        "elsewhere the window is not there at all"
    overlay.hide_target()
    assert not overlay.show_target(Type("no point")), "nothing to mark for typing"
    assert not overlay.isVisible()


def test_the_panel_sits_in_a_corner_and_reports_its_rectangle(qtbot: QtBot) -> None:
    panel = AgentPanel()
    qtbot.addWidget(panel)
    panel.place()
    panel.show()
    rect = panel.screen_rect()
    assert rect.width >= panel.width() and rect.height >= panel.height()
    screen = panel.screen().availableGeometry()
    assert rect.left > screen.center().x() and rect.top > screen.center().y()
    assert panel.windowTitle().startswith("Deskhand — ")
    panel.set_reasoning("word " * 200)
    assert len(panel.reasoning.text()) < 240
    clicked: list[bool] = []
    panel.stop_clicked.connect(lambda: clicked.append(True))
    panel.stop.click()
    assert clicked == [True]
