"""The Training page: Train now runs a trainer process and shows its progress; Cancel stops
it; the schedule saves with its own validation; the plot draws what it is given.

The trainer here is ``fake_trainer.py``, which behaves like ``deskhand learn`` towards the app
(step lines, a ``training_runs`` row, SIGTERM → interrupted); the real trainer needs a GPU-
sized model and minutes; ``test_training_real.py`` runs it once on the tiny model.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from agent.paths import Paths
from app.config import load_config
from app.gui.context import AppContext
from app.gui.training.page import TrainingPage
from app.gui.training.plot import Plot
from app.gui.training.runner import home_of, parse_step_line, trainer_command

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier




def fake(home: Paths, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tests.app.gui.fake_trainer", str(home_of(home)), *extra]


def test_the_trainer_command_keeps_the_home_and_the_overrides(home: Paths) -> None:
    argv = trainer_command(home, ["learner.gate.min_holdout=2"])
    assert argv[:3] == [sys.executable, "-m", "app.cli"]
    assert argv[3:5] == ["--home", str(home.config_dir.parent)]
    assert argv[5:] == ["--set", "learner.gate.min_holdout=2", "learn", "--now"]
    assert parse_step_line("x deskhand.learn: reward step 2/9: {\"reward\": 0.5}") == (
        "reward", 2, 9, {"reward": 0.5})


def test_train_now_shows_progress_and_the_finished_run(qtbot: QtBot, ctx: AppContext) -> None:
    page = TrainingPage(ctx)
    qtbot.addWidget(page)
    page.command = lambda: fake(ctx.paths, "--steps", "4")
    finished: list[str] = []
    page.run_finished.connect(finished.append)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)
    qtbot.keyClick(page, Qt.Key.Key_T, modifier=CTRL_SHIFT)
    assert not page.train_button.isEnabled() and page.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: bool(finished), timeout=60_000)
    assert page.progress.value() == page.progress.maximum() == 1
    assert len(page.live["actor"]) == 4, "every step line reached the page"
    assert page.live["actor"][-1]["reward"] == pytest.approx(0.6)
    assert "promoted" in finished[0] and not page.banner.isHidden()
    assert "Training finished" in page.banner.text()
    qtbot.waitUntil(lambda: len(page.runs.runs) == 1, timeout=10_000)
    run = page.runs.runs[0]
    assert run.status == "done" and run.promote is True and len(run.steps) == 4
    assert "beats" in page.runs.decision.text(), "the gate's reasons are shown"
    assert "(n=24, p=0.0039)" in page.runs.decision.text(), "with the test's n and p"
    assert page.runs.plots["reward"].series["reward"][-1] == pytest.approx(0.6)
    assert page.train_button.isEnabled()


def test_cancel_sends_sigterm_and_the_run_is_interrupted(qtbot: QtBot, ctx: AppContext) -> None:
    page = TrainingPage(ctx)
    qtbot.addWidget(page)
    page.command = lambda: fake(ctx.paths, "--steps", "2", "--hold")
    finished: list[str] = []
    page.run_finished.connect(finished.append)
    page.train_now()
    qtbot.waitUntil(lambda: "holding until SIGTERM" in page.log.toPlainText(), timeout=60_000)
    page.cancel()
    qtbot.waitUntil(lambda: bool(finished), timeout=30_000)
    assert "stopped" in finished[0].lower()
    qtbot.waitUntil(lambda: bool(page.runs.runs), timeout=10_000)
    assert page.runs.runs[0].status == "interrupted"


def test_schedule_validation_and_save(qtbot: QtBot, ctx: AppContext) -> None:
    page = TrainingPage(ctx)
    qtbot.addWidget(page)
    box = page.schedule
    box.at.setText("25:00")
    assert box.save() is False
    assert box.errors["at"].isVisibleTo(box) and "HH:MM" in box.errors["at"].text()
    assert not ctx.paths.config_file.exists(), "nothing is saved while a field is wrong"
    box.at.setText("02:15")
    box.min_judgments.setValue(7)
    box.ac_only.setChecked(False)
    assert box.save() is True
    assert not box.errors["at"].isVisibleTo(box)
    loaded = load_config(ctx.paths.config_file).learner.schedule
    assert (loaded.at, loaded.min_new_judgments, loaded.require_ac_power) == ("02:15", 7, False)
    assert ctx.config.learner.schedule.at == "02:15", "the running app uses the new config"


def test_install_timer_writes_the_units_to_the_test_folder(qtbot: QtBot, ctx: AppContext,
                                                           tmp_path: Path) -> None:
    page = TrainingPage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: "No nightly timer" in page.schedule.status.text(), timeout=10_000)
    page.schedule.install_button.click()
    qtbot.waitUntil(lambda: "Timer installed" in page.schedule.status.text(), timeout=10_000)
    assert any((tmp_path / "schedule-root").iterdir())


def test_plot_draws_the_given_series(qtbot: QtBot) -> None:
    plot = Plot("Reward")
    qtbot.addWidget(plot)
    plot.resize(300, 180)
    empty = plot.grab().toImage()
    plot.set_series({"reward": [0.1, 0.4, None, 0.3, 0.9], "kl": [0.0, 0.01, 0.02, 0.02, 0.03]})
    drawn = plot.grab().toImage()
    blue, orange = QColor("#2f6fdf"), QColor("#d9622b")

    def count(image: object, color: QColor) -> int:
        hits = 0
        for y in range(0, drawn.height(), 2):
            for x in range(0, drawn.width(), 2):
                c = image.pixelColor(x, y)  # type: ignore[attr-defined]
                if abs(c.red() - color.red()) + abs(c.green() - color.green()) + \
                        abs(c.blue() - color.blue()) < 40:
                    hits += 1
        return hits

    assert count(empty, blue) == 0
    assert count(drawn, blue) > 20 and count(drawn, orange) > 20
    assert plot.y_range() is not None


@pytest.mark.parametrize("size", [(1180, 700), (1366, 768)])
@pytest.mark.parametrize("with_runs", [False, True])
def test_nothing_is_clipped_on_a_small_screen(qtbot: QtBot, ctx: AppContext,
                                              size: tuple[int, int], with_runs: bool) -> None:
    from app.gui.training.runs import RunInfo
    from app.gui.window import MainWindow

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show_page("training")
    window.resize(*size)
    window.show()
    page = window.pages["training"]
    assert isinstance(page, TrainingPage)
    if with_runs:
        page.runs.set_runs([RunInfo(3, "reward", "finished", "2026-11-20 03:00", "", "",
                                    [{"agreement": 0.5}, {"agreement": 0.7}])])
    qtbot.waitUntil(lambda: page.isVisible() and page.width() > 0)
    assert page.runs.list.isVisibleTo(page) is with_runs, "no empty runs column"
    right_edge = window.centralWidget().width()
    for plot in page.runs.plots.values():
        corner = plot.mapTo(window.centralWidget(), plot.rect().bottomRight())
        assert corner.x() < right_edge and corner.y() < window.centralWidget().height()
        assert plot.width() >= plot.minimumWidth() and plot.height() >= plot.minimumHeight()
    window.close()
