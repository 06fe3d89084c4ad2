"""Numbers per run from the results table: the `report --json` contract plus a text table.

Everything is recomputed from stored results (never from progress counters), so a report after a
crash and resume is the same as one from an uninterrupted run.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pat_graph.errors import ConfigError
from pat_graph.graph.budgets import knob_changes
from pat_graph.graph.verdict import recorded_untested, recorded_verified
from pat_graph.models.cost import summarize
from pat_graph.models.transport import wire_summary
from pat_graph.reporting.ratings import by_rating, rating_text
from pat_graph.reporting.research_report import format_rows, run_fields
from pat_graph.reporting.seed_groups import add_seed_groups, format_groups
from pat_graph.runs.store import ResultRow, RunRecord


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def summarize_run(
    record: RunRecord,
    rows: Sequence[ResultRow],
    calls: Sequence[Mapping[str, Any]] | None = None,
    notes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The run's numbers. Pass@1 is over every selected problem (an errored or unfinished problem
    is a failure, as EvalPlus counts a missing sample); `calls` (the per-request ledger) is the
    whole bill, `used` what the final results' ledgers hold."""
    done = [r for r in rows if r.status == "done"]
    errored = [r for r in rows if r.status == "errored"]
    ledger = [entry for r in done for entry in (r.result or {}).get("ledger", [])]
    used = summarize(ledger)
    # Runs recorded before the call ledger existed only have the final results' ledgers.
    spent = summarize(calls) if calls else used
    n = len(done)
    plus_known = [r for r in done if r.plus is not None]
    checked = [r for r in done if (r.result or {}).get("generated_false_positives") is not None]
    fp = sum(int((r.result or {})["generated_false_positives"]) for r in checked)
    fp_total = sum(len((r.result or {}).get("generated_tests") or []) for r in checked)
    problems = max(record.problems, len(rows))
    passed = sum(1 for r in done if r.base)
    has_plus = bool(plus_known) if done else "plus" in Path(str(record.benchmark)).name
    generator = record.generator.get("name")
    pass_at_1 = _rate(passed, problems)
    return {
        "run": record.name,
        "benchmark": record.benchmark,
        "data_hash": record.data_hash,
        "policy": record.policy,
        "generator": generator,
        # The model that planned: the generator's when no planner was given.
        "planner": generator if record.planner is None else record.planner.get("name"),
        "planner_is_generator": record.planner is None,
        "seed": record.seed,
        "budgets": record.budgets,
        # issue 10: the profile and the knobs set on top of it (policy defaults, --budget)
        "profile": record.budgets.get("profile"),
        "knobs": knob_changes(record.budgets),
        # issue 20: whether "/no_think" started the system prompts (every policy, baselines too);
        # null for runs recorded before the knob existed
        "no_think": record.budgets.get("no_think"),
        "problems": problems,
        "done": n,
        "errored": len(errored),
        "unfinished": problems - n - len(errored),
        "complete": n == problems,
        "pass_at_1": 0.0 if pass_at_1 is None else pass_at_1,
        "pass_at_1_plus": (sum(1 for r in plus_known if r.plus) / problems if problems else 0.0)
        if has_plus
        else None,
        "pass_at_1_all": pass_at_1,  # the same number; kept for readers of older reports
        "pass_at_1_done": _rate(passed, n),
        # issue 22: at least one in-loop test ran and passed; zero-test picks are `untested`
        "verified_rate": _rate(sum(1 for r in done if recorded_verified(r.result)), n),
        "untested": sum(1 for r in done if recorded_untested(r.result)),
        "planner_invocation_rate": _rate(
            sum(1 for r in done if (r.result or {}).get("planner_calls", 0) > 0), n
        ),
        "llm_calls": _by_role(spent["llm_calls"], 0),
        "tokens": _by_role(spent["tokens"], {"input": 0, "output": 0}),
        "cost_usd": spent["cost_usd"],
        "cost_unknown_calls": spent["cost_unknown_calls"],
        "usage_unreported_calls": spent["usage_unreported_calls"],
        "cost_per_problem_usd": _per(spent["cost_usd"], len(rows)),
        "used": {
            "llm_calls": _by_role(used["llm_calls"], 0),
            "tokens": _by_role(used["tokens"], {"input": 0, "output": 0}),
            "cost_usd": used["cost_usd"],
            "cost_unknown_calls": used["cost_unknown_calls"],
        },
        "bill": "calls" if calls else "results",
        "generated_tests_checked": fp_total,
        "generated_false_positives": fp,
        "generated_false_positive_rate": _rate(fp, fp_total),
        "errors": {r.task_id: r.error for r in errored},
        # issue 22: what the HTTP layer under the clients saw, per role (models/transport.py)
        "http": wire_summary(calls if calls else ledger),
        # issue 20: Pass@1 per rating bucket (xCodeEval); null without ratings
        "by_rating": by_rating(rows),
        # issue 14: intervals, paid vs represented cost, replay/pairing/budget notes
        **run_fields(rows, calls or [], notes or {}, problems, bool(has_plus)),
    }


def _by_role(values: Mapping[str, Any], empty: Any) -> dict[str, Any]:
    return {role: copy.deepcopy(values.get(role, empty)) for role in ("generator", "planner")}


def _per(value: float | None, n: int) -> float | None:
    return None if value is None or not n else value / n


def add_relative_cost(summaries: list[dict[str, Any]], baseline: str | None) -> None:
    """Cost per problem divided by the baseline run's (the paper's cost ratio, fair between runs
    of different sizes); null without a baseline or when either cost is unknown."""
    base = next((s for s in summaries if s["run"] == baseline), None) if baseline else None
    if baseline and base is None:
        raise ConfigError(f"--baseline {baseline!r} is not among the reported runs")
    for s in summaries:
        cost = base["cost_per_problem_usd"] if base else None
        mine = s["cost_per_problem_usd"]
        s["baseline"] = baseline
        s["relative_cost"] = mine / cost if cost and mine is not None else None


async def load_summaries(
    db_path: str | Path,
    runs: Sequence[str] | None = None,
    baseline: str | None = None,
    ks: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """The summaries of `runs` (all by default, the baseline added) from an SQLite file or a
    postgresql:// URL (issue 13): one reader for both backends, so they check and summarise
    alike; only SQLite keeps the recorded-answer notes."""
    from pat_graph.models.responses import notes
    from pat_graph.runs.pgstore import is_postgres_url, open_run_store, redact

    pg = is_postgres_url(db_path)
    async with open_run_store(db_path, readonly=True) as store:
        records = {r.name: r for r in await store.list_runs()}
        wanted = list(runs) if runs else list(records)
        if baseline and baseline not in wanted:
            wanted.append(baseline)
        missing = [name for name in wanted if name not in records]
        if missing:
            known = ", ".join(records) or "none"
            where = redact(str(db_path)) if pg else db_path
            raise ConfigError(f"unknown run(s) {', '.join(missing)} in {where}; known: {known}")
        summaries = []
        results = {}
        for n in wanted:
            rows, calls = await store.results(n), await store.calls(n)
            results[n] = rows
            extra = None if pg else await notes(store.conn, store.lock, n)
            summaries.append(summarize_run(records[n], rows, calls, extra))
    add_relative_cost(summaries, baseline)
    add_seed_groups(summaries, list(records.values()), results, ks)  # issue 22: pass@k
    return summaries


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _usd(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.6f}"


def cost_text(s: Mapping[str, Any]) -> str:
    """The whole bill, what the final results used, and calls whose cost is unknown."""
    calls = sum(s["llm_calls"].values())
    unknown = int(s.get("cost_unknown_calls") or 0)
    # Some calls were answered from a recorded run (issue 14): their cost was not paid now.
    spent = "represented by" if s.get("replayed_calls") else "spent in"
    if s["cost_usd"] is None:
        text = f"unknown ({calls} calls)"
    elif unknown:
        text = f"{_usd(s['cost_usd'])} {spent} the {calls - unknown} calls with a known cost"
    else:
        text = f"{_usd(s['cost_usd'])} {spent} {calls} calls"
    if s.get("relative_cost") is not None:
        text += f" ({s['relative_cost']:.2f}x {s['baseline']} per problem)"
    used = s.get("used")
    if used and s.get("bill") == "calls":
        used_calls = sum(used["llm_calls"].values())
        text += f"; final results used {_usd(used['cost_usd'])} ({used_calls} calls)"
    if s.get("cost_unknown_calls"):
        text += f"; cost unknown for {s['cost_unknown_calls']} calls"
        if s.get("usage_unreported_calls"):
            text += f" ({s['usage_unreported_calls']} without usage from the server)"
    return text


def http_rows(s: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Retries, 429s and failed requests per role (one line each; "none" when clean)."""
    rows = []
    for role, c in (s.get("http") or {}).items():
        text = (
            f"{c['retried_requests']} requests retried ({c['retries']} retries), "
            f"{c['rate_limited']} rate-limited (429), {c['server_errors']} server errors (5xx), "
            f"{c['connection_errors']} without answer, {c['failed_requests']} failed"
        )
        rows.append((f"{role} http", text if any(c.values()) else "no retries or errors"))
    return rows


def _verified_text(s: Mapping[str, Any]) -> str:
    untested = s.get("untested") or 0
    note = f" ({untested} untested: chosen with no in-loop test run)" if untested else ""
    return _pct(s["verified_rate"]) + note


def _profile_text(s: Mapping[str, Any]) -> str:
    """`paper`, or `paper + planner_feedback=true, ...` when knobs were set on top of it."""
    profile = s.get("profile") or "- (recorded before profiles)"
    knobs = s.get("knobs") or {}
    if not knobs:
        return profile
    return profile + " + " + ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(knobs.items()))


def _no_think_text(value: Any) -> str:
    if value is None:
        return "- (not recorded)"
    return "sent (system prompts start with /no_think)" if value else "not sent"


def format_table(summaries: Sequence[Mapping[str, Any]]) -> str:
    """One block per run: readable in a terminal and pasteable into an issue."""
    blocks: list[str] = []
    for s in summaries:
        tokens = s["tokens"]
        planner = s["planner"] or "-"
        if s.get("planner_is_generator"):
            planner += " (the generator)"
        selected = f"{s['done']} done, {s['errored']} errored, {s['problems']} selected"
        if not s.get("complete", True):
            selected += f" (incomplete: {s.get('unfinished', 0)} not run yet)"
        rows = [
            ("benchmark", s["benchmark"]),
            ("policy", s["policy"]),
            ("profile", _profile_text(s)),
            ("models", f"generator={s['generator']} planner={planner}"),
            ("problems", selected),
            (
                "pass@1",
                f"{_pct(s['pass_at_1'])} of {s['problems']} selected "
                f"(plus {_pct(s['pass_at_1_plus'])})",
            ),
            *([("pass@1 by rating", rating_text(s["by_rating"]))] if s.get("by_rating") else []),
            ("/no_think", _no_think_text(s.get("no_think"))),
            ("verified", _verified_text(s)),
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
        rows.append(("cost", cost_text(s)))
        rows.extend(http_rows(s))
        rows.extend(format_rows(s))
        width = max(len(k) for k, _ in rows)
        lines = [f"run {s['run']}"] + [f"  {k:<{width}}  {v}" for k, v in rows]
        blocks.append("\n".join(lines))
    groups = format_groups(summaries)
    return "\n\n".join([*blocks, groups] if groups else blocks)


async def export_samples(
    db_path: str | Path, run: str, out: str | Path, *, force: bool = False
) -> int:
    """EvalPlus samples (`{task_id, solution}`, whole programs) of a run's finished problems.

    Never overwrites the database itself, nor a file that is not a samples file, without
    `force` (see pat_graph.files.outputs); the file is replaced atomically.
    """
    from pat_graph.files.outputs import check_output, looks_like_samples, write_atomic

    await load_summaries(db_path, [run])  # validates the db and the run name
    target = check_output(
        out, purpose="a samples file", ours=looks_like_samples, force=force, protect=[db_path]
    )
    from pat_graph.runs.pgstore import open_run_store

    async with open_run_store(db_path, readonly=True) as store:
        rows = await store.results(run)
    lines = [
        json.dumps({"task_id": r.task_id, "solution": (r.result or {}).get("code", "")}) + "\n"
        for r in rows
        if r.status == "done"
    ]
    write_atomic(target, "".join(lines))
    return len(lines)
