"""Pass@1 per difficulty bucket, for benchmarks whose problems carry a rating (xCodeEval: the
PaT paper's Table 2 reports <1200, 1200-1599, 1600-1999 and >=2000 separately).

The rating of a problem travels with its stored result (the runner adds it), so a report needs
no benchmark data; a problem without a result yet (errored, unfinished) is in no bucket and is
counted under `unbucketed`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pat_graph.benchmarks.xcodeeval import RATING_BUCKETS, UNRATED, rating_bucket
from pat_graph.runs.store import ResultRow

BUCKETS: tuple[str, ...] = (*(name for name, _, _ in RATING_BUCKETS), UNRATED)


def by_rating(rows: Sequence[ResultRow]) -> dict[str, Any] | None:
    """`{bucket: {problems, passed, pass_at_1}}` over finished problems, every bucket listed
    (an empty one has pass_at_1 null), plus `unbucketed`; None when no problem has a rating."""
    done = [r for r in rows if r.status == "done"]
    if not any("rating" in (r.result or {}) for r in done):
        return None
    counts = {name: [0, 0] for name in BUCKETS}
    for row in done:
        bucket = rating_bucket((row.result or {}).get("rating"))
        counts[bucket][0] += 1
        counts[bucket][1] += 1 if row.base else 0
    out: dict[str, Any] = {
        name: {"problems": n, "passed": k, "pass_at_1": k / n if n else None}
        for name, (n, k) in counts.items()
    }
    out["unbucketed"] = len(rows) - len(done)
    return out


def rating_text(ratings: Mapping[str, Any]) -> str:
    """`<1200 3/4 (75.0%), 1200-1599 0/0 (-), ...`: one line for the text report."""
    parts = []
    for name in BUCKETS:
        cell = ratings.get(name) or {}
        if name == UNRATED and not cell.get("problems"):
            continue
        rate = cell.get("pass_at_1")
        shown = "-" if rate is None else f"{100 * rate:.1f}%"
        parts.append(f"{name} {cell.get('passed', 0)}/{cell.get('problems', 0)} ({shown})")
    if ratings.get("unbucketed"):
        parts.append(f"{ratings['unbucketed']} without a result yet")
    return ", ".join(parts)
