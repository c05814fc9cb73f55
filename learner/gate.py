"""The promotion gate: metrics of a candidate adapter vs the active one (or the base model).

Actor: primary ``verifiable_reward`` (mean verifiable reward of greedy actions on the holdout);
guards ``format_rate`` (higher is better) and, when measured, ``kl`` to the base (capped by
``max_kl``). Reward model: primary ``accuracy`` (agreement with the human label at 0.5);
guards ``mae`` (lower is better) and ``auc`` (higher is better).

The design choice a reader must know: the gate is a pure function of two metric sets and the
config, and it always says *why* — every check it made is a line of ``reasons``, whether it
promotes or not, so the record of a night's run explains itself. The evaluation runs that
produce the predictions belong to the trainers; the baseline when no adapter is active yet is
the base model (adapter disabled), evaluated the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from learner.config import GateConfig

if TYPE_CHECKING:
    from learner.adapters import AdapterRegistry

PRIMARY = {"actor": "verifiable_reward", "reward": "accuracy"}
# guard metric → True when higher is better
GUARDS = {"actor": {"format_rate": True}, "reward": {"mae": False, "auc": True}}


@dataclass(frozen=True)
class Metrics:
    """Evaluation metrics of one adapter (or the base) for one role on the holdout."""

    role: str
    values: dict[str, float]
    n: int  # how many held-out examples they were computed on

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "n": self.n, **self.values}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Metrics:
        values = {k: float(v) for k, v in obj.items() if k not in ("role", "n")}
        return cls(str(obj["role"]), values, int(obj.get("n", 0)))


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reasons: tuple[str, ...]
    candidate: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"promote": self.promote, "reasons": list(self.reasons),
                "candidate": self.candidate, "baseline": self.baseline}


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def actor_metrics(rewards: Sequence[float | None], formats: Sequence[float] | None = None,
                  kl: float | None = None) -> Metrics:
    """Actor metrics from per-example verifiable rewards of greedy actions (None: the example
    has no verifiable reference and is left out), format flags (1/0) and the mean KL.

    >>> actor_metrics([1.0, 0.5, None], formats=[1, 1, 0]).values
    {'verifiable_reward': 0.75, 'format_rate': 0.6666666666666666}
    """
    scored = [float(r) for r in rewards if r is not None]
    values = {"verifiable_reward": _mean(scored)}
    if formats is not None:
        values["format_rate"] = _mean([float(f) for f in formats])
    if kl is not None:
        values["kl"] = float(kl)
    return Metrics("actor", values, len(scored))


def auc(scores: Sequence[float], positives: Sequence[bool]) -> float:
    """Area under the ROC curve (Mann–Whitney, ties count half); NaN with one class only.

    >>> auc([0.9, 0.8, 0.3, 0.1], [True, False, True, False])
    0.75
    >>> auc([0.5, 0.5], [True, True])
    nan
    """
    pos = [s for s, p in zip(scores, positives, strict=True) if p]
    neg = [s for s, p in zip(scores, positives, strict=True) if not p]
    if not pos or not neg:
        return float("nan")
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def reward_model_metrics(scores: Sequence[float | None], labels: Sequence[float]) -> Metrics:
    """Reward-model metrics: accuracy at 0.5, mean absolute error, AUC, parse rate.

    An unparseable verdict (None) counts as the most wrong answer: 1 − round(label).

    >>> m = reward_model_metrics([0.9, 0.2, None, 0.6], [1.0, 0.0, 1.0, 0.0])
    >>> m.values["accuracy"], round(m.values["mae"], 3), m.values["auc"], m.values["parse_rate"]
    (0.5, 0.475, 0.5, 0.75)
    """
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores for {len(labels)} labels")
    truth = [float(lab) >= 0.5 for lab in labels]
    filled = [float(s) if s is not None else (0.0 if t else 1.0)
              for s, t in zip(scores, truth, strict=True)]
    accuracy = _mean([float((s >= 0.5) == t) for s, t in zip(filled, truth, strict=True)])
    mae = _mean([abs(s - float(lab)) for s, lab in zip(filled, labels, strict=True)])
    parse_rate = _mean([float(s is not None) for s in scores])
    return Metrics("reward", {"accuracy": accuracy, "mae": mae, "auc": auc(filled, truth),
                              "parse_rate": parse_rate}, len(scores))


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4f}"


def decide(candidate: Metrics, active: Metrics, config: GateConfig,
           baseline_name: str = "the active adapter") -> GateDecision:
    """Promote only if the candidate beats ``active`` on the primary metric by the role's
    margin and no guard metric is worse by more than ``guard_tolerance`` (see module doc).

    >>> cfg = GateConfig(actor_margin=0.05)
    >>> decide(Metrics("actor", {"verifiable_reward": 0.6}, 10),
    ...        Metrics("actor", {"verifiable_reward": 0.5}, 10), cfg).promote
    True
    >>> d = decide(Metrics("actor", {"verifiable_reward": 0.52}, 10),
    ...            Metrics("actor", {"verifiable_reward": 0.5}, 10), cfg)
    >>> d.promote, d.reasons[0]
    (False, 'verifiable_reward 0.5200 does not beat the active adapter 0.5000 by 0.05')
    """
    if candidate.role != active.role or candidate.role not in PRIMARY:
        raise ValueError(f"cannot compare {candidate.role} metrics with {active.role} metrics")
    role = candidate.role
    reasons: list[str] = []
    ok = True
    primary = PRIMARY[role]
    margin = config.actor_margin if role == "actor" else config.reward_margin
    got = candidate.values.get(primary, float("nan"))
    base = active.values.get(primary, float("nan"))
    if candidate.n < config.min_holdout:
        ok = False
        reasons.append(f"only {candidate.n} held-out examples (need {config.min_holdout})")
    if math.isnan(got):
        ok = False
        reasons.append(f"{primary} of the candidate is unknown")
    elif math.isnan(base) or got >= base + margin:
        reasons.append(f"{primary} {_fmt(got)} beats {baseline_name} {_fmt(base)} by at least "
                       f"{margin:g}")
    else:
        ok = False
        reasons.append(f"{primary} {_fmt(got)} does not beat {baseline_name} {_fmt(base)} by "
                       f"{margin:g}")
    for name, higher_better in GUARDS[role].items():
        ok = _guard(name, higher_better, candidate, active, config, reasons) and ok
    if role == "actor" and config.max_kl is not None and "kl" in candidate.values:
        kl = candidate.values["kl"]
        if not kl <= config.max_kl:
            ok = False
            reasons.append(f"kl {_fmt(kl)} to the base exceeds max_kl {config.max_kl:g}")
        else:
            reasons.append(f"kl {_fmt(kl)} within max_kl {config.max_kl:g}")
    return GateDecision(ok, tuple(reasons), candidate.to_json(), active.to_json())


def _guard(name: str, higher_better: bool, candidate: Metrics, active: Metrics,
           config: GateConfig, reasons: list[str]) -> bool:
    got = candidate.values.get(name, float("nan"))
    base = active.values.get(name, float("nan"))
    if math.isnan(got) or math.isnan(base):
        reasons.append(f"guard {name} not compared ({_fmt(got)} vs {_fmt(base)})")
        return True
    tol = config.guard_tolerance
    worse = got < base - tol if higher_better else got > base + tol
    if worse:
        reasons.append(f"guard {name} {_fmt(got)} is worse than {_fmt(base)} by more than "
                       f"{tol:g}")
        return False
    reasons.append(f"guard {name} {_fmt(got)} vs {_fmt(base)}: ok")
    return True


def gate_candidate(registry: AdapterRegistry, role: str, version: int, candidate: Metrics,
                   baseline: Metrics, config: GateConfig, *,
                   baseline_name: str | None = None) -> GateDecision:
    """Decide on a registered candidate, record why in its store row, promote it if it passed.

    ``baseline``: the active adapter's metrics, or the base model's when none is active.
    """
    if baseline_name is None:
        active = registry.active(role)
        baseline_name = f"active v{active.version}" if active else "the base model"
    decision = decide(candidate, baseline, config, baseline_name)
    registry.record_decision(role, version, decision.to_json())
    if decision.promote:
        registry.promote(role, version)
    return decision
