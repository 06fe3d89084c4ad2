"""The statistics against numbers worked out by hand (issue 14)."""

from __future__ import annotations

import pytest

from pat_graph.reporting import stats

# Six problems: A solves 1, 2, 4, 6; B solves 1 and 6. Discordant: problems 2 and 4, both A's.
A = [[1], [1], [0], [1], [0], [1]]
B = [[1], [0], [0], [0], [0], [1]]


def test_exact_mcnemar_is_the_binomial_tail_of_the_discordant_problems():
    # 2 of 2 discordant for A: two-sided p = 2 * (1/2)^2
    assert stats.mcnemar_exact(2, 0) == pytest.approx(0.5)
    # 5 vs 1: two-sided p = 2 * (C(6,0) + C(6,1)) / 2^6 = 14/64
    assert stats.mcnemar_exact(5, 1) == pytest.approx(14 / 64)
    assert stats.mcnemar_exact(0, 0) == 1.0


def test_paired_difference_and_its_bootstrap_interval():
    r = stats.paired_comparison(A, B, [1.0] * 6, [2.0] * 6)
    assert r["difference"] == pytest.approx(1 / 3)
    assert (r["a_only"], r["b_only"]) == (2, 0)
    assert r["mcnemar_p"] == pytest.approx(0.5)
    # A resampled difference is X/6 with X ~ Binomial(6, 1/3) draws of a discordant problem.
    # P(X = 0) = (2/3)^6 = 0.088 > 0.025, so the 2.5% quantile is 0; P(X >= 5) = 0.018 < 0.025
    # <= P(X >= 4) = 0.100, so the 97.5% quantile is 4/6.
    assert r["ci"] == pytest.approx([0.0, 4 / 6])
    # every problem costs A half of what it costs B: the ratio and its interval are 0.5
    assert r["cost_ratio"] == pytest.approx(0.5)
    assert r["cost_ratio_ci"] == pytest.approx([0.5, 0.5])


def test_identical_runs_differ_by_exactly_zero():
    r = stats.paired_comparison(A, A)
    assert r["difference"] == 0 and r["ci"] == [0.0, 0.0] and r["mcnemar_p"] == 1.0


def test_seeds_pair_by_index_and_widen_the_interval():
    a = [[1, 0], [1, 1], [0, 0]]
    b = [[1, 1], [0, 0], [0, 1]]
    r = stats.paired_comparison(a, b)
    assert r["seeds"] == [2, 2] and (r["a_only"], r["b_only"]) == (2, 2)
    assert r["difference"] == 0 and r["mcnemar_p"] == 1.0
    assert r["ci"][0] < 0 < r["ci"][1]


def test_run_interval_is_clopper_pearson():
    # 4 of 6: the exact 95% interval (Clopper-Pearson tables) is [0.2228, 0.9567]
    low, high = stats.proportion_ci(4, 6)
    assert low == pytest.approx(0.2228, abs=1e-4) and high == pytest.approx(0.9567, abs=1e-4)
    assert stats.proportion_ci(0, 0) is None


def test_interval_and_test_agree_with_scipy_binomtest():
    """The plain-Python sums against scipy's exact binomtest on every k of small n and a spread
    of k for run sizes up to 2000 (scipy is in the test extra, not needed by report)."""
    scipy_stats = pytest.importorskip("scipy.stats")
    cases = [(k, n) for n in range(1, 31) for k in range(n + 1)]
    cases += [(k, n) for n in (164, 378, 2000) for k in (0, 1, 2, n // 7, n // 2, n - 3, n)]
    for k, n in cases:
        ci = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert stats.proportion_ci(k, n) == pytest.approx([ci.low, ci.high], abs=1e-12), (k, n)
        p = scipy_stats.binomtest(k, n, 0.5).pvalue
        assert stats.mcnemar_exact(k, n - k) == pytest.approx(p, abs=1e-12), (k, n)
    with pytest.raises(ValueError, match=r"within 0\.\.6"):
        stats.proportion_ci(7, 6)
