"""The promotion gate: paired decisions with their figures, predictors that must never pass
(constants, noise, a regression), too little data, and the gate with the registry."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from agent.paths import Paths
from agent.store.repo import Store
from agent.store.schema import Adapter
from learner.adapters import AdapterRegistry
from learner.config import GateConfig
from learner.gate import Evaluation, decide, gate_candidate, shortfall

CFG = GateConfig(min_holdout=20)


def _actor(hits: list[float], parsed: float = 1.0, kl: float | None = None) -> Evaluation:
    n = len(hits)
    ok = [i < round(parsed * n) for i in range(n)]
    return Evaluation("actor", tuple(hits), tuple(ok), kl=kl)


def _reward(scores: list[float | None], labels: list[float]) -> Evaluation:
    return Evaluation("reward", scores=tuple(scores), labels=tuple(labels))


def _labels(n: int, positives: float, seed: int = 0) -> list[float]:
    rng = random.Random(seed)
    out = [1.0] * round(n * positives) + [0.0] * (n - round(n * positives))
    rng.shuffle(out)
    return out


def test_a_clearly_better_actor_is_promoted_with_n_and_p() -> None:
    base = _actor([0.0] * 15 + [1.0] * 15)
    better = _actor([1.0] * 27 + [0.0] * 3)
    decision = decide(better, base, CFG, "the base model")
    assert decision.promote, decision.reasons
    assert decision.figures["n"] == 30 and decision.figures["p"] < 0.01  # 15 wins, 3 losses
    assert "n=30" in decision.reasons[0] and "p=" in decision.reasons[0]
    assert decision.headline.startswith("promoted (n=30, p=")


def test_a_small_gain_that_could_be_chance_is_not_promoted() -> None:
    base = _actor([1.0] * 10 + [0.0] * 10)
    lucky = _actor([1.0] * 12 + [0.0] * 8)  # two more states right: a coin could do that
    decision = decide(lucky, base, CFG)
    assert not decision.promote and "not significant" in decision.reasons[0]


def test_too_little_held_out_data_says_how_much_more_is_needed() -> None:
    decision = decide(_actor([1.0] * 8), _actor([0.0] * 8), CFG)
    assert not decision.promote and decision.needed == 12
    assert "12 more judged steps" in decision.reasons[0]
    assert "12 more judged steps needed" in decision.headline
    assert shortfall("actor", 8, [], CFG) == 12
    assert shortfall("reward", 40, [0.0] * 40, CFG) == 1  # one label only: no AUC


def test_guards_parse_rate_and_drift() -> None:
    base = _actor([0.0] * 30, parsed=1.0)
    unparseable = _actor([1.0] * 20 + [0.0] * 10, parsed=0.7)
    assert not decide(unparseable, base, CFG).promote
    drifted = _actor([1.0] * 30, kl=3.0)
    decision = decide(drifted, base, GateConfig(min_holdout=20, max_kl=1.0))
    assert not decision.promote and any("drift" in r for r in decision.reasons)
    calm = _actor([1.0] * 30, kl=0.1)
    assert decide(calm, base, GateConfig(min_holdout=20, max_kl=1.0)).promote


@pytest.mark.parametrize("positives", [0.3, 0.5, 0.7])
@pytest.mark.parametrize("constant", [0.0, 0.5, 1.0])
def test_a_constant_reward_model_is_never_promoted(positives: float, constant: float) -> None:
    """Not over a base that never parses (the attack), nor over anything else."""
    labels = _labels(40, positives)
    never_parses = _reward([None] * 40, labels)
    const = _reward([constant] * 40, labels)
    decision = decide(const, never_parses, CFG, "the base model")
    assert not decision.promote, decision.reasons
    assert any("majority" in r or "AUC" in r for r in decision.reasons)


def test_random_reward_models_are_not_promoted() -> None:
    """200 reward models that score at random (fixed seeds), each over a base that never
    parses: none passes (it would need a significant AUC *and* to beat the majority label)."""
    promoted = 0
    for seed in range(200):
        rng = random.Random(seed)
        labels = _labels(40, rng.uniform(0.2, 0.8), seed)
        noise = _reward([rng.random() for _ in labels], labels)
        promoted += decide(noise, _reward([None] * 40, labels), CFG).promote
    assert promoted == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=20, max_size=60))
def test_an_actor_that_loses_more_than_it_wins_is_never_promoted(
        pairs: list[tuple[float, float]]) -> None:
    cand = [c for c, _ in pairs]
    base = [b for _, b in pairs]
    losses = sum(1 for c, b in pairs if c < b - 1e-9)
    wins = sum(1 for c, b in pairs if c > b + 1e-9)
    decision = decide(_actor(cand), _actor(base), CFG)
    if wins <= losses:
        assert not decision.promote


def test_a_discriminating_reward_model_is_promoted() -> None:
    labels = _labels(40, 0.5)
    good = _reward([0.9 if lab else 0.1 for lab in labels[:-4]] + [0.2, 0.8, 0.6, 0.4],
                   labels)
    decision = decide(good, _reward([None] * 40, labels), CFG, "the base model")
    assert decision.promote, decision.reasons
    assert decision.figures["auc"] > 0.85 and decision.figures["p_auc"] < 0.01


def _register(reg: AdapterRegistry, tmp: Path, seed: int) -> int:
    peft = tmp / f"p{seed}"
    peft.mkdir()
    (peft / "adapter_config.json").write_text(json.dumps({"seed": seed}))
    (tmp / f"g{seed}.gguf").write_bytes(bytes([seed]) * 64)
    return reg.register("actor", peft, tmp / f"g{seed}.gguf", {"dataset_hash": "h"})


def test_a_degraded_candidate_is_rejected_and_the_active_one_kept(
        home: Paths, store: Store, tmp_path: Path) -> None:
    reg = AdapterRegistry(home.adapters_dir, store)
    base = _actor([0.0] * 20 + [1.0] * 10, parsed=0.9)
    good_eval = _actor([1.0] * 28 + [0.0] * 2)
    good = _register(reg, tmp_path, 1)
    first = gate_candidate(reg, "actor", good, good_eval, base, CFG)
    assert first.promote and "the base model" in first.reasons[0]
    active = reg.active("actor")
    assert active is not None and active.version == good

    degraded = _register(reg, tmp_path, 2)
    worse = _actor([1.0] * 10 + [0.0] * 20, parsed=0.5)
    second = gate_candidate(reg, "actor", degraded, worse, good_eval, CFG)
    assert not second.promote
    assert "active v1" in second.reasons[0]
    still = reg.active("actor")
    assert still is not None and still.version == good and still.sha256 == active.sha256
    with store.session() as s:
        row = s.scalar(select(Adapter).where(Adapter.version == degraded))
        assert row is not None and row.status == "candidate"
        assert row.metrics is not None and row.metrics["gate"]["promote"] is False
        assert row.metrics["gate"]["reasons"] == list(second.reasons)
        assert row.metrics["gate"]["figures"]["n"] == 30
