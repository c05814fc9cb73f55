"""The Settings page: bad values are named by their field and nothing is saved; a good save
round-trips through ``load_config`` and keeps the tables the page does not own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from agent.screen import CaptureMasks, Rect
from agent.store.redact import ExportConfig
from app.config import load_config
from app.gui.context import AppContext
from app.gui.settings_page import SettingsPage
from app.gui.worker import DbWorker

HAND_WRITTEN = """\
[store]
keep_backups = 9

[learner.gate]
min_holdout = 7

[safety]
max_steps = 40
"""


@pytest.fixture
def ctx(home: Paths) -> Iterator[AppContext]:
    home.config_file.write_text(HAND_WRITTEN, encoding="utf-8")
    config = load_config(home.config_file)
    worker = DbWorker(home, config.store)
    yield AppContext(home, config, worker)
    worker.close()


def test_the_page_shows_the_running_config(qtbot: QtBot, ctx: AppContext) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    assert page.by_key["safety.max_steps"].widget.value() == 40  # type: ignore[attr-defined]
    assert page.by_key["control.stop_hotkey"].value() == "<ctrl>+<alt>+<esc>"


@pytest.mark.parametrize(("key", "bad", "said"), [
    ("control.stop_hotkey", "<ctrl>+<hyperspace>", "hyperspace"),
    ("safety.deny_text", ("rm -rf", "(unclosed"), "not a valid regular expression"),
    ("safety.max_steps", 0, "max_steps must be an integer >= 1"),
    ("safety.max_minutes", 0.0, "max_minutes must be a positive number"),
])
def test_an_invalid_value_is_named_by_its_field_and_nothing_is_saved(
        qtbot: QtBot, ctx: AppContext, key: str, bad: object, said: str) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.by_key["safety.deny_titles"].set_value(("Bank",))  # a good change alongside
    page.by_key[key].set_value(bad)
    assert page.save() is False
    field = page.by_key[key]
    assert field.error.isVisibleTo(page) and said in field.error.text()
    others = [f for f in page.fields if f.key != key and f.error.isVisibleTo(page)]
    assert others == [], "only the offending field carries a message"
    assert ctx.paths.config_file.read_text(encoding="utf-8") == HAND_WRITTEN
    assert ctx.config.safety.deny_titles == ()


def test_a_valid_save_round_trips_and_keeps_other_tables(qtbot: QtBot, ctx: AppContext) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    emitted: list[object] = []
    page.config_changed.connect(emitted.append)
    page.by_key["control.stop_hotkey"].set_value("<ctrl>+<shift>+q")
    page.by_key["safety.deny_apps"].set_value(("keepassxc", "re:^bank"))
    page.by_key["safety.deny_titles"].set_value(("Online Banking",))
    page.by_key["safety.deny_text"].set_value((r"rm\s+-rf",))
    page.by_key["agent.monitor"].set_value(0)
    page.by_key["safety.max_steps"].set_value(50)  # the default, but the file said 40
    page.by_key["safety.max_minutes"].set_value(12.5)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)
    qtbot.keyClick(page, Qt.Key.Key_S, modifier=Qt.KeyboardModifier.ControlModifier)
    assert "Saved" in page.status.text()
    loaded = load_config(ctx.paths.config_file)
    assert loaded.control.stop_hotkey == "<ctrl>+<shift>+q"
    assert loaded.safety.deny_apps == ("keepassxc", "re:^bank")
    assert loaded.safety.deny_titles == ("Online Banking",)
    assert loaded.safety.deny_text == (r"rm\s+-rf",)
    assert (loaded.agent.monitor, loaded.safety.max_steps, loaded.safety.max_minutes) == (
        0, 50, 12.5)
    assert loaded.store.keep_backups == 9 and loaded.learner.gate.min_holdout == 7
    assert ctx.config == loaded and emitted == [loaded], "the running app has the new config"
    assert "[agent]" in ctx.paths.config_file.read_text(encoding="utf-8")
    assert "stall_repeats" not in ctx.paths.config_file.read_text(encoding="utf-8"), \
        "keys the page does not edit are not written"


def test_revert_restores_the_running_config(qtbot: QtBot, ctx: AppContext) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.by_key["safety.max_steps"].set_value(0)
    assert page.save() is False
    page.revert_button.click()
    assert page.by_key["safety.max_steps"].value() == 40
    assert not page.by_key["safety.max_steps"].error.isVisibleTo(page)


@pytest.mark.parametrize(("key", "text", "said"), [
    ("capture.regions", "0,0,400,60\n10,abc,5", "Line 2: “10,abc,5” is not x,y,width,height"),
    ("capture.regions", "5,5,0,10", "width and height must be at least 1"),
    ("export.patterns", "[\\w.]+@\\w+\n(unclosed", "'(unclosed' is not a valid regex"),
])
def test_bad_capture_regions_or_patterns_are_named_by_their_field(
        qtbot: QtBot, ctx: AppContext, key: str, text: str, said: str) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.by_key[key].widget.setPlainText(text)  # type: ignore[attr-defined]
    assert page.save() is False
    field = page.by_key[key]
    assert field.error.isVisibleTo(page) and said in field.error.text()
    assert [f.key for f in page.fields if f.error.isVisibleTo(page)] == [key]
    assert ctx.paths.config_file.read_text(encoding="utf-8") == HAND_WRITTEN


def test_capture_masks_redaction_and_the_marker_save_and_reload(
        qtbot: QtBot, ctx: AppContext) -> None:
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    labels = " ".join(label.text() for label in page.findChildren(QLabel))
    assert "Not available" not in labels and "Hide screen re&gions" in labels
    page.by_key["capture.window_titles"].widget.setPlainText(  # type: ignore[attr-defined]
        "KeePassXC\n  Online Banking  \n")
    page.by_key["capture.regions"].widget.setPlainText(  # type: ignore[attr-defined]
        "0, 0, 400, 60\n-1280,100,300,200")
    page.by_key["export.redact"].widget.setChecked(True)  # type: ignore[attr-defined]
    page.by_key["export.patterns"].widget.setPlainText(  # type: ignore[attr-defined]
        r"\bACME-\d+\b")
    page.by_key["control.target_marker_s"].widget.setValue(1.5)  # type: ignore[attr-defined]
    assert page.save() is True, page.status.text()
    loaded = load_config(ctx.paths.config_file)
    assert loaded.capture == CaptureMasks(regions=(Rect(0, 0, 400, 60), Rect(-1280, 100, 300,
                                                                            200)),
                                          window_titles=("KeePassXC", "Online Banking"))
    assert loaded.export == ExportConfig(redact=True, patterns=(r"\bACME-\d+\b",))
    assert loaded.control.target_marker_s == 1.5
    assert loaded.store.keep_backups == 9 and ctx.config == loaded
    again = SettingsPage(AppContext(ctx.paths, loaded, ctx.db))  # a restart shows them back
    qtbot.addWidget(again)
    regions = again.by_key["capture.regions"].widget.toPlainText()  # type: ignore[attr-defined]
    assert regions == "0,0,400,60\n-1280,100,300,200"
    assert again.by_key["export.redact"].value() is True
    assert again.by_key["control.target_marker_s"].value() == 1.5
    assert again.by_key["capture.window_titles"].value() == ("KeePassXC", "Online Banking")
