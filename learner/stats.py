"""The significance tests the promotion gate uses: exact, seeded, and pure.

* :func:`sign_test` — the paired test of "the candidate is better on the same held-out
  states": exact one-sided binomial on wins against losses (ties dropped). On 0/1 outcomes it
  is McNemar's exact test; on graded rewards it is the sign test.
* :func:`auc_p_value` — is a scorer's AUC above chance? A one-sided permutation test of the
  Mann–Whitney statistic, with a fixed seed so the same data always gives the same p.

The design choice a reader must know: every test here is one-sided (the gate only asks "is it
better?") and deterministic, so a night's decision can be re-derived from the stored figures.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


def binomial_tail(k: int, n: int, p: float = 0.5) -> float:
    """P(X >= k) for X ~ Binomial(n, p).

    >>> binomial_tail(0, 5), round(binomial_tail(5, 5), 5), round(binomial_tail(3, 4), 4)
    (1.0, 0.03125, 0.3125)
    """
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return min(1.0, sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1)))


def sign_test(wins: int, losses: int) -> float:
    """One-sided p-value that wins outnumber losses by more than chance (ties excluded).

    >>> round(sign_test(6, 0), 4), round(sign_test(8, 2), 4), sign_test(0, 0)
    (0.0156, 0.0547, 1.0)
    """
    return binomial_tail(wins, wins + losses)


def paired_outcome(candidate: Sequence[float], baseline: Sequence[float],
                   eps: float = 1e-9) -> tuple[int, int]:
    """(wins, losses) of the candidate over the baseline, state by state.

    >>> paired_outcome([1, 1, 0, 0.5], [0, 1, 1, 0.25])
    (2, 1)
    """
    if len(candidate) != len(baseline):
        raise ValueError(f"{len(candidate)} candidate results for {len(baseline)} baseline ones")
    wins = sum(1 for c, b in zip(candidate, baseline, strict=True) if c > b + eps)
    losses = sum(1 for c, b in zip(candidate, baseline, strict=True) if c < b - eps)
    return wins, losses


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank.

    >>> _ranks([0.3, 0.1, 0.3])
    [2.5, 1.0, 2.5]
    """
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def _auc_from_rank_sum(rank_sum: float, n_pos: int, n_neg: int) -> float:
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def mann_whitney(scores: Sequence[float], positives: Sequence[bool]) -> float:
    """AUC as the Mann–Whitney statistic (ties count half); NaN with one class only.

    >>> mann_whitney([0.9, 0.8, 0.3, 0.1], [True, False, True, False])
    0.75
    >>> mann_whitney([0.5, 0.5], [True, True])
    nan
    >>> mann_whitney([0.5, 0.5, 0.5], [True, False, False])
    0.5
    """
    if len(scores) != len(positives):
        raise ValueError(f"{len(scores)} scores for {len(positives)} labels")
    n_pos = sum(1 for p in positives if p)
    n_neg = len(positives) - n_pos
    if not n_pos or not n_neg:
        return float("nan")
    ranks = _ranks(scores)
    return _auc_from_rank_sum(sum(r for r, p in zip(ranks, positives, strict=True) if p),
                              n_pos, n_neg)


def auc_p_value(scores: Sequence[float], positives: Sequence[bool], *,
                permutations: int = 2000, seed: int = 0) -> float:
    """One-sided permutation p-value of "AUC > 0.5" (1.0 with one class only).

    >>> auc_p_value([0.9, 0.8, 0.7, 0.2, 0.1, 0.0], [True] * 3 + [False] * 3) < 0.06
    True
    >>> auc_p_value([0.5] * 6, [True] * 3 + [False] * 3)
    1.0
    """
    observed = mann_whitney(scores, positives)
    if math.isnan(observed):
        return 1.0
    ranks = _ranks(scores)
    n_pos = sum(1 for p in positives if p)
    n_neg = len(ranks) - n_pos
    rng = random.Random(seed)
    at_least = sum(
        1 for _ in range(permutations)
        if _auc_from_rank_sum(sum(rng.sample(ranks, n_pos)), n_pos, n_neg) >= observed - 1e-12)
    return (at_least + 1) / (permutations + 1)
