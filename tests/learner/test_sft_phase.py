"""The supervised warm-up: every example seen as often as the others, a decaying rate, and
more steps as the person's judgments grow."""

from __future__ import annotations

from typing import Any

import pytest

from learner import sft
from learner.distributed import SINGLE, Ranks
from learner.sft import Example
from learner.train_config import ActorTrainConfig


class Optimizer:
    def __init__(self, lr: float) -> None:
        self.param_groups = [{"lr": lr}, {"lr": lr / 10}]


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], float]]:
    steps: list[tuple[list[str], float]] = []

    def step(model: Any, processor: Any, optimizer: Optimizer, batch: list[Example],
             ranks: Ranks = SINGLE) -> float:
        steps.append(([ex.target for _, ex in ranks.shard(batch)],
                      optimizer.param_groups[0]["lr"]))
        return 1.0 / len(steps)

    monkeypatch.setattr(sft, "sft_step", step)
    return steps


def _examples(n: int) -> list[Example]:
    return [Example(f"prompt {i}", None, f"target {i}") for i in range(n)]


def test_each_pass_shows_every_example_once(seen: list[tuple[list[str], float]]) -> None:
    examples = _examples(10)
    losses = sft.sft_phase(None, None, Optimizer(1e-3), examples, 15, 4, seed=3)  # 6 passes
    assert len(losses) == 15
    drawn = [t for batch, _ in seen for t in batch]
    for start in range(0, 60, 10):
        assert sorted(drawn[start:start + 10]) == sorted(ex.target for ex in examples)
    assert drawn[:10] != [ex.target for ex in examples]  # shuffled, not in stored order
    first = list(seen)
    seen.clear()
    sft.sft_phase(None, None, Optimizer(1e-3), examples, 15, 4, seed=3)
    assert seen == first  # seeded


def test_the_rate_decays_to_nearly_zero_and_is_restored(
        seen: list[tuple[list[str], float]]) -> None:
    optimizer = Optimizer(1e-3)
    sft.sft_phase(None, None, optimizer, _examples(5), 10, 2, seed=0, decay=True)
    rates = [lr for _, lr in seen]
    assert rates[0] == pytest.approx(1e-3) and rates[-1] == pytest.approx(1e-4)
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False))
    assert [g["lr"] for g in optimizer.param_groups] == [1e-3, 1e-4]  # RL's rates again
    seen.clear()
    sft.sft_phase(None, None, optimizer, _examples(5), 4, 2, seed=0)  # Entropulse: no decay
    assert {lr for _, lr in seen} == {1e-3}


def test_ranks_share_the_shuffle_and_split_each_batch(
        seen: list[tuple[list[str], float]]) -> None:
    examples = _examples(7)
    sft.sft_phase(None, None, Optimizer(1e-3), examples, 6, 3, seed=5, decay=True)
    single = list(seen)
    parts = []
    for rank in (0, 1):
        seen.clear()
        sft.sft_phase(None, None, Optimizer(1e-3), examples, 6, 3, seed=5, decay=True,
                      ranks=Ranks(rank, 2))
        parts.append(list(seen))
    for (whole, lr), (even, lr0), (odd, lr1) in zip(single, *parts, strict=True):
        assert lr == lr0 == lr1  # the same decay on every rank
        assert even == whole[0::2] and odd == whole[1::2]  # each rank its share of one batch


def test_the_warm_up_grows_with_the_data_but_never_shrinks() -> None:
    cfg = ActorTrainConfig(sft_steps=40, sft_batch=4, sft_epochs=5.0)
    assert [cfg.warmup_steps(n) for n in (0, 10, 32, 33, 100)] == [0, 40, 40, 42, 125]
    assert ActorTrainConfig(sft_steps=40).warmup_steps(1000) == 40  # sft_epochs 0: fixed
    assert ActorTrainConfig(sft_steps=0, sft_epochs=5.0).warmup_steps(100) == 0  # off
    with pytest.raises(ValueError, match="sft_epochs"):
        ActorTrainConfig(sft_epochs=-1.0)
