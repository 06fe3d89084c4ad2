"""pass@k over the runs of one `run --seeds` group: each seed is one sample per task.

`run --seeds 0,1,2 --run R` makes runs R-seed0, R-seed1, R-seed2 with the same settings but the
seed, so together they hold three independent samples of every task, which is what the unbiased
pass@k estimator (benchmarks/passk.py) needs. A task a seed did not finish (errored, not run
yet) is a failed sample of that seed, as pass@1 counts it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pat_graph.benchmarks.passk import DEFAULT_KS, pass_at_ks
from pat_graph.errors import ConfigError
from pat_graph.runs.store import ResultRow, RunRecord

_SEED_RUN = re.compile(r"^(?P<group>.+)-seed(?P<seed>-?\d+)$")


def groups_of(records: Sequence[RunRecord]) -> dict[str, list[RunRecord]]:
    """`R-seedN` runs by R: the most of them that share every setting but the seed (a run
    named like a seed of R with other settings is no sample of the same thing), at least two."""
    found: dict[str, dict[str, list[RunRecord]]] = {}
    for record in records:
        match = _SEED_RUN.match(record.name)
        if match:
            found.setdefault(match["group"], {}).setdefault(_settings(record), []).append(record)
    out = {}
    for name, classes in found.items():
        members = max(classes.values(), key=len)  # ties: the class seen first (oldest run)
        if len(members) > 1:
            out[name] = sorted(members, key=lambda r: int(_SEED_RUN.match(r.name)["seed"]))  # type: ignore[index]
    return out


def _settings(record: RunRecord) -> str:
    identity = dict(record.identity())
    identity.pop("seed", None)
    return json.dumps(identity, sort_keys=True, default=str)


def group_summary(
    name: str,
    members: Sequence[RunRecord],
    results: Mapping[str, Sequence[ResultRow]],
    ks: Sequence[int] | None = None,
) -> dict[str, Any]:
    """The group's pass@k (base and plus) over every selected task of its runs."""
    m = len(members)
    solved: dict[str, list[int]] = {}
    plus_known = False
    for member in members:
        for row in results.get(member.name, ()):
            counts = solved.setdefault(row.task_id, [0, 0])
            if row.status == "done":
                counts[0] += bool(row.base)
                counts[1] += bool(row.plus)
                plus_known = plus_known or row.plus is not None
    problems = max([len(solved), *(r.problems for r in members)])
    base = [(m, c[0]) for c in solved.values()] + [(m, 0)] * (problems - len(solved))
    plus = [(m, c[1]) for c in solved.values()] + [(m, 0)] * (problems - len(solved))
    if ks is None:
        chosen = sorted({k for k in DEFAULT_KS if k <= m} | {m})
    else:
        short = [k for k in ks if k > m]
        if short:
            raise ConfigError(
                f"--k {short[0]}: the seed group {name} has {m} runs, so pass@k goes up to "
                f"k = {m}; run more seeds or ask for a smaller k"
            )
        chosen = list(ks)
    return {
        "name": name,
        "runs": [r.name for r in members],
        "samples_per_task": m,
        "problems": problems,
        "pass_at_k": pass_at_ks(base, chosen),
        "pass_at_k_plus": pass_at_ks(plus, chosen) if plus_known else None,
    }


def add_seed_groups(
    summaries: list[dict[str, Any]],
    records: Sequence[RunRecord],
    results: Mapping[str, Sequence[ResultRow]],
    ks: Sequence[int] | None = None,
) -> None:
    """Give each member run's summary its group's numbers (`seed_group`, issue 22)."""
    reported = {s["run"] for s in summaries}
    groups = groups_of([r for r in records if r.name in reported])
    by_run = {}
    for name, members in groups.items():
        summary = group_summary(name, members, results, ks)
        for member in members:
            by_run[member.name] = summary
    for s in summaries:
        s["seed_group"] = by_run.get(s["run"])


def format_groups(summaries: Sequence[Mapping[str, Any]]) -> str:
    """One block per seed group, after the runs' blocks (empty when there is none)."""
    seen: dict[str, Mapping[str, Any]] = {}
    for s in summaries:
        group = s.get("seed_group")
        if group:
            seen.setdefault(group["name"], group)
    blocks = []
    for name, g in seen.items():
        plus = g.get("pass_at_k_plus") or {}
        parts = [
            f"pass@{k} {100 * v:.1f}%" + (f" (plus {100 * plus[k]:.1f}%)" if k in plus else "")
            for k, v in g["pass_at_k"].items()
        ]
        blocks.append(
            f"seed group {name}: {g['samples_per_task']} runs ({', '.join(g['runs'])}), "
            f"{g['problems']} problems\n  " + ", ".join(parts)
        )
    return "\n\n".join(blocks)
