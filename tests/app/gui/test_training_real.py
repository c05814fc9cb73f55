"""Train now with the real trainer: the page starts ``deskhand learn`` in its own process on
judged steps in the store, shows each step's progress, and the finished run with its gate
decision (the fake-trainer tests cover the edge cases quickly; this is the real thing)."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from agent.store.repo import Store
from app.gui.context import AppContext
from app.gui.training.page import TrainingPage
from app.gui.training.runner import trainer_command
from models.tiny import TinyModel
from tests.app.test_learn_command import install, judged_steps
from tests.learner.test_learning import warm_bases


def test_train_now_runs_the_real_trainer_and_shows_the_result(
        qtbot: QtBot, ctx: AppContext, store: Store, tiny_model: TinyModel,
        tiny_cache_dir: Path) -> None:
    _, reward_base = warm_bases(tiny_model, tiny_cache_dir)
    install(ctx.paths, reward_base, tiny_cache_dir)
    judged_steps(store, 36)
    page = TrainingPage(ctx)
    qtbot.addWidget(page)
    overrides = ["learner.gate.min_holdout=5", "learner.data.holdout_fraction=0.5",
                 "learner.reward_model.max_new_tokens=8", "agent.critic_reasoning=false"]
    page.command = lambda: [*trainer_command(ctx.paths, overrides), "--role", "reward",
                            "--max-steps", "2"]
    finished: list[str] = []
    page.run_finished.connect(finished.append)
    page.train_now()
    qtbot.waitUntil(lambda: bool(finished), timeout=600_000)
    assert len(page.live.get("reward", [])) == 2, page.log.toPlainText()[-3000:]
    assert page.progress.value() == page.progress.maximum(), "the bar ends full"
    qtbot.waitUntil(lambda: len(page.runs.runs) == 1, timeout=10_000)
    run = page.runs.runs[0]
    assert (run.role, run.status) == ("reward", "done"), page.log.toPlainText()[-3000:]
    assert page.runs.decision.text(), "the gate's decision and reasons are shown"
    assert "Training finished" in page.banner.text()
