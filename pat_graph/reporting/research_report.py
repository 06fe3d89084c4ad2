"""The issue-14 part of `report`: intervals, what was paid vs represented, replay/pairing/budget
notes, and `report --compare A B`.

Kept apart from report.py so the per-run contract there stays readable; report.py merges
`run_fields` into each run's summary and `format_rows` into its text block.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pat_graph.errors import ConfigError
from pat_graph.models.spend import paid
from pat_graph.reporting import stats


def run_fields(
    rows: Sequence[Any],
    calls: Sequence[Mapping[str, Any]],
    notes: Mapping[str, Any],
    problems: int,
    has_plus: bool,
) -> dict[str, Any]:
    """Pass@1 intervals, this invocation-independent bill split, and the run's notes.

    `cost_usd` (report.py) is what the run's calls cost, replayed ones at their recorded tokens:
    the cost the run represents. `cost_paid_usd` is what was paid for this run's own requests;
    for a replay of a finished run it is 0.
    """
    done = [r for r in rows if r.status == "done"]
    passed = sum(1 for r in done if r.base)
    plus = sum(1 for r in done if r.plus)
    replayed = [e for e in calls if e.get("replayed")]
    live = [e for e in calls if not e.get("replayed")]
    known_live = [e for e in live if e.get("cost_usd") is not None]
    paid_usd = math.fsum(paid(e) for e in known_live) if known_live or not live else None
    return {
        "pass_at_1_ci": stats.proportion_ci(passed, problems),
        "pass_at_1_plus_ci": stats.proportion_ci(plus, problems) if has_plus else None,
        "cost_paid_usd": paid_usd,
        "replayed_calls": sum(int(e.get("requests", 1)) for e in replayed),
        "replayed_from": notes.get("replayed_from"),
        "paired_with": notes.get("paired_with"),
        "budget_stop": notes.get("budget_stop"),
        "budget_capped": sum(1 for r in done if (r.result or {}).get("budget_capped")),
        "cached_tokens": sum(int(e.get("cached_tokens") or 0) for e in calls),
        "reasoning_tokens": sum(int(e.get("reasoning_tokens") or 0) for e in calls),
    }


def _usd(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.6f}"


def _ci(ci: Sequence[float] | None) -> str:
    return "-" if not ci else f"[{100 * ci[0]:.1f}%, {100 * ci[1]:.1f}%]"


def format_rows(s: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Extra lines for a run's block in the text report (only those that say something)."""
    rows = [
        ("pass@1 95% CI", f"{_ci(s.get('pass_at_1_ci'))} (plus {_ci(s.get('pass_at_1_plus_ci'))})")
    ]
    if s.get("replayed_calls") or s.get("replayed_from") or s.get("paired_with"):
        rows.append(
            (
                "paid in this run",
                f"{_usd(s.get('cost_paid_usd'))} ({s.get('replayed_calls', 0)} calls answered "
                f"from the store; the run represents {_usd(s.get('cost_usd'))})",
            )
        )
    for key, label in (("replayed_from", "replayed from"), ("paired_with", "paired with")):
        if s.get(key):
            rows.append((label, f"run {s[key]['run']} in {s[key]['db']}"))
    stop = s.get("budget_stop")
    if stop:
        rows.append(
            (
                "stopped at budget",
                f"--max-cost-usd {stop['max_cost_usd']} reached (spent "
                f"{_usd(stop['spent_usd'])}); {stop['not_started']} problems not started - "
                "run again with a higher budget to go on",
            )
        )
    if s.get("budget_capped"):
        rows.append(("problem budget hit", f"{s['budget_capped']} problems finalized early"))
    if s.get("cached_tokens") or s.get("reasoning_tokens"):
        rows.append(
            (
                "cached/reasoning",
                f"{s.get('cached_tokens', 0)} cached prompt tokens, "
                f"{s.get('reasoning_tokens', 0)} reasoning tokens",
            )
        )
    return rows


def _groups(names: Sequence[str], wanted: str) -> list[str]:
    """A run, or the runs of one `--seeds` prefix (`NAME-seed0`, `NAME-seed1`, ...)."""
    if wanted in names:
        return [wanted]
    group = sorted(n for n in names if n.startswith(f"{wanted}-seed"))
    if not group:
        raise ConfigError(
            f"--compare: no run {wanted!r} (nor {wanted}-seedN runs) in this database"
        )
    return group


async def compare(db_path: str | Path, run_a: str, run_b: str) -> dict[str, Any]:
    """`report --compare A B`: paired difference (base and plus), McNemar, cost ratio."""
    from pat_graph.runs.store import Store, open_db

    conn = await open_db(db_path, readonly=True)
    try:
        store = Store(conn, readonly=True)
        names = [r.name for r in await store.list_runs()]
        sides = []
        for wanted in (run_a, run_b):
            runs = _groups(names, wanted)
            results = [{r.task_id: r for r in await store.results(n)} for n in runs]
            costs: dict[str, float] = defaultdict(float)
            for n in runs:
                for entry in await store.calls(n):
                    costs[entry["task_id"]] += float(entry.get("cost_usd") or 0.0)
            sides.append((runs, results, costs))
    finally:
        await conn.close()
    (runs_a, res_a, cost_a), (runs_b, res_b, cost_b) = sides
    tasks = sorted(set().union(*res_a) & set().union(*res_b))
    if not tasks:
        raise ConfigError(f"--compare: {run_a} and {run_b} share no problem")
    out: dict[str, Any] = {"a": runs_a, "b": runs_b, "problems": len(tasks)}
    for field in ("base", "plus"):
        a = _matrix(tasks, res_a, field)
        b = _matrix(tasks, res_b, field)
        if field == "plus" and not _has_plus(res_a + res_b):
            out[field] = None
            continue
        out[field] = stats.paired_comparison(
            a, b, [cost_a[t] for t in tasks], [cost_b[t] for t in tasks]
        )
    return out


def _has_plus(results: Sequence[Mapping[str, Any]]) -> bool:
    return any(r.plus is not None for res in results for r in res.values())


def _matrix(tasks: Sequence[str], results: Sequence[Mapping[str, Any]], field: str) -> list:
    columns = [stats.outcomes(tasks, res, field) for res in results]
    return [list(row) for row in zip(*columns, strict=True)]


def format_compare(c: Mapping[str, Any]) -> str:
    lines = [f"compare {' + '.join(c['a'])}  vs  {' + '.join(c['b'])}  ({c['problems']} problems)"]
    for field in ("base", "plus"):
        r = c.get(field)
        if not r:
            continue
        lo, hi = r["ci"]
        lines.append(
            f"  pass@1 {field:<4}  {100 * r['pass_at_1'][0]:.1f}% vs {100 * r['pass_at_1'][1]:.1f}%"
            f"  difference {100 * r['difference']:+.1f} points, 95% CI [{100 * lo:+.1f}, "
            f"{100 * hi:+.1f}]; McNemar exact p = {r['mcnemar_p']:.4g} "
            f"({r['a_only']} solved only by A, {r['b_only']} only by B)"
        )
    r = c.get("base") or {}
    if "cost_ratio" in r:
        lo, hi = r["cost_ratio_ci"]
        lines.append(f"  cost ratio A/B  {r['cost_ratio']:.3f}, 95% CI [{lo:.3f}, {hi:.3f}]")
    return "\n".join(lines)
