"""One problem's page: statement, solve tree, the policy graph with the path taken, final
program, in-loop tests, the judge's verdict and the ledger.

Firewall: everything above the judge section comes from the solve loop's own data (checkpoint
writes and the stored result), which never holds hidden tests. Hidden tests are rendered only
inside `<section class="judge">`, labelled as never seen by the loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pat_graph.graph.verdict import recorded_untested, recorded_verified
from pat_graph.models.cost import request_count
from pat_graph.reporting.explore.data import ProblemData, RunData
from pat_graph.reporting.explore.render import (
    code_block,
    esc,
    format_test,
    json_script,
    page,
    usd,
    yes_no,
)
from pat_graph.reporting.explore.svg import policy_graph, policy_svg
from pat_graph.reporting.explore.tree import FunctionTree, verdicts_of

_ORIGINS = (("visible", "visible"), ("examples", "docstring example"), ("generated", "generated"))


def origins_of(fn: FunctionTree) -> list[str]:
    """Where each in-loop test came from, by the counts `build_tests` recorded (in order)."""
    out: list[str] = []
    for key, label in _ORIGINS:
        out += [label] * int(fn.test_origin.get(key, 0))
    return out + ["?"] * (len(fn.tests) - len(out))


def _chips(tests: Sequence[Any], report: Mapping[str, Any] | None) -> str:
    verdicts = verdicts_of(tests, report)
    chips = "".join(
        f'<span class="chip {esc(v["status"]).replace(" ", "-")}" title="test {i + 1}: '
        f'{esc(v["status"])} {esc(v["message"])}">{i + 1}</span>'
        for i, v in enumerate(verdicts)
    )
    if report:
        score = f"{report.get('passed', 0)}/{report.get('total', 0)}"
        return f'<span class="score">{score}</span> {chips}'
    return '<span class="muted">not verified</span>'


def _tnode(kind: str, label: str, inner: str = "", *, open_: bool = False, extra: str = "") -> str:
    details = (
        f"<details{' open' if open_ else ''}><summary>{label}</summary>{inner}</details>"
        if inner
        else f'<span class="label">{label}</span>'
    )
    return f'<li class="tnode" data-kind="{kind}"{extra}>{details}'


def _function(fn: FunctionTree, fid: str, record: Mapping[str, Any] | None = None) -> str:
    final = fn.final or {}
    verified = final.get("verified", (record or {}).get("verified"))
    # In-loop verification, not the judge's verdict: say "verified" so the two never blur.
    if verified is None:
        badge = '<span class="na">unfinished</span>'
    elif recorded_untested(final or record):  # chosen with no in-loop test run (issue 22)
        badge = '<span class="na">untested</span>'
    elif recorded_verified(final or record):
        badge = '<span class="ok">verified</span>'
    else:
        badge = '<span class="bad">not verified</span>'
    label = (
        f'<b class="fname">{esc(fn.name)}</b> <span class="muted">depth {fn.depth}</span> '
        f'{badge} <button class="show-path" data-fn="{esc(fid)}">path</button>'
    )
    kids: list[str] = []
    trial_no = 0
    for n, stage in enumerate(fn.stages):
        tests = stage["tests"] if stage["tests"] is not None else fn.tests
        if stage["kind"] == "trial":
            trial_no += 1
            kids.append(_trial(stage, tests, trial_no, len(fn.trials)))
        else:
            kids.append(_round_node(stage, tests, f"{fid}.{n}"))
    if fn.final is not None:
        kids.append(
            _tnode(
                "final",
                f"final: {esc(final.get('origin', 'none'))}, "
                f"{final.get('passed', 0)}/{final.get('total', 0)} in-loop tests",
            )
            + "</li>"
        )
    for err in fn.errors:
        kids.append(f'<li class="tnode" data-kind="error"><span class="bad">{esc(err)}</span></li>')
    inner = f"<ul>{''.join(kids)}</ul>" if kids else ""
    return _tnode("function", label, inner, open_=True, extra=f' data-fn="{esc(fid)}"') + "</li>"


def _trial(stage: Mapping[str, Any], tests: Sequence[Any], number: int, of: int) -> str:
    cands = []
    for i, c in enumerate(stage["candidates"]):
        cands.append(
            _tnode(
                "candidate", f"sample {i + 1} {_chips(tests, c['report'])}", code_block(c["code"])
            )
            + "</li>"
        )
    dropped = int(stage.get("dropped") or 0)
    note = f' <span class="muted">{dropped} dropped unparsable</span>' if dropped else ""
    status = esc(stage.get("status") or "not verified")
    title = "trial" if of == 1 else f"trial {number}"
    return (
        _tnode(
            "trial",
            f"{title}: {len(cands)} candidate(s){note} → {status}",
            f"<ul>{''.join(cands)}</ul>",
            open_=True,
        )
        + "</li>"
    )


def _round_node(stage: Mapping[str, Any], tests: Sequence[Any], fid: str) -> str:
    parts: list[str] = []
    plan = stage.get("plan") or {}
    if plan:
        stubs = ", ".join(s.get("name", "?") for s in plan.get("stubs") or []) or "none"
        parts.append(
            _tnode("plan", f"plan (new helpers: {esc(stubs)})", code_block(plan.get("code", "")))
            + "</li>"
        )
    records = stage.get("helper_records") or {}
    for k, helper in enumerate(stage["helpers"]):
        parts.append(_function(helper, f"{fid}.{k}", records.get(helper.name)))
    comp = stage.get("composition")
    if comp is not None:
        missing = comp.get("unimplemented") or []
        note = f" (unimplemented: {esc(', '.join(missing))})" if missing else ""
        parts.append(
            _tnode(
                "composition",
                f"composition{note} {_chips(tests, comp['report'])}",
                code_block(comp["code"]),
            )
            + "</li>"
        )
    status = esc(stage.get("verify_status") or stage.get("status") or "")
    return (
        _tnode(
            "round",
            f"planning round {esc(stage.get('round'))} → {status}",
            f"<ul>{''.join(parts)}</ul>",
            open_=True,
        )
        + "</li>"
    )


def _visits(fn: FunctionTree, policy: str, budgets: Mapping[str, Any]) -> dict[str, Any]:
    _, edges = policy_graph(policy, budgets)
    pairs = [(u, v) for u, v, _ in edges]
    out: dict[str, Any] = {}

    def walk(f: FunctionTree, fid: str) -> None:
        out[fid] = {"name": f.name, **f.visits(pairs)}
        for n, stage in enumerate(f.stages):
            for k, h in enumerate(stage.get("helpers") or []):
                walk(h, f"{fid}.{n}.{k}")

    walk(fn, "f")
    return out


def _report_for(fn: FunctionTree, code: str) -> Mapping[str, Any] | None:
    """The verify report of the program that became the answer."""
    for stage in reversed(fn.stages):
        for c in stage.get("candidates") or []:
            if c["code"] == code and c["report"]:
                return c["report"]
        comp = stage.get("composition") or {}
        if comp.get("code") == code and comp.get("report"):
            return comp["report"]
    return None


def _tests_section(fn: FunctionTree | None, result: Mapping[str, Any]) -> str:
    if fn is None:
        generated = result.get("generated_tests") or []
        rows = "".join(
            f"<tr><td>{i + 1}</td><td>generated</td><td>{code_block(format_test(t))}</td>"
            "<td>–</td></tr>"
            for i, t in enumerate(generated)
        )
        return f'<table class="data tests"><tbody>{rows}</tbody></table>'
    if not fn.tests:
        return '<p class="muted">no in-loop tests</p>'
    origins = origins_of(fn)
    report = _report_for(fn, str(result.get("code") or (fn.final or {}).get("code") or ""))
    verdicts = verdicts_of(fn.tests, report)
    rows = "".join(
        f'<tr class="test-row {esc(v["status"]).replace(" ", "-")}"><td>{i + 1}</td>'
        f"<td>{esc(origins[i])}</td><td>{code_block(format_test(t))}</td>"
        f'<td><span class="chip {esc(v["status"]).replace(" ", "-")}">{esc(v["status"])}</span> '
        f'<span class="msg">{esc(v["message"])}</span></td></tr>'
        for i, (t, v) in enumerate(zip(fn.tests, verdicts, strict=True))
    )
    return (
        '<table class="data tests"><thead><tr><th>#</th><th>origin</th><th>test</th>'
        f"<th>on the final program</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _ledger_section(ledger: Sequence[Mapping[str, Any]]) -> str:
    if not ledger:
        return '<p class="muted">no model calls recorded</p>'
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for e in ledger:
        key = (str(e.get("role")), str(e.get("purpose", "")))
        row = rows.setdefault(key, {"calls": 0, "in": 0, "out": 0, "cost": 0.0})
        row["calls"] += request_count([e])
        row["in"] += int(e.get("input_tokens") or 0)
        row["out"] += int(e.get("output_tokens") or 0)
        row["cost"] += float(e.get("cost_usd") or 0.0)
    by_cost = sum(r["cost"] for r in rows.values()) > 0
    total = sum((r["cost"] if by_cost else r["in"] + r["out"]) for r in rows.values()) or 1
    body = []
    for (role, purpose), r in sorted(rows.items()):
        share = (r["cost"] if by_cost else r["in"] + r["out"]) / total
        body.append(
            f'<tr class="ledger-row" data-role="{esc(role)}"><td>{esc(role)}</td>'
            f"<td>{esc(purpose)}</td><td>{r['calls']}</td><td>{r['in']}</td><td>{r['out']}</td>"
            f'<td>{usd(r["cost"])}</td><td class="barcell"><span class="bar {esc(role)}" '
            f'style="width:{100 * share:.1f}%"></span></td></tr>'
        )
    what = "cost" if by_cost else "tokens"
    return (
        '<table class="data ledger"><thead><tr><th>role</th><th>purpose</th><th>calls</th>'
        f"<th>tokens in</th><th>tokens out</th><th>cost</th><th>share of {what}</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _judge_section(p: ProblemData) -> str:
    result = p.result or {}
    fp = result.get("generated_false_positives")
    checked = len(result.get("generated_tests") or [])
    if fp is None:
        fp_text = "not measured (no canonical solution, no generated tests, or a stdio task)"
    elif fp:
        fp_text = f'<span class="bad">{fp} of {checked} generated test(s) reject it</span>'
    else:
        fp_text = f'<span class="ok">none of {checked} generated test(s) reject it</span>'
    facts = p.judge or {}
    rejecting = facts.get("rejecting") or []
    if rejecting:
        fp_text += (
            '<ul class="rejecting">'
            + "".join(
                f"<li>{code_block(format_test(r['test']))}"
                f'<span class="msg">{esc(r["status"])}: {esc(r["message"])}</span></li>'
                for r in rejecting
            )
            + "</ul>"
        )
    hidden = ""
    if facts.get("mode") == "check" and facts.get("hidden_tests"):
        shown = facts["hidden_tests"]
        more = int(facts.get("hidden_total", len(shown))) - len(shown)
        tail = f'<p class="muted">… and {more} more</p>' if more > 0 else ""
        hidden = (
            '<details class="judge-hidden"><summary>Hidden tests (judge only: the solve loop '
            f"never saw these) · {facts.get('hidden_total', len(shown))}</summary>"
            + "".join(code_block(format_test(t)) for t in shown)
            + f"{tail}</details>"
        )
    elif facts.get("mode") == "differential":
        plus = facts.get("plus_inputs")
        hidden = (
            f'<p class="muted">Judged by comparing outputs with the canonical solution on '
            f"{facts.get('base_inputs', 0)} base"
            f"{'' if plus is None else f' and {plus} plus'} hidden inputs (not shown).</p>"
        )
    return f"""
<section class="judge"><h2>Judge (after the run, hidden tests)</h2>
<p>base {yes_no(p.base)} · plus {yes_no(p.plus)}</p>
<p>canonical solution against the generated in-loop tests: {fp_text}</p>
{hidden}
</section>"""


def problem_page(run: RunData, p: ProblemData) -> str:
    policy = str(run.summary["policy"])
    budgets = run.summary.get("budgets") or {}
    result = p.result or {}
    fn = p.tree
    code = str(result.get("code") or "")
    if not code and fn is not None:
        code = str((fn.final or {}).get("code") or "")
    parts = [
        f"<h1>{esc(p.task_id)}</h1>",
        f'<p class="muted">run {esc(run.name)} · {esc(policy)} · status '
        f'<span class="status {esc(p.status)}">{esc(p.status)}</span> · base {yes_no(p.base)} · '
        f"plus {yes_no(p.plus)} · planner calls {p.planner_calls} · cost {usd(p.cost_usd)}</p>",
    ]
    if p.error:
        parts.append(f'<pre class="error">{esc(p.error)}</pre>')
    parts.append(
        f'<section class="statement"><h2>Statement</h2>{code_block(p.statement)}</section>'
    )
    if fn is None:
        tree = (
            '<p class="muted" id="no-tree">No checkpoints for this problem (pruned, or it never '
            "started): only the stored result is shown.</p>"
        )
        diagram = ""
    else:
        tree = f'<ul class="tree" id="tree">{_function(fn, "f", result)}</ul>'
        diagram = (
            '<div class="diagram"><h3>Path through the graph</h3>'
            '<p class="muted" id="path-of"></p>'
            f"{policy_svg(policy, budgets)}{json_script('visits', _visits(fn, policy, budgets))}"
            "</div>"
        )
    parts.append(
        f'<section class="solve"><h2>Solve tree</h2><div class="solve-grid">'
        f'<div class="tree-wrap">{tree}</div>{diagram}</div></section>'
    )
    program = code_block(code) if code.strip() else '<p class="muted">no program</p>'
    parts.append(f'<section class="final"><h2>Final program</h2>{program}</section>')
    parts.append(
        f'<section class="tests"><h2>In-loop tests</h2>{_tests_section(fn, result)}</section>'
    )
    parts.append(_judge_section(p))
    parts.append(
        '<section class="ledger"><h2>Ledger</h2><p class="muted">'
        + (
            "every request, including attempts that failed (the run's call ledger)"
            if p.calls
            else "the requests behind the final result"
        )
        + f"</p>{_ledger_section(p.ledger)}</section>"
    )
    return page(f"{run.name} · {p.task_id}", "".join(parts), depth=2, page_kind="problem")
