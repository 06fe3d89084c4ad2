"""`pat-graph run --dry-run`: what a run would send and cost, before anything is sent or created.

Two estimates, because neither alone is honest:
- from the budgets (graph/estimate.py): requests per problem on the cheapest path and at every
  limit; tokens from the selected problems' real trial prompts (characters / CHARS_PER_TOKEN; a
  planning prompt also shows the attempt, counted at the generator's max_tokens) and answers at
  `max_tokens` per sample, so both costs are ceilings of their path;
- from a recorded run in `--db` (the same run when it has results, else the closest run of
  the same policy: same benchmark, then same generator): its measured requests and tokens per
  problem, priced at this run's models. This is the realistic one.
The database is opened read-only, no model is built, no server is asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pat_graph.graph import prompts
from pat_graph.graph.budgets import Budgets
from pat_graph.graph.estimate import HELPERS_PER_PLAN, requests_per_problem, stages
from pat_graph.runs.pgstore import is_postgres_url, open_run_store

CHARS_PER_TOKEN = 4  # sizes a forecast only; what a run bills is always the servers' usage
ROLES = ("generator", "planner")


async def estimate_run(
    *,
    run: str,
    db: str | Path,
    benchmark: Any,
    tasks: Sequence[Any],
    policy: str,
    budgets: Budgets,
    models: Mapping[str, Any],
    helpers: int = HELPERS_PER_PLAN,
) -> dict[str, Any]:
    """The dry run's numbers for `tasks` of `benchmark` (a JSON-ready dict, see the module
    docstring); `models` maps generator (and planner) to its ModelSpec."""
    models = {
        "generator": models["generator"],
        "planner": models.get("planner") or models["generator"],
    }
    runs = await _recorded_runs(db)
    own = runs.get(run)
    done_before = set(own["done"]) if own else set()
    todo = [t for t in tasks if t.task_id not in done_before]
    prompt = _mean_prompt_tokens(todo or tasks, budgets.benchmark_patches)
    inputs = {"generator": prompt, "planner": prompt + int(models["generator"].max_tokens)}
    node = stages(policy, budgets)
    per_problem = {
        path: _priced(node, counts, inputs, models)
        for path, counts in requests_per_problem(policy, budgets, helpers).items()
    }
    measured = _closest(runs, run, policy, benchmark.name, models["generator"].name)
    return {
        "run": run,
        "policy": policy,
        "benchmark": benchmark.name,
        "problems": len(tasks),
        "done_before": len(done_before & {t.task_id for t in tasks}),
        "to_solve": len(todo),
        "models": {
            role: _model(spec) for role, spec in models.items() if any(s.role == role for s in node)
        },
        "stages": [vars(s) for s in node],
        "helpers_per_plan": helpers,
        "prompt_tokens": prompt,
        "per_problem": per_problem,
        "whole_run": {path: _times(v, len(todo)) for path, v in per_problem.items()},
        "recorded": _from_recorded(measured, models, len(todo)) if measured else None,
    }


def _mean_prompt_tokens(tasks: Iterable[Any], patched: bool) -> int:
    sizes = [
        sum(len(str(m.content)) for m in prompts.trial_messages(t.problem_for(patched).to_dict()))
        for t in tasks
    ]
    return -(-sum(sizes) // max(1, len(sizes)) // CHARS_PER_TOKEN) if sizes else 0


def _priced(
    node: Sequence[Any],
    counts: Mapping[str, int],
    inputs: Mapping[str, int],
    models: Mapping[str, Any],
) -> dict[str, Any]:
    """Requests per stage and role, token ceilings and the cost ceiling of one problem."""
    requests = dict.fromkeys(ROLES, 0)
    tokens = {role: {"input": 0, "output": 0} for role in ROLES}
    for stage in node:
        count = counts[stage.name]
        requests[stage.role] += count
        tokens[stage.role]["input"] += count * inputs[stage.role]
        tokens[stage.role]["output"] += count * stage.samples * int(models[stage.role].max_tokens)
    return {"stages": dict(counts), "requests": requests, "tokens": tokens,
            "cost_usd": _cost(tokens, models)}  # fmt: skip


def _cost(tokens: Mapping[str, Mapping[str, float]], models: Mapping[str, Any]) -> float | None:
    total = 0.0
    for role in ROLES:
        spec = models[role]
        used = tokens[role]
        if not used["input"] and not used["output"]:
            continue
        if spec.input_price is None or spec.output_price is None:
            return None
        total += (used["input"] * spec.input_price + used["output"] * spec.output_price) / 1e6
    return total


def _times(one: Mapping[str, Any], problems: int) -> dict[str, Any]:
    cost = one["cost_usd"]
    return {
        "requests": sum(one["requests"].values()) * problems,
        "cost_usd": None if cost is None else cost * problems,
    }


def _model(spec: Any) -> dict[str, Any]:
    keys = ("name", "input_price", "output_price", "max_tokens")
    return {k: getattr(spec, k, None) for k in keys}


# ----- a recorded run ------------------------------------------------------------------------
async def _recorded_runs(db: str | Path) -> dict[str, dict[str, Any]]:
    """Every run in `db` with an outcome: its record, finished task ids and measured usage."""
    if not is_postgres_url(db) and not Path(db).exists():
        return {}
    found: dict[str, dict[str, Any]] = {}
    async with open_run_store(db, readonly=True) as store:
        for record in await store.list_runs():
            rows = await store.results(record.name)
            if not rows:
                continue
            found[record.name] = {
                "record": record,
                "done": [r.task_id for r in rows if r.status == "done"],
                "outcomes": {r.task_id for r in rows},
                "calls": await store.calls(record.name),
            }
    return found


def _closest(
    runs: Mapping[str, dict[str, Any]], run: str, policy: str, benchmark: str, generator: str
) -> dict[str, Any] | None:
    """This run when it has outcomes; else the same policy's run on the same benchmark, then
    with the same generator, then the largest."""
    if run in runs:
        return runs[run]
    same = [r for r in runs.values() if r["record"].policy == policy]
    if not same:
        return None

    def closeness(entry: dict[str, Any]) -> tuple[bool, bool, int]:
        record = entry["record"]
        named = (record.generator or {}).get("name")
        return record.benchmark == benchmark, named == generator, len(entry["outcomes"])

    return max(same, key=closeness)


def _from_recorded(
    measured: Mapping[str, Any], models: Mapping[str, Any], problems: int
) -> dict[str, Any]:
    """Per-problem means of the recorded bill (every request of problems with an outcome,
    errored ones included), priced at this run's models."""
    outcomes = measured["outcomes"]
    n = max(1, len(outcomes))
    requests = dict.fromkeys(ROLES, 0.0)
    tokens = {role: {"input": 0.0, "output": 0.0} for role in ROLES}
    for entry in measured["calls"]:
        if entry.get("task_id") not in outcomes:
            continue  # an unfinished problem's calls would count a part of a problem as a whole
        role = entry.get("role") if entry.get("role") in ROLES else "generator"
        requests[role] += int(entry.get("requests") or 1) / n
        tokens[role]["input"] += int(entry.get("input_tokens") or 0) / n
        tokens[role]["output"] += int(entry.get("output_tokens") or 0) / n
    cost = _cost(tokens, models)
    return {
        "from_run": measured["record"].name,
        "problems": len(outcomes),
        "per_problem": {"requests": requests, "tokens": tokens, "cost_usd": cost},
        "whole_run": {
            "requests": round(sum(requests.values()) * problems),
            "cost_usd": None if cost is None else cost * problems,
        },
    }


# ----- the text --------------------------------------------------------------------------------
def format_estimate(e: Mapping[str, Any]) -> str:
    def usd(value: float | None) -> str:
        return "unknown (no prices)" if value is None else f"${value:,.4f}"

    models = "; ".join(
        f"{role} {m['name']} (max_tokens {m['max_tokens']})" for role, m in e["models"].items()
    )
    lines = [
        f"dry run of {e['run']!r}: {e['policy']} on {e['benchmark']}, {e['to_solve']} problems "
        f"to solve ({e['done_before']} of {e['problems']} done earlier); no model was called, "
        "nothing was created",
        f"  models: {models}",
        f"  per node, from the budgets (prompts about {e['prompt_tokens']} tokens):",
    ]
    for s in e["stages"]:
        lines.append(
            f"    {s['name']:<8} {s['role']:<9} {s['samples']:>2} sample(s)/request  "
            f"{s['fewest']}-{s['most']} requests  ({s['when']})"
        )
    fewest, most = e["per_problem"]["fewest"], e["per_problem"]["most"]
    plans = any(s["name"] in ("plan", "divide") for s in e["stages"])
    helpers = f", {e['helpers_per_plan']} helpers per plan" if plans else ""
    lines.append(
        f"  per problem: {sum(fewest['requests'].values())} request(s) on the cheapest path, up "
        f"to {sum(most['requests'].values()):,} at every limit{helpers}; cost at most "
        f"{usd(fewest['cost_usd'])} and {usd(most['cost_usd'])} (answers counted at max_tokens)"
    )
    low, high = e["whole_run"]["fewest"], e["whole_run"]["most"]
    lines.append(
        f"  whole run: {low['requests']:,} to {high['requests']:,} requests, cost at most "
        f"{usd(low['cost_usd'])} to {usd(high['cost_usd'])}"
    )
    recorded = e.get("recorded")
    if recorded is None:
        lines.append("  no recorded run of this policy in the database to measure from")
    else:
        per = recorded["per_problem"]
        tokens = sum(t["input"] + t["output"] for t in per["tokens"].values())
        lines.append(
            f"  measured in run {recorded['from_run']!r} ({recorded['problems']} problems): "
            f"{sum(per['requests'].values()):.1f} requests, {tokens:,.0f} tokens, "
            f"{usd(per['cost_usd'])} per problem at these prices; for this run about "
            f"{recorded['whole_run']['requests']:,} requests, "
            f"{usd(recorded['whole_run']['cost_usd'])}"
        )
    return "\n".join(lines)
