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


@pytest.mark.parametrize("mode", [("--multi_gpu",), FSDP_CONFIG], ids=["whole", "sharded"])
def test_a_step_with_fewer_states_than_processes(tiny_model: TinyModel, tmp_path: Path,
                                                 mode: tuple[str, ...]) -> None:
    """One state a step (the CPU budget's ``states_per_step``) on two processes: rank 1 has
    none (whole model: it adds zero gradients; sharded: it samples a pad to stay in step),
    and both still train the weights of one process."""
    base = str(tiny_model.hf_dir)
    one, two = tmp_path / "one", tmp_path / "two"
    single = '{"states_per_step": 1, "sft_batch": 1}'
    launch(1, [base, str(one / "run"), str(one / "out"), "2", single])
    out = launch(2, [base, str(two / "run"), str(two / "out"), "2", single], accelerate=mode)
    assert "trained 0 2 2 None" in out and "trained 1 2 2 None" in out
    assert_trained_as_one(one, two)


@pytest.mark.parametrize("then", [1, 2], ids=["resumed-whole", "resumed-sharded"])
def test_a_sharded_checkpoint_before_any_step_holds_no_optimizer_step(
        tiny_model: TinyModel, tmp_path: Path, then: int) -> None:
    """Stopped before its first step, a sharded run writes an empty optimizer state, as one
    process does (torch's gather of an empty state takes a zero-rate step to make one: a
    resumed run then had Adam's step count 1 ahead, and ended elsewhere)."""
    import torch

    base = str(tiny_model.hf_dir)
    cut, straight = tmp_path / "cut", tmp_path / "straight"
    launch(2, [base, str(cut / "run")], mode="save", accelerate=FSDP_CONFIG)
    saved = torch.load(cut / "run" / "checkpoint" / "state.pt", weights_only=False)
    assert saved["step"] == 0 and saved["optimizer"]["state"] == {}
    out = launch(then, [base, str(cut / "run"), str(cut / "out"), "2"],
                 accelerate=("--multi_gpu",) if then == 1 else FSDP_CONFIG)
    assert f"trained 0 {then} 2 0" in out  # resumed from the checkpoint at step 0
    launch(1, [base, str(straight / "run"), str(straight / "out"), "2"])
    assert max_diff(_weights(cut), _weights(straight)) < TOLERANCE  # type: ignore[arg-type]
