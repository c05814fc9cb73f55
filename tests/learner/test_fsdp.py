"""Sharded training (FSDP2, :mod:`learner.sharding`): two CPU processes under ``accelerate
launch --config_file packaging/accelerate/fsdp.yaml`` (gloo, one thread each) each hold about
half of the model, and still train the LoRA weights one whole-model process trains on the same
global batch and seeds; checkpoints move between sharded and unsharded runs.

The job has 3 states a step and 3 warm-up examples a batch: two ranks take unequal shares,
so the pads that keep a sharded model's ranks in step are exercised. Tolerance as for plain
data parallelism (:mod:`tests.learner.test_data_parallel`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from safetensors.torch import load_file

from models.tiny import TinyModel
from tests.learner.test_data_parallel import (
    FSDP_CONFIG,
    TOLERANCE,
    assert_trained_as_one,
    launch,
    max_diff,
)


def _weights(folder: Path, rank: int = 0) -> dict[str, object]:
    return load_file(str(folder / "out" / f"rank{rank}.safetensors"))  # type: ignore[return-value]


def test_two_sharded_processes_hold_half_the_model_and_train_the_weights_of_one(
        tiny_model: TinyModel, tmp_path: Path) -> None:
    base = str(tiny_model.hf_dir)
    one, two = tmp_path / "one", tmp_path / "two"
    launch(1, [base, str(one / "run"), str(one / "out"), "2"])
    out = launch(2, [base, str(two / "run"), str(two / "out"), "2"], accelerate=FSDP_CONFIG)
    assert "trained 0 2 2 None" in out and "trained 1 2 2 None" in out
    for rank in (0, 1):
        sharded, held, whole = (two / "out" / f"held-{rank}").read_text().split()
        assert sharded == "True" and int(held) < 0.6 * int(whole)  # about half each
    sharded, held, whole = (one / "out" / "held-0").read_text().split()
    assert sharded == "False" and held == whole
    assert_trained_as_one(one, two)  # both ranks gathered the same whole weights


@pytest.mark.parametrize("first,then", [(2, 1), (1, 2)], ids=["sharded-then-one",
                                                               "one-then-sharded"])
def test_a_checkpoint_moves_between_sharded_and_whole_runs(
        tiny_model: TinyModel, tmp_path: Path, first: int, then: int) -> None:
    """The checkpoint is written whole (weights and optimizer state), so a run resumes
    sharded or not, with any number of processes, and ends where one process would."""
    base = str(tiny_model.hf_dir)
    split, straight = tmp_path / "split", tmp_path / "straight"
    mode = {1: ("--multi_gpu",), 2: FSDP_CONFIG}
    launch(first, [base, str(split / "run"), str(split / "out"), "2"], accelerate=mode[first])
    out = launch(then, [base, str(split / "run"), str(split / "out"), "3"],
                 accelerate=mode[then])
    assert f"trained 0 {then} 3 2" in out  # resumed at step 2, went on to 3
    launch(1, [base, str(straight / "run"), str(straight / "out"), "3"])
    assert max_diff(_weights(split), _weights(straight)) < TOLERANCE  # type: ignore[arg-type]


def test_two_sharded_processes_warm_up_as_one(tiny_model: TinyModel, tmp_path: Path) -> None:
    base = str(tiny_model.hf_dir)
    one, two = tmp_path / "one", tmp_path / "two"
    launch(1, [base, str(one / "run"), str(one / "out"), "2.0"], mode="warmup")
    launch(2, [base, str(two / "run"), str(two / "out"), "2.0"], mode="warmup",
           accelerate=FSDP_CONFIG)
    _, _, loss = (one / "out" / "warmed-0").read_text().split()
    for rank in (0, 1):
        world, steps, rank_loss = (two / "out" / f"warmed-{rank}").read_text().split()
        assert (world, steps) == ("2", "5")
        assert abs(float(rank_loss) - float(loss)) < TOLERANCE * max(1.0, abs(float(loss)))
    assert_trained_as_one(one, two)
