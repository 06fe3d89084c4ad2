"""Intervals and tests for Pass@1 (issue 14), with numpy and scipy (the optional `stats` extra).

Why these: a run's Pass@1 over a few hundred problems moves by several points from sampling
alone, so a single number says little and a difference between two runs says less.

- A run's Pass@1 gets the exact (Clopper-Pearson) 95% interval of a binomial proportion
  (`scipy.stats.binomtest(...).proportion_ci`): deterministic, so a replayed run reports the
  very same interval.
- Two runs on the same problems are compared *paired*: the difference of their Pass@1 with a 95%
  percentile bootstrap interval over problems (and over seeds when each side is several runs,
  one per seed), the exact McNemar test on the discordant problems (a two-sided binomial test of
  "A only" among the discordant ones, `scipy.stats.binomtest`), and the ratio of their cost per
  problem with a bootstrap interval from the same resamples. The bootstrap uses a fixed seed, so
  a report is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
LEVEL = 0.95


def _libs() -> tuple[Any, Any]:
    try:
        import numpy as np
        from scipy import stats
    except ImportError as exc:  # pragma: no cover - depends on the install
        from pat_graph.errors import ConfigError

        raise ConfigError(
            "statistics need numpy and scipy: pip install 'pat-graph[stats]'"
        ) from exc
    return np, stats


def available() -> bool:
    try:
        _libs()
    except Exception:
        return False
    return True


def proportion_ci(successes: int, total: int, level: float = LEVEL) -> list[float] | None:
    """The exact (Clopper-Pearson) interval of successes/total; None without problems or libs."""
    if total <= 0 or not available():
        return None
    _, stats = _libs()
    ci = stats.binomtest(successes, total).proportion_ci(confidence_level=level, method="exact")
    return [float(ci.low), float(ci.high)]


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value: under "no difference" each discordant problem is a fair
    coin, so `a_only` is Binomial(a_only + b_only, 1/2)."""
    n = a_only + b_only
    if n == 0:
        return 1.0
    _, stats = _libs()
    return float(stats.binomtest(a_only, n, 0.5, alternative="two-sided").pvalue)


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
    np, _ = _libs()
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
