"""The runs page (every `report --json` field, Pareto plot, filters, paired view) and each
run's problem list (search by task id, sort by cost, planner calls, pass/fail)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pat_graph.graph.verdict import recorded_untested, recorded_verified
from pat_graph.reporting.explore.data import ProblemData, RunData
from pat_graph.reporting.explore.render import (
    esc,
    flatten,
    json_script,
    page,
    pct,
    slug,
    usd,
    yes_no,
)
from pat_graph.reporting.explore.svg import pareto_svg
from pat_graph.reporting.ratings import BUCKETS, UNRATED

_COLUMNS = (
    ("run", "run"),
    ("benchmark", "benchmark"),
    ("policy", "policy"),
    ("generator", "generator"),
    ("planner", "planner"),
    ("problems", "problems"),
    ("done", "done"),
    ("errored", "errored"),
    ("pass@1", "pass_at_1"),
    ("pass@1+", "pass_at_1_plus"),
    ("verified", "verified_rate"),
    ("planner invoked", "planner_invocation_rate"),
    ("calls gen/plan", "llm_calls"),
    ("cost", "cost_usd"),
)


def _verified_cell(result: dict[str, Any]) -> str:
    if not result:
        return yes_no(None)
    if recorded_untested(result):  # chosen with no in-loop test run (issue 22)
        return '<span class="na">untested</span>'
    return yes_no(recorded_verified(result))


def _cell(key: str, s: dict[str, Any], href: str) -> str:
    value = s.get(key)
    if key == "run":
        return f'<a href="{esc(href)}">{esc(value)}</a>'
    if key in ("pass_at_1", "pass_at_1_plus", "verified_rate", "planner_invocation_rate"):
        return pct(value)
    if key == "llm_calls":
        calls = value or {}
        return f"{calls.get('generator', 0)} / {calls.get('planner', 0)}"
    if key == "cost_usd":
        return usd(value)
    if key == "benchmark":  # a file benchmark's name, its path on hover
        return f'<span title="{esc(value)}">{esc(Path(str(value)).name)}</span>'
    return esc("–" if value is None else value)


def run_href(run: RunData, slugs: dict[str, str]) -> str:
    return f"run/{slugs[run.name]}/index.html"


def runs_page(runs: Sequence[RunData], slugs: dict[str, str], source: str) -> str:
    benches = sorted({str(r.summary["benchmark"]) for r in runs})
    policies = sorted({str(r.summary["policy"]) for r in runs})

    def options(values: list[str]) -> str:
        return '<option value="">all</option>' + "".join(
            f'<option value="{esc(v)}">{esc(v)}</option>' for v in values
        )

    head = "".join(f"<th>{esc(label)}</th>" for label, _ in _COLUMNS)
    rows = []
    for r in runs:
        s = r.summary
        attrs = (
            f'data-run="{esc(r.name)}" data-benchmark="{esc(s["benchmark"])}" '
            f'data-policy="{esc(s["policy"])}"'
        )
        cells = "".join(f"<td>{_cell(k, s, run_href(r, slugs))}</td>" for _, k in _COLUMNS)
        fields = "".join(
            f'<tr data-key="{esc(k)}"><th>{esc(k)}</th><td>{esc(v)}</td></tr>'
            for k, v in flatten(s)
        )
        rows.append(
            f'<tr class="run-row" {attrs}>{cells}</tr>'
            f'<tr class="run-fields" {attrs}><td colspan="{len(_COLUMNS)}"><details>'
            f"<summary>every report field of {esc(r.name)}</summary>"
            f'<table class="fields">{fields}</table></details></td></tr>'
        )
    paired = {r.name: {p.task_id: p.base for p in r.problems if p.status == "done"} for r in runs}
    run_options = "".join(f'<option value="{esc(r.name)}">{esc(r.name)}</option>' for r in runs)
    links = {r.name: run_href(r, slugs) for r in runs}
    body = f"""
<h1>Runs</h1>
<p class="muted">from <code>{esc(source)}</code> · {len(runs)} run(s)</p>
<div class="filters">
  <label>benchmark <select id="filter-benchmark">{options(benches)}</select></label>
  <label>policy <select id="filter-policy">{options(policies)}</select></label>
  <span id="runs-shown" class="muted"></span>
</div>
<table id="runs" class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>
<section class="plot"><h2>Cost against Pass@1</h2>
<p class="muted">Hover a point for its run; red: the Pareto frontier (no run is both cheaper and
better).</p>
<div class="plot-wrap">{pareto_svg([r.summary for r in runs])}<div id="tip" hidden></div></div>
</section>
{_ratings_section(runs)}
<section class="paired"><h2>Paired view</h2>
<p class="muted">Problems one run solved (base tests) and the other did not.</p>
<label>run A <select id="pair-a">{run_options}</select></label>
<label>run B <select id="pair-b">{run_options}</select></label>
<div id="pair-out" class="pair-out"></div>
</section>
{json_script("paired-data", {"solved": paired, "links": links, "tasks": _task_links(runs)})}
"""
    return page("Runs", body, depth=0, page_kind="runs")


def _ratings_section(runs: Sequence[RunData]) -> str:
    """Pass@1 per rating bucket (xCodeEval, the paper's Table 2), for runs that report it."""
    rated = [r for r in runs if r.summary.get("by_rating")]
    if not rated:
        return ""

    def shown(b: str) -> bool:  # the unrated bucket only when it holds problems
        return b != UNRATED or any(r.summary["by_rating"][b]["problems"] for r in rated)

    buckets = [b for b in BUCKETS if shown(b)]
    head = "".join(f"<th>{esc(b)}</th>" for b in buckets)
    rows = []
    for r in rated:
        cells = []
        for b in buckets:
            cell = r.summary["by_rating"][b]
            count = f"{cell['passed']}/{cell['problems']}"
            cells.append(
                f'<td data-bucket="{esc(b)}">{pct(cell["pass_at_1"])} '
                f'<span class="muted">({count})</span></td>'
            )
        rows.append(f'<tr data-run="{esc(r.name)}"><td>{esc(r.name)}</td>{"".join(cells)}</tr>')
    return (
        '<section class="ratings"><h2>Pass@1 by rating</h2>'
        '<p class="muted">Finished problems per Codeforces rating bucket.</p>'
        f'<table id="by-rating" class="data"><thead><tr><th>run</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _task_links(runs: Sequence[RunData]) -> dict[str, dict[str, str]]:
    return {r.name: {p.task_id: problem_file(p) for p in r.problems} for r in runs}


def problem_file(p: ProblemData) -> str:
    """The problem page's file name inside its run's folder (a short hash keeps ids that slug
    alike, such as `a/b` and `a_b`, apart)."""
    name = slug(p.task_id)
    if name != p.task_id:
        name += "-" + hashlib.sha1(p.task_id.encode()).hexdigest()[:6]
    return f"p-{name}.html"


def run_page(run: RunData) -> str:
    s = run.summary
    bench = Path(str(s["benchmark"])).name
    rows = []
    for p in run.problems:
        r = p.result or {}
        passed = "1" if p.base else "0"
        tests = f"{r.get('tests_passed', 0)}/{r.get('tests_total', 0)}" if r else "–"
        fp = r.get("generated_false_positives")
        rows.append(
            f'<tr class="problem-row" data-task="{esc(p.task_id)}" data-cost="{p.cost_usd!r}" '
            f'data-planner="{p.planner_calls}" data-pass="{passed}">'
            f'<td><a href="{esc(problem_file(p))}">{esc(p.task_id)}</a></td>'
            f'<td><span class="status {esc(p.status)}">{esc(p.status)}</span></td>'
            f"<td>{yes_no(p.base)}</td><td>{yes_no(p.plus)}</td>"
            f"<td>{_verified_cell(r)}</td><td>{tests}</td>"
            f"<td>{esc(r.get('origin', '–'))}</td><td>{esc(r.get('rounds', '–'))}</td>"
            f"<td>{p.planner_calls}</td><td>{usd(p.cost_usd)}</td>"
            f"<td>{esc('–' if fp is None else fp)}</td></tr>"
        )
    body = f"""
<h1>Run {esc(run.name)}</h1>
<p class="muted">{esc(s["policy"])} on {esc(bench)} · generator {esc(s["generator"])} ·
planner {esc(s["planner"] or "–")} · pass@1 {pct(s["pass_at_1"])} · cost {usd(s["cost_usd"])}</p>
<div class="filters">
  <label>task id <input id="search" type="search" placeholder="search task id" autofocus></label>
  <label>sort <select id="sort">
    <option value="">run order</option>
    <option value="cost-desc">cost, highest first</option>
    <option value="cost-asc">cost, lowest first</option>
    <option value="planner-desc">planner calls, most first</option>
    <option value="pass-asc">failed first</option>
    <option value="pass-desc">passed first</option>
  </select></label>
  <span id="problems-shown" class="muted"></span>
</div>
<table id="problems" class="data"><thead><tr><th>task</th><th>status</th><th>base</th>
<th>plus</th><th>verified</th><th>in-loop tests</th><th>answer from</th><th>rounds</th>
<th>planner calls</th><th>cost</th><th title="generated tests that reject the canonical solution">
generated-test FP</th></tr></thead><tbody>{"".join(rows)}</tbody></table>
"""
    return page(f"Run {run.name}", body, depth=2, page_kind="run")
