"""Intervals and tests for Pass@1 (issue 14); the bootstrap needs numpy (the `stats` extra).

Why these: a run's Pass@1 over a few hundred problems moves by several points from sampling
alone, so a single number says little and a difference between two runs says less.

- A run's Pass@1 gets the exact (Clopper-Pearson) 95% interval of a binomial proportion:
  deterministic, so a replayed run reports the very same interval.
- Two runs on the same problems are compared *paired*: the difference of their Pass@1 with a 95%
  percentile bootstrap interval over problems (and over seeds when each side is several runs,
  one per seed), the exact McNemar test on the discordant problems (a two-sided binomial test of
  "A only" among the discordant ones), and the ratio of their cost per
  problem with a bootstrap interval from the same resamples. The bootstrap uses a fixed seed, so
  a report is reproducible.

The interval and the test are exact binomial sums, computed here in plain Python (to within
1e-12 of scipy's `binomtest`, which tests/unit/test_stats.py checks): importing scipy.stats
took a second of every `pat-graph report`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
LEVEL = 0.95


def _numpy() -> Any:
    try:
        import numpy as np
    except ImportError as exc:  # pragma: no cover - depends on the install
        from pat_graph.errors import ConfigError

        raise ConfigError("statistics need numpy: pip install 'pat-graph[stats]'") from exc
    return np


def _tail(n: int, p: float, start: int, step: int) -> float:
    """The sum of Binomial(n, p) probabilities from `start` outward (step -1: down to 0, step +1:
    up to n). `start` is on the far side of the mean, so the terms only shrink from there and
    the sum stops once they no longer change it."""
    log_first = (
        math.lgamma(n + 1) - math.lgamma(start + 1) - math.lgamma(n - start + 1)
        + start * math.log(p) + (n - start) * math.log1p(-p)
    )  # fmt: skip
    term = math.exp(log_first)
    odds = p / (1 - p)
    terms = [term]
    i = start
    while term > 0.0 and 0 < i + (step > 0) <= n:
        term *= (n - i) / (i + 1) * odds if step > 0 else i / (n - i + 1) / odds
        i += step
        terms.append(term)
        if term < 1e-18 * terms[0]:
            break
    return math.fsum(terms)


def _at_most(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), from whichever tail keeps it accurate."""
    if k < 0 or p >= 1.0:
        return 0.0 if k < n else 1.0
    if k >= n or p <= 0.0:
        return 1.0
    if k <= n * p:
        return min(1.0, _tail(n, p, k, -1))
    return max(0.0, 1.0 - _tail(n, p, k + 1, +1))


def _solve(f: Callable[[float], float], target: float) -> float:
    """The p in [0, 1] where the decreasing function f crosses target, by bisection to a
    relative precision of 1e-15."""
    lo, hi = 0.0, 1.0
    while hi - lo > 1e-15 * hi:
        mid = (lo + hi) / 2
        if f(mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def proportion_ci(successes: int, total: int, level: float = LEVEL) -> list[float] | None:
    """The exact (Clopper-Pearson) interval of successes/total; None without problems.

    The lower end is the p at which P(X >= successes) is (1 - level) / 2, the upper end the p
    at which P(X <= successes) is (X ~ Binomial(total, p)); 0 and 1 when successes is 0 or
    total."""
    if total <= 0:
        return None
    if not 0 <= successes <= total:
        raise ValueError(f"successes must be within 0..{total} (got {successes})")
    alpha = (1 - level) / 2
    k, n = successes, total
    low = 0.0 if k == 0 else _solve(lambda p: _at_most(k - 1, n, p), 1 - alpha)
    high = 1.0 if k == n else _solve(lambda p: _at_most(k, n, p), alpha)
    return [low, high]


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value: under "no difference" each discordant problem is a fair
    coin, so `a_only` is Binomial(a_only + b_only, 1/2), and the two tails are equal."""
    n = a_only + b_only
    if n == 0 or a_only == b_only:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(a_only, b_only) + 1))  # exact integers
    return min(1.0, float(Fraction(2 * tail, 2**n)))


def paired_comparison(
    a: Sequence[Sequence[float]],
    b: Sequence[Sequence[float]],
    cost_a: Sequence[float] | None = None,
    cost_b: Sequence[float] | None = None,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = LEVEL,
) -> dict[str, Any]:
    """Paired difference of pass rates, its bootstrap interval and the exact McNemar test.

    `a[i][s]` is 1.0 when side A solved problem i in seed s (one column per seed; one column for
    a single run); `b` likewise, same problems in the same order. Seeds are paired by index for
    McNemar (a discordant pair is one problem in one seed). The bootstrap resamples problems and,
    within each resample, seeds, so both sources of noise are in the interval. `cost_*` are
    per-problem costs (summed over seeds); their ratio of means gets an interval too.
    """
    np = _numpy()
    xa = np.asarray(a, dtype=float)
    xb = np.asarray(b, dtype=float)
    if xa.ndim != 2 or xa.shape[0] != xb.shape[0] or xa.shape[0] == 0:
        raise ValueError("paired_comparison needs the same problems on both sides")
    n = xa.shape[0]
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, n, size=(resamples, n))
    diff = float(xa.mean() - xb.mean())
    boot = _resampled_means(np, rng, xa, rows) - _resampled_means(np, rng, xb, rows)
    alpha = (1 - level) / 2
    seeds = min(xa.shape[1], xb.shape[1])
    a_only = int(((xa[:, :seeds] == 1) & (xb[:, :seeds] == 0)).sum())
    b_only = int(((xa[:, :seeds] == 0) & (xb[:, :seeds] == 1)).sum())
    out: dict[str, Any] = {
        "problems": n,
        "seeds": [int(xa.shape[1]), int(xb.shape[1])],
        "pass_at_1": [float(xa.mean()), float(xb.mean())],
        "difference": diff,
        "ci": [float(np.quantile(boot, alpha)), float(np.quantile(boot, 1 - alpha))],
        "a_only": a_only,
        "b_only": b_only,
        "mcnemar_p": mcnemar_exact(a_only, b_only),
    }
    if cost_a is not None and cost_b is not None:
        ca, cb = np.asarray(cost_a, dtype=float), np.asarray(cost_b, dtype=float)
        if cb.sum() > 0:
            num, den = ca[rows].sum(axis=1), cb[rows].sum(axis=1)
            ratios = num[den > 0] / den[den > 0]
            out["cost_ratio"] = float(ca.sum() / cb.sum())
            out["cost_ratio_ci"] = [
                float(np.quantile(ratios, alpha)),
                float(np.quantile(ratios, 1 - alpha)),
            ]
    return out


def _resampled_means(np: Any, rng: Any, x: Any, rows: Any) -> Any:
    """Mean pass rate per bootstrap resample: problems from `rows`, seeds drawn per resample."""
    if x.shape[1] == 1:
        return x[rows, 0].mean(axis=1)
    cols = rng.integers(0, x.shape[1], size=(rows.shape[0], x.shape[1]))
    picked = x[rows]  # (resamples, problems, seeds)
    seeds = np.take_along_axis(picked, cols[:, None, :].repeat(rows.shape[1], axis=1), axis=2)
    return seeds.mean(axis=(1, 2))


def outcomes(
    task_ids: Sequence[str], results: Mapping[str, Any], field: str = "base"
) -> list[float]:
    """1.0 per selected problem the run solved; unfinished or errored problems count as 0, as
    Pass@1 counts them."""
    out = []
    for task_id in task_ids:
        row = results.get(task_id)
        ok = row is not None and row.status == "done" and bool(getattr(row, field))
        out.append(1.0 if ok else 0.0)
    return out
