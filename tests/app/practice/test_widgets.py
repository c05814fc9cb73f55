"""The practice widgets (offscreen Qt) report their state, geometry and verdict truthfully."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QLineEdit, QPushButton
from pytestqt.qtbot import QtBot
from typer.testing import CliRunner

from agent.practice.generators import make_exercise
from agent.practice.spec import KINDS
from app.cli import cli
from app.practice.common import apply_look
from app.practice.kinds_basic import ComboKind, SliderKind
from app.practice.kinds_more import DialogKind, EditorKind, MenuKind, ScrollListKind
from app.practice.window import PracticeWindow, PressRecorder


@pytest.fixture
def open_window(qtbot: QtBot, tmp_path: Path) -> Iterator[object]:
    def start(kind: str, seed: int) -> PracticeWindow:
        spec = make_exercise(kind, seed)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        apply_look(app, spec.look)
        window = PracticeWindow(spec, tmp_path / f"{kind}.json")
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.settled and window.seq > 0, timeout=10_000)
        return window

    yield start


def _state(window: PracticeWindow) -> dict[str, object]:
    assert window.state_file is not None
    return json.loads(window.state_file.read_text(encoding="utf-8"))


def _newer(qtbot: QtBot, window: PracticeWindow) -> dict[str, object]:
    seen = window.seq
    qtbot.waitUntil(lambda: window.seq > seen, timeout=5_000)
    return _state(window)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_starts_unsolved_with_its_targets_on_screen(open_window, kind: str) -> None:
    window = open_window(kind, 5)
    doc = _state(window)
    assert doc["solved"] is False and doc["spec"] == window.spec.to_json()
    assert doc["window"]["title"] == window.spec.title
    wx, wy, ww, wh = doc["window"]["box"]
    assert ww <= 1366 and wh <= 768
    assert doc["targets"], "the learner's click reward needs target boxes"
    for name, (x, y, w, h) in doc["targets"].items():
        assert w > 0 and h > 0, name
        if not name.startswith(("list_item:", "menu_item:", "combo_item:")):
            assert wx <= x and x + w <= wx + ww and wy <= y and y + h <= wy + wh, name


def test_button_clicks_are_reported_and_judged(open_window, qtbot: QtBot) -> None:
    window = open_window("button", 2)
    target = window.spec.params["target"]
    buttons = {b.text(): b for b in window.findChildren(QPushButton)}
    qtbot.mouseClick(buttons[target], Qt.MouseButton.LeftButton)
    doc = _newer(qtbot, window)
    assert doc["state"] == {"clicked": [target]} and doc["solved"] is True
    assert "✓ Solved" in window.verdict_label.text()
    wrong = next(b for b in buttons if b != target)
    qtbot.mouseClick(buttons[wrong], Qt.MouseButton.LeftButton)
    assert _newer(qtbot, window)["solved"] is False


def test_swatch_squares_are_told_apart_by_colour_alone(open_window, qtbot: QtBot) -> None:
    window = open_window("swatch", 5)
    colours = window.spec.params["colours"]
    squares = [b for b in window.findChildren(QPushButton) if b.accessibleName()]
    assert [b.accessibleName() for b in squares] == [f"{c} square" for c in colours]
    assert all(b.text() == "" for b in squares)  # no words to read: colour is the answer
    doc = _state(window)
    boxes = [doc["geometry"]["boxes"][f"swatch:{c}"] for c in colours]  # type: ignore[index]
    again = open_window("swatch", 6)  # another exercise: the same places
    other = _state(again)["geometry"]["boxes"]  # type: ignore[index]
    assert sorted(tuple(b) for b in other.values()) == sorted(tuple(b) for b in boxes)
    target = colours.index(window.spec.params["target"])
    qtbot.mouseClick(squares[target], Qt.MouseButton.LeftButton)
    assert _newer(qtbot, window)["solved"] is True
    qtbot.mouseClick(squares[(target + 1) % len(squares)], Qt.MouseButton.LeftButton)
    assert _newer(qtbot, window)["solved"] is False  # a wrong square after it fails it


def test_lamp_squares_sit_where_the_swatch_squares_do(open_window, qtbot: QtBot) -> None:
    lamp = open_window("lamp", 3)
    swatch = open_window("swatch", 3)
    places = [sorted(tuple(b) for k, b in _state(w)["geometry"]["boxes"].items()  # type: ignore[index]
                     if k.startswith("swatch:")) for w in (lamp, swatch)]
    assert places[0] == places[1]
    target = lamp.spec.params["target"]
    assert lamp.kind.lamp.accessibleName() == f"lamp, lit {target}"
    qtbot.mouseClick(lamp.kind.squares[target], Qt.MouseButton.LeftButton)
    assert _newer(qtbot, lamp)["solved"] is True


def test_form_reports_values_and_the_submitted_ones(open_window, qtbot: QtBot) -> None:
    window = open_window("form", 3)
    fields = window.spec.params["fields"]
    edits = window.findChildren(QLineEdit)
    assert len(edits) == len(fields)
    for edit, value in zip(edits, fields.values(), strict=True):
        edit.setText(value)
    doc = _newer(qtbot, window)
    assert doc["state"]["values"] == fields and doc["state"]["submitted"] is None
    submit = next(b for b in window.findChildren(QPushButton)
                  if b.text() == window.spec.params["submit"])
    qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    assert _newer(qtbot, window)["solved"] is True


def test_checkboxes_report_exactly_what_is_ticked(open_window, qtbot: QtBot) -> None:
    window = open_window("checkboxes", 4)
    for box in window.findChildren(QCheckBox):
        box.setChecked(box.text() in window.spec.params["targets"])
    doc = _newer(qtbot, window)
    assert doc["state"]["checked"] == window.spec.params["targets"] and doc["solved"]


def test_combo_menu_slider_dialog_editor_list_state(open_window, qtbot: QtBot) -> None:
    combo = open_window("combo", 1)
    kind = combo.kind
    assert isinstance(kind, ComboKind)
    kind.combo.setCurrentText(combo.spec.params["target"])
    assert _newer(qtbot, combo)["solved"]

    menu = open_window("menu", 1)
    assert isinstance(menu.kind, MenuKind)
    title, item = menu.spec.params["target"]
    next(a for a in menu.kind.menus[title].actions() if a.text() == item).trigger()
    assert _newer(qtbot, menu)["state"] == {"chosen": [f"{title}/{item}"]}

    slider = open_window("slider", 1)
    assert isinstance(slider.kind, SliderKind)
    slider.kind.slider.setValue(slider.spec.params["target"])
    doc = _newer(qtbot, slider)
    assert doc["solved"] and f"slider_x:{slider.spec.params['target']}" in doc["geometry"][
        "numbers"]

    dialog = open_window("dialog", 1)
    assert isinstance(dialog.kind, DialogKind) and dialog.kind.dialog.isVisible()
    dialog.kind.buttons[dialog.spec.params["target"]].click()
    doc = _newer(qtbot, dialog)
    assert doc["solved"] and not dialog.kind.dialog.isVisible()

    editor = open_window("editor", 1)
    assert isinstance(editor.kind, EditorKind)
    editor.kind.editor.setPlainText(editor.spec.params["text"])
    assert _newer(qtbot, editor)["state"]["saved"] is None
    editor.kind.save_button.click()
    assert _newer(qtbot, editor)["solved"]

    listed = open_window("scroll_list", 1)
    assert isinstance(listed.kind, ScrollListKind)
    before = _state(listed)["geometry"]
    listed.kind.list.verticalScrollBar().setValue(5)
    after = _newer(qtbot, listed)["geometry"]
    assert after["numbers"]["list_scroll"] == 5
    first = listed.spec.params["items"][6]
    pitch = after["numbers"]["list_row_height"]
    assert after["boxes"][f"list_item:{first}"][1] == before["boxes"][
        f"list_item:{first}"][1] - 5 * pitch


def test_presses_are_attributed_to_the_named_widget(open_window, qtbot: QtBot) -> None:
    window = open_window("form", 6)
    app = QApplication.instance()
    recorder = PressRecorder(window)
    app.installEventFilter(recorder)
    try:
        edit = window.findChildren(QLineEdit)[1]
        qtbot.mouseClick(edit, Qt.MouseButton.LeftButton, pos=QPoint(7, 5))
        press = _newer(qtbot, window)["last_press"]
    finally:
        app.removeEventFilter(recorder)
    corner = edit.mapToGlobal(QPoint(7, 5))
    assert press == {"widget": str(edit.property("practice_name")), "local": [7, 5],
                     "global": [corner.x(), corner.y()]}


def test_practice_command_lists_kinds_and_rejects_unknown_ones(tmp_path: Path) -> None:
    home = ["--home", str(tmp_path / "home")]
    listed = CliRunner().invoke(cli, [*home, "practice", "--list"])
    assert listed.exit_code == 0, listed.output
    for kind in KINDS:
        assert kind in listed.output
    assert make_exercise("button", 0).task in listed.output
    bad = CliRunner().invoke(cli, [*home, "practice", "--exercise", "juggle"])
    assert bad.exit_code == 2 and "unknown exercise 'juggle'" in bad.output

