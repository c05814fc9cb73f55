"""The promotion gate: a candidate adapter against the active one (or the base), state by state.

An ``Evaluation`` holds one adapter's result on every held-out example, as it runs for the
person (see :mod:`learner.served_eval`). ``decide`` compares two evaluations of the same
examples and promotes only when all of these hold, each written as a line of ``reasons``:

* enough held-out examples (``min_holdout``; both labels for the reward model), else it says
  how many more judged steps are needed;
* actor: the mean verifiable reward rises by ``actor_margin`` *and* the candidate wins more
  states than it loses beyond chance (exact sign test, McNemar's test on 0/1 results, one-sided
  ``p <= alpha``); parse rate no worse than ``guard_tolerance``; KL to the base, measured on
  held-out prompts, within ``max_kl``;
* reward model: accuracy at 0.5 beats the baseline by ``reward_margin`` with ``p <= alpha``,
  beats the majority-class predictor (the best any constant can do) with ``p <= alpha``, and
  its AUC is above chance with ``p <= alpha`` (permutation test); an unparseable verdict counts
  as the most wrong answer, so no model gains by failing to answer.

The design choice a reader must know: the decision is a pure function of the two evaluations
and the config, and it always shows its figures — n, the means and each p-value — so the
record of a night explains itself in the CLI and on the Training page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from learner import stats
from learner.config import GateConfig

if TYPE_CHECKING:
    from learner.adapters import AdapterRegistry

PRIMARY = {"actor": "verifiable_reward", "reward": "accuracy"}


@dataclass(frozen=True)
class Evaluation:
    """One adapter's (or the base's) results on each held-out example of one role.

    Actor: ``rewards`` per state (verifiable reward of the greedy action, None where the
    state has no reference), ``parsed`` per state, ``actions`` the greedy action (JSON text)
    per state, ``kl`` the mean per-token KL to the base on held-out prompts (when measured).
    Reward model: ``scores`` per labelled example (None: unparseable) and its ``labels``.
    """

    role: str
    rewards: tuple[float | None, ...] = ()
    parsed: tuple[bool, ...] = ()
    actions: tuple[str | None, ...] = ()
    scores: tuple[float | None, ...] = ()
    labels: tuple[float, ...] = ()
    kl: float | None = None

    @property
    def n(self) -> int:
        """How many examples the primary metric is computed on."""
        if self.role == "actor":
            return sum(1 for r in self.rewards if r is not None)
        return len(self.labels)

    def filled_scores(self) -> list[float]:
        """Scores with an unparseable verdict as the most wrong one for its label."""
        return [float(s) if s is not None else (0.0 if lab >= 0.5 else 1.0)
                for s, lab in zip(self.scores, self.labels, strict=True)]

    def correct(self) -> list[float]:
        """Per example: 1 when the reward model's verdict at 0.5 agrees with the label."""
        return [float((s >= 0.5) == (lab >= 0.5))
                for s, lab in zip(self.filled_scores(), self.labels, strict=True)]

    def metrics(self) -> dict[str, float]:
        """The summary figures (what the run's row and the Training page show).

        >>> Evaluation("actor", (1.0, 0.0, None), (True, True, False)).metrics()
        {'verifiable_reward': 0.5, 'format_rate': 0.6666666666666666, 'n': 2.0}
        >>> m = Evaluation("reward", scores=(0.9, None), labels=(1.0, 1.0)).metrics()
        >>> m["accuracy"], m["parse_rate"], math.isnan(m["auc"])
        (0.5, 0.5, True)
        """
        if self.role == "actor":
            scored = [r for r in self.rewards if r is not None]
            out = {"verifiable_reward": _mean(scored),
                   "format_rate": _mean([float(p) for p in self.parsed])}
            if self.kl is not None:
                out["kl"] = self.kl
            return {**out, "n": float(self.n)}
        filled = self.filled_scores()
        return {"accuracy": _mean(self.correct()),
                "mae": _mean([abs(s - lab) for s, lab in zip(filled, self.labels, strict=True)]),
                "auc": stats.mann_whitney(filled, [lab >= 0.5 for lab in self.labels]),
                "parse_rate": _mean([float(s is not None) for s in self.scores]),
                "n": float(self.n)}

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "rewards": list(self.rewards), "parsed": list(self.parsed),
                "actions": list(self.actions), "scores": list(self.scores),
                "labels": list(self.labels), "kl": self.kl}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Evaluation:
        return cls(str(obj["role"]), tuple(obj.get("rewards") or ()),
                   tuple(bool(p) for p in obj.get("parsed") or ()),
                   tuple(obj.get("actions") or ()), tuple(obj.get("scores") or ()),
                   tuple(float(v) for v in obj.get("labels") or ()), obj.get("kl"))


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reasons: tuple[str, ...]
    candidate: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)  # n, p-values, ...
    needed: int = 0  # more judged held-out examples needed before a decision can be made

    def to_json(self) -> dict[str, Any]:
        return {"promote": self.promote, "reasons": list(self.reasons),
                "candidate": self.candidate, "baseline": self.baseline,
                "figures": {k: (v if math.isfinite(v) else None) for k, v in self.figures.items()},
                "needed": self.needed}

    @property
    def headline(self) -> str:
        """One line: promoted or not, with n and p (what the CLI prints first)."""
        f = self.figures
        what = "promoted" if self.promote else "not promoted"
        if self.needed:
            return f"{what}: too little held-out data (n={f.get('n', 0):g}, " \
                   f"{self.needed} more judged steps needed)"
        bits = [f"n={f['n']:g}"] if "n" in f else []
        bits += [f"p={f['p']:.3g}"] if "p" in f and math.isfinite(f["p"]) else []
        return f"{what} ({', '.join(bits)})" if bits else what


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def shortfall(role: str, n: int, labels: Sequence[float], config: GateConfig) -> int:
    """How many more judged held-out examples the gate needs before it can decide (0: none).

    >>> shortfall("actor", 12, [], GateConfig(min_holdout=20))
    8
    >>> shortfall("reward", 30, [1.0] * 30, GateConfig(min_holdout=20))  # one label only
    1
    """
    missing = max(0, config.min_holdout - n)
    if role == "reward":
        positives = sum(1 for lab in labels if lab >= 0.5)
        one_class = 1 if positives in (0, len(labels)) else 0
        missing = max(missing, one_class)
    return missing


def decide(candidate: Evaluation, baseline: Evaluation, config: GateConfig,
           baseline_name: str = "the active adapter") -> GateDecision:
    """Promote or not, with every reason and figure (see the module doc).

    >>> cfg = GateConfig(min_holdout=10)
    >>> better = Evaluation("actor", (1.0,) * 10, (True,) * 10)
    >>> worse = Evaluation("actor", (0.0,) * 10, (True,) * 10)
    >>> d = decide(better, worse, cfg)
    >>> d.promote, d.figures["n"], round(d.figures["p"], 4)
    (True, 10.0, 0.001)
    >>> decide(worse, better, cfg).promote
    False
    """
    if candidate.role != baseline.role or candidate.role not in PRIMARY:
        raise ValueError(f"cannot compare {candidate.role} with {baseline.role} results")
    if candidate.role == "actor":
        return _decide_actor(candidate, baseline, config, baseline_name)
    return _decide_reward(candidate, baseline, config, baseline_name)


def _too_little(candidate: Evaluation, baseline: Evaluation, config: GateConfig,
                reasons: list[str]) -> GateDecision | None:
    needed = shortfall(candidate.role, candidate.n, candidate.labels, config)
    if not needed:
        return None
    what = ("held-out steps with a known right action" if candidate.role == "actor"
            else "held-out judged actions (both right and wrong ones)")
    reasons.insert(0, f"too little held-out data to decide: {candidate.n} {what}, need "
                      f"{config.min_holdout}; about {needed} more judged steps on held-out "
                      "episodes are needed (keep judging; the next run tries again)")
    return GateDecision(False, tuple(reasons), candidate.metrics(), baseline.metrics(),
                        {"n": float(candidate.n)}, needed)


def _decide_actor(candidate: Evaluation, baseline: Evaluation, config: GateConfig,
                  baseline_name: str) -> GateDecision:
    if len(candidate.rewards) != len(baseline.rewards):
        raise ValueError("candidate and baseline were evaluated on different states")
    reasons: list[str] = []
    early = _too_little(candidate, baseline, config, reasons)
    if early is not None:
        return early
    pairs = [(c, b) for c, b in zip(candidate.rewards, baseline.rewards, strict=True)
             if c is not None and b is not None]
    cand = [c for c, _ in pairs]
    base = [b for _, b in pairs]
    wins, losses = stats.paired_outcome(cand, base)
    p = stats.sign_test(wins, losses)
    got, was = _mean(cand), _mean(base)
    figures = {"n": float(len(pairs)), "candidate": got, "baseline": was, "wins": float(wins),
               "losses": float(losses), "p": p}
    ok = True
    head = (f"verifiable reward {_fmt(got)} vs {baseline_name} {_fmt(was)} on n={len(pairs)} "
            f"held-out steps: {wins} better, {losses} worse, p={p:.3g}")
    if got < was + config.actor_margin:
        ok = False
        reasons.append(f"{head}; not better by the margin {config.actor_margin:g}")
    elif p > config.alpha:
        ok = False
        reasons.append(f"{head}; not significant (alpha {config.alpha:g})")
    else:
        reasons.append(f"{head}; better")
    ok = _guard("parse rate", _mean([float(v) for v in candidate.parsed]),
                _mean([float(v) for v in baseline.parsed]), True, config, reasons) and ok
    if candidate.kl is not None:
        figures["kl"] = candidate.kl
        if config.max_kl is not None and not candidate.kl <= config.max_kl:
            ok = False
            reasons.append(f"drift: KL to the base {_fmt(candidate.kl)} per token exceeds "
                           f"max_kl {config.max_kl:g}")
        else:
            reasons.append(f"drift: KL to the base {_fmt(candidate.kl)} per token"
                           + (f" (max {config.max_kl:g})" if config.max_kl is not None else ""))
    changed = _changed(candidate.actions, baseline.actions)
    if changed is not None:
        figures["changed_actions"] = changed
        reasons.append(f"greedy action changed on {changed:.0%} of held-out states")
    return GateDecision(ok, tuple(reasons), candidate.metrics(), baseline.metrics(), figures)


def _decide_reward(candidate: Evaluation, baseline: Evaluation, config: GateConfig,
                   baseline_name: str) -> GateDecision:
    if candidate.labels != baseline.labels:
        raise ValueError("candidate and baseline were evaluated on different examples")
    reasons: list[str] = []
    early = _too_little(candidate, baseline, config, reasons)
    if early is not None:
        return early
    n = candidate.n
    right, before = candidate.correct(), baseline.correct()
    positives = [lab >= 0.5 for lab in candidate.labels]
    majority_label = sum(positives) * 2 >= n
    majority = [float(p == majority_label) for p in positives]
    acc, was, const = _mean(right), _mean(before), _mean(majority)
    p_base = stats.sign_test(*stats.paired_outcome(right, before))
    p_const = stats.sign_test(*stats.paired_outcome(right, majority))
    filled = candidate.filled_scores()
    auc = stats.mann_whitney(filled, positives)
    p_auc = stats.auc_p_value(filled, positives)
    figures = {"n": float(n), "candidate": acc, "baseline": was, "majority": const,
               "p": p_base, "p_majority": p_const, "auc": auc, "p_auc": p_auc}
    ok = True
    head = (f"agreement with the person {_fmt(acc)} vs {baseline_name} {_fmt(was)} on n={n} "
            f"held-out judged actions, p={p_base:.3g}")
    if acc < was + config.reward_margin or p_base > config.alpha:
        ok = False
        reasons.append(f"{head}; not better by {config.reward_margin:g} at alpha "
                       f"{config.alpha:g}")
    else:
        reasons.append(f"{head}; better")
    if acc <= const or p_const > config.alpha:
        ok = False
        reasons.append(f"does not beat always answering the majority label ({_fmt(const)}), "
                       f"p={p_const:.3g}: a constant would do as well")
    else:
        reasons.append(f"beats the majority-label predictor ({_fmt(const)}), p={p_const:.3g}")
    if not (auc > 0.5 and p_auc <= config.alpha):
        ok = False
        reasons.append(f"AUC {_fmt(auc)} is not above chance (p={p_auc:.3g}): its scores do "
                       "not tell right from wrong")
    else:
        reasons.append(f"AUC {_fmt(auc)} above chance, p={p_auc:.3g}")
    ok = _guard("mean absolute error", candidate.metrics()["mae"], baseline.metrics()["mae"],
                False, config, reasons) and ok
    return GateDecision(ok, tuple(reasons), candidate.metrics(), baseline.metrics(), figures)


def _changed(candidate: Sequence[str | None], baseline: Sequence[str | None]) -> float | None:
    pairs = list(zip(candidate, baseline, strict=False))
    if not pairs or len(candidate) != len(baseline):
        return None
    return sum(1 for c, b in pairs if c != b) / len(pairs)


def _guard(name: str, got: float, was: float, higher_better: bool, config: GateConfig,
           reasons: list[str]) -> bool:
    if math.isnan(got) or math.isnan(was):
        reasons.append(f"guard {name}: not compared ({_fmt(got)} vs {_fmt(was)})")
        return True
    tol = config.guard_tolerance
    worse = got < was - tol if higher_better else got > was + tol
    if worse:
        reasons.append(f"guard {name}: {_fmt(got)} is worse than {_fmt(was)} by more than "
                       f"{tol:g}")
        return False
    reasons.append(f"guard {name}: {_fmt(got)} vs {_fmt(was)}, ok")
    return True


def gate_candidate(registry: AdapterRegistry, role: str, version: int, candidate: Evaluation,
                   baseline: Evaluation, config: GateConfig, *,
                   baseline_name: str | None = None) -> GateDecision:
    """Decide on a registered candidate, record why in its store row, promote it if it passed.

    ``baseline``: the active adapter's evaluation, or the base model's when none is active.
    """
    if baseline_name is None:
        active = registry.active(role)
        baseline_name = f"active v{active.version}" if active else "the base model"
    decision = decide(candidate, baseline, config, baseline_name)
    registry.record_decision(role, version, decision.to_json())
    if decision.promote:
        registry.promote(role, version)
    return decision
