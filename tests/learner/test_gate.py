"""The promotion gate: metrics, decisions and their reasons, and the gate with the registry."""

from __future__ import annotations

import json
import math
from pathlib import Path

from sqlalchemy import select

from agent.paths import Paths
from agent.store.repo import Store
from agent.store.schema import Adapter
from learner.adapters import AdapterRegistry
from learner.config import GateConfig
from learner.gate import Metrics, actor_metrics, decide, gate_candidate, reward_model_metrics


def _actor(reward: float, fmt: float = 1.0, kl: float | None = None) -> Metrics:
    return actor_metrics([reward] * 10, formats=[fmt] * 10, kl=kl)


def test_reward_model_metrics_on_known_predictions() -> None:
    perfect = reward_model_metrics([0.9, 0.8, 0.1, 0.3], [1.0, 1.0, 0.0, 0.0])
    assert perfect.values["accuracy"] == 1.0 and perfect.values["auc"] == 1.0
    assert math.isclose(perfect.values["mae"], (0.1 + 0.2 + 0.1 + 0.3) / 4)
    inverted = reward_model_metrics([0.1, 0.2, 0.9, 0.7], [1.0, 1.0, 0.0, 0.0])
    assert inverted.values["accuracy"] == 0.0 and inverted.values["auc"] == 0.0
    ratings = reward_model_metrics([0.75, 0.25], [0.75, 0.5])  # 0.5 counts as positive
    assert ratings.values["accuracy"] == 0.5 and ratings.values["mae"] == 0.125


def test_a_better_candidate_is_promoted_with_reasons() -> None:
    decision = decide(_actor(0.7), _actor(0.5), GateConfig(actor_margin=0.05))
    assert decision.promote
    assert decision.reasons[0].startswith("verifiable_reward 0.7000 beats")
    assert any(r.startswith("guard format_rate") for r in decision.reasons)


def test_a_guard_metric_that_gets_worse_blocks_promotion() -> None:
    decision = decide(_actor(0.9, fmt=0.6), _actor(0.5, fmt=0.95), GateConfig())
    assert not decision.promote
    assert any("guard format_rate 0.6000 is worse than 0.9500" in r for r in decision.reasons)
    rm_better_but_miscalibrated = Metrics("reward", {"accuracy": 0.9, "mae": 0.45, "auc": 0.9},
                                          20)
    rm_active = Metrics("reward", {"accuracy": 0.8, "mae": 0.2, "auc": 0.85}, 20)
    decision = decide(rm_better_but_miscalibrated, rm_active, GateConfig())
    assert not decision.promote and any("guard mae" in r for r in decision.reasons)


def test_kl_cap_and_small_holdouts_are_refused() -> None:
    cfg = GateConfig(max_kl=0.5, min_holdout=5)
    assert not decide(_actor(0.9, kl=0.8), _actor(0.1), cfg).promote
    assert decide(_actor(0.9, kl=0.2), _actor(0.1), cfg).promote
    tiny = actor_metrics([1.0, 1.0])
    decision = decide(tiny, _actor(0.1), cfg)
    assert not decision.promote and "only 2 held-out examples" in decision.reasons[0]


def _register(reg: AdapterRegistry, tmp: Path, seed: int) -> int:
    peft = tmp / f"p{seed}"
    peft.mkdir()
    (peft / "adapter_config.json").write_text(json.dumps({"seed": seed}))
    (tmp / f"g{seed}.gguf").write_bytes(bytes([seed]) * 64)
    return reg.register("actor", peft, tmp / f"g{seed}.gguf", {"dataset_hash": "h"})


def test_a_degraded_candidate_is_rejected_and_the_active_one_kept(
        home: Paths, store: Store, tmp_path: Path) -> None:
    reg = AdapterRegistry(home.adapters_dir, store)
    cfg = GateConfig()
    base = _actor(0.30, fmt=0.9)
    good = _register(reg, tmp_path, 1)
    first = gate_candidate(reg, "actor", good, _actor(0.60), base, cfg)
    assert first.promote and "the base model" in first.reasons[0]
    active = reg.active("actor")
    assert active is not None and active.version == good

    degraded = _register(reg, tmp_path, 2)
    second = gate_candidate(reg, "actor", degraded, _actor(0.35, fmt=0.5), _actor(0.60), cfg)
    assert not second.promote
    assert "does not beat active v1" in second.reasons[0]
    still = reg.active("actor")
    assert still is not None and still.version == good and still.sha256 == active.sha256
    with store.session() as s:
        row = s.scalar(select(Adapter).where(Adapter.version == degraded))
        assert row is not None and row.status == "candidate"
        assert row.metrics is not None and row.metrics["gate"]["promote"] is False
        assert row.metrics["gate"]["reasons"] == list(second.reasons)
