"""Numbers per run from the results table: the `report --json` contract plus a text table.

Everything is recomputed from stored results (never from progress counters), so a report after a
crash and resume is the same as one from an uninterrupted run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pat_graph.budgets import knob_changes
from pat_graph.cost import summarize
from pat_graph.errors import ConfigError
from pat_graph.store import ResultRow, RunRecord, Store, open_db


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def summarize_run(record: RunRecord, rows: Sequence[ResultRow]) -> dict[str, Any]:
    done = [r for r in rows if r.status == "done"]
    errored = [r for r in rows if r.status == "errored"]
    ledger = [entry for r in done for entry in (r.result or {}).get("ledger", [])]
    usage = summarize(ledger)
    # fsum: the total must not depend on the order problems finished in (resume vs not).
    usage["cost_usd"] = math.fsum(float(entry["cost_usd"]) for entry in ledger)
    n = len(done)
    plus_known = [r for r in done if r.plus is not None]
    checked = [r for r in done if (r.result or {}).get("generated_false_positives") is not None]
    fp = sum(int((r.result or {})["generated_false_positives"]) for r in checked)
    fp_total = sum(len((r.result or {}).get("generated_tests") or []) for r in checked)
    problems = max(record.problems, len(rows))
    passed = sum(1 for r in done if r.base)
    return {
        "run": record.name,
        "benchmark": record.benchmark,
        "data_hash": record.data_hash,
        "policy": record.policy,
        "generator": record.generator.get("name"),
        "planner": None if record.planner is None else record.planner.get("name"),
        "seed": record.seed,
        "budgets": record.budgets,
        # issue 10: the profile and the knobs set on top of it (policy defaults, --budget)
        "profile": record.budgets.get("profile"),
        "knobs": knob_changes(record.budgets),
        "problems": problems,
        "done": n,
        "errored": len(errored),
        "pass_at_1": _rate(passed, n),
        "pass_at_1_plus": _rate(sum(1 for r in plus_known if r.plus), n) if plus_known else None,
        # Pass@1 over every selected problem, errored and unfinished ones counting as failures.
        "pass_at_1_all": _rate(passed, problems),
        "verified_rate": _rate(sum(1 for r in done if (r.result or {}).get("verified")), n),
        "planner_invocation_rate": _rate(
            sum(1 for r in done if (r.result or {}).get("planner_calls", 0) > 0), n
        ),
        "llm_calls": {role: usage["llm_calls"].get(role, 0) for role in ("generator", "planner")},
        "tokens": {
            role: dict(usage["tokens"].get(role, {"input": 0, "output": 0}))
            for role in ("generator", "planner")
        },
        "cost_usd": usage["cost_usd"],
        "cost_per_problem_usd": _rate_f(usage["cost_usd"], n),
        "generated_tests_checked": fp_total,
        "generated_false_positives": fp,
        "generated_false_positive_rate": _rate(fp, fp_total),
        "errors": {r.task_id: r.error for r in errored},
    }


def _rate_f(value: float, n: int) -> float | None:
    return value / n if n else None


def add_relative_cost(summaries: list[dict[str, Any]], baseline: str | None) -> None:
    """cost_usd divided by the baseline run's (the paper's cost ratio); null without one."""
    base = next((s for s in summaries if s["run"] == baseline), None) if baseline else None
    if baseline and base is None:
        raise ConfigError(f"--baseline {baseline!r} is not among the reported runs")
    for s in summaries:
        cost = base["cost_usd"] if base else 0.0
        s["baseline"] = baseline
        s["relative_cost"] = s["cost_usd"] / cost if base and cost else None


async def load_summaries(
    db_path: str | Path, runs: Sequence[str] | None = None, baseline: str | None = None
) -> list[dict[str, Any]]:
    if not Path(db_path).exists():
        raise ConfigError(f"no database at {db_path}; run `pat-graph run` first or pass --db")
    conn = await open_db(str(db_path))
    try:
        store = Store(conn)
        await store.setup()
        records = {r.name: r for r in await store.list_runs()}
        wanted = list(runs) if runs else list(records)
        if baseline and baseline not in wanted:
            wanted.append(baseline)
        missing = [name for name in wanted if name not in records]
        if missing:
            known = ", ".join(records) or "none"
            raise ConfigError(f"unknown run(s) {', '.join(missing)} in {db_path}; known: {known}")
        summaries = [summarize_run(records[n], await store.results(n)) for n in wanted]
    finally:
        await conn.close()
    add_relative_cost(summaries, baseline)
    return summaries


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _profile_text(s: Mapping[str, Any]) -> str:
    """`paper`, or `paper + planner_feedback=true, ...` when knobs were set on top of it."""
    profile = s.get("profile") or "- (recorded before profiles)"
    knobs = s.get("knobs") or {}
    if not knobs:
        return profile
    return profile + " + " + ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(knobs.items()))


def format_table(summaries: Sequence[Mapping[str, Any]]) -> str:
    """One block per run: readable in a terminal and pasteable into an issue."""
    blocks: list[str] = []
    for s in summaries:
        tokens = s["tokens"]
        rows = [
            ("benchmark", s["benchmark"]),
            ("policy", s["policy"]),
            ("profile", _profile_text(s)),
            ("models", f"generator={s['generator']} planner={s['planner'] or '-'}"),
            ("problems", f"{s['done']} done, {s['errored']} errored, {s['problems']} selected"),
            ("pass@1", f"{_pct(s['pass_at_1'])} (plus {_pct(s['pass_at_1_plus'])})"),
            ("verified", _pct(s["verified_rate"])),
            ("planner invoked", _pct(s["planner_invocation_rate"])),
            ("generated-test FP", _pct(s["generated_false_positive_rate"])),
        ]
        for role in ("generator", "planner"):
            rows.append(
                (
                    f"{role} calls/tokens",
                    f"{s['llm_calls'][role]} calls, {tokens[role]['input']} in, "
                    f"{tokens[role]['output']} out",
                )
            )
        cost = f"${s['cost_usd']:.6f}"
        if s.get("relative_cost") is not None:
            cost += f" ({s['relative_cost']:.2f}x {s['baseline']})"
        rows.append(("cost", cost))
        width = max(len(k) for k, _ in rows)
        lines = [f"run {s['run']}"] + [f"  {k:<{width}}  {v}" for k, v in rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def export_samples(db_path: str | Path, run: str, out: str | Path) -> int:
    """EvalPlus samples (`{task_id, solution}`, whole programs) of a run's finished problems."""
    import json

    summaries = await load_summaries(db_path, [run])
    del summaries  # validates the db and the run name with the usual messages
    conn = await open_db(str(db_path))
    try:
        rows = await Store(conn).results(run)
    finally:
        await conn.close()
    count = 0
    with Path(out).open("w", encoding="utf-8") as fh:
        for r in rows:
            if r.status == "done":
                code = (r.result or {}).get("code", "")
                fh.write(json.dumps({"task_id": r.task_id, "solution": code}) + "\n")
                count += 1
    return count
