"""``deskhand learn`` as a user runs it: skips with reasons, refuses without a base model, and
trains a reward model from judged steps in the store (one step, then the gate)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from agent.paths import Paths
from agent.store.repo import Monitor, Store
from agent.store.schema import Adapter, TrainingRun
from app.cli import cli
from learner import synthetic as syn
from models.tiny import TinyModel
from tests.learner.test_learning import warm_bases


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _rows(store: Store) -> tuple[list[TrainingRun], list[Adapter]]:
    with store.session() as s:
        return (list(s.scalars(select(TrainingRun)).all()),
                list(s.scalars(select(Adapter)).all()))


def _judged_steps(store: Store, episodes: int) -> None:
    """Episodes of one click each on a synthetic screen, approved or corrected."""
    for i, screen in enumerate(syn.screens(episodes, seed=7)):
        episode = store.create_episode(syn.TASK)
        wrong = screen.centres[1 - screen.lit]
        step = store.add_step(episode, screenshot=screen.image,
                              monitor=Monitor(0, 0, *screen.image.shape[1::-1]),
                              action={"type": "click", "x": wrong[0], "y": wrong[1]},
                              reasoning="", outcome="executed")
        if i % 2:
            store.add_judgment(kind="reject", step_id=step, value=0.0)
        else:
            right = screen.centres[screen.lit]
            store.add_judgment(kind="correct", step_id=step,
                               corrected_action={"type": "click", "x": right[0], "y": right[1]})
        store.finish_episode(episode, "done")


def test_nightly_skips_and_says_why(home: Paths, store: Store) -> None:
    code, out, err = _run("learn", "--nightly", "--role", "actor")
    assert code == 0, err
    assert "actor: skipped" in err and "new judgments" in err
    assert _rows(store) == ([], [])


def test_no_base_model_is_a_clear_error(home: Paths, store: Store) -> None:
    code, _, err = _run("learn", "--role", "reward")
    assert code == 2
    assert "--base" in err


def test_nothing_to_train_on(home: Paths, store: Store, tmp_path: Path) -> None:
    code, _, err = _run("learn", "--role", "reward", "--base", str(tmp_path))
    assert code == 0, err
    assert "nothing to train on" in err


def test_learn_trains_registers_and_gates(home: Paths, store: Store, tiny_model: TinyModel,
                                          tiny_cache_dir: Path) -> None:
    import torch

    torch.set_num_threads(1)
    _, critic_base = warm_bases(tiny_model, tiny_cache_dir)
    _judged_steps(store, 12)
    code, out, err = _run("learn", "--role", "reward", "--max-steps", "1", "--base",
                          str(critic_base))
    assert code == 0, err
    assert "resolved config" in err
    (run,), (adapter,) = _rows(store)
    assert run.status == "done" and run.role == "reward"
    assert run.config is not None and run.config["reasoning"] is True
    assert run.metrics is not None and len(run.metrics["steps"]) == 1
    assert run.metrics["gate"]["reasons"]
    assert adapter.role == "reward" and adapter.training_run_id == run.id
    assert f"run {run.id}, 1 steps, v1" in err
