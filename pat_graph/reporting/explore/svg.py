"""Inline SVG drawings: the cost/Pass@1 Pareto plot and a policy's graph with the path taken.

The policy graph is laid out here from `pat_graph.graph.diagrams.drawable(policy)` (the same nodes
and edges the Mermaid text is made of) instead of loading Mermaid's JavaScript, which would need a
download. Layout: rank = longest path from START over the edges that are not back edges of a
depth-first walk; back edges (compose -> verify) are drawn as curves on the right.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from pat_graph.reporting.plot import pareto_frontier

BOX_W, BOX_H, GAP_X, GAP_Y = 132, 34, 28, 38


def policy_graph(
    policy: str, budgets: Mapping[str, Any] | None = None
) -> tuple[tuple[str, ...], tuple[tuple[str, str, bool], ...]]:
    """(nodes, edges as (source, target, conditional)) of the graph a run used: its policy
    under its recorded budgets (a profile can rewire nodes, e.g. tests after the trial)."""
    key = json.dumps(dict(budgets or {}), sort_keys=True, default=str)
    return _policy_graph(policy, key)


@cache
def _policy_graph(
    policy: str, budgets_json: str
) -> tuple[tuple[str, ...], tuple[tuple[str, str, bool], ...]]:
    from pat_graph.graph.policies import build_graph
    from pat_graph.models.roles import RoleModel

    budgets = json.loads(budgets_json)
    # A role without a client: building a graph never calls a model, and skipping a chat model
    # class keeps the OpenAI client's import (a second or more) out of `explore`.
    stand_in = RoleModel(None, "stand-in")  # type: ignore[arg-type]
    try:
        graph = build_graph(policy, generator=stand_in, planner=stand_in, **budgets)
    except Exception:  # budgets this version does not know: the policy's default drawing
        graph = build_graph(policy, generator=stand_in, planner=stand_in)
    graph = graph.compile().get_graph()
    nodes = tuple(graph.nodes)
    edges = tuple((e.source, e.target, bool(e.conditional)) for e in graph.edges)
    return nodes, edges


def _layout(
    nodes: Sequence[str], edges: Sequence[tuple[str, str, bool]]
) -> tuple[dict[str, tuple[float, float]], set[tuple[str, str]]]:
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for u, v, _ in edges:
        succ.setdefault(u, []).append(v)
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}

    def walk(n: str) -> None:
        state[n] = 1
        for m in succ.get(n, []):
            if state.get(m) == 1:
                back.add((n, m))
            elif m not in state:
                walk(m)
        state[n] = 2

    start = "__start__" if "__start__" in succ else (nodes[0] if nodes else "")
    if start:
        walk(start)
    for n in nodes:
        if n not in state:
            walk(n)
    rank = dict.fromkeys(nodes, 0)
    for _ in nodes:  # longest path by relaxation (the forward graph is a DAG)
        for u, v, _c in edges:
            if (u, v) not in back and rank.get(v, 0) < rank.get(u, 0) + 1:
                rank[v] = rank.get(u, 0) + 1
    if "__end__" in rank:
        rank["__end__"] = max(rank.values()) if len(rank) > 1 else 0
        rank["__end__"] = max(rank[u] for u, v, _ in edges if v == "__end__") + 1
    rows: dict[int, list[str]] = {}
    for n in nodes:
        rows.setdefault(rank[n], []).append(n)
    # One top-down barycentre pass: order each rank by where its predecessors sit, which
    # removes most crossings in graphs this small.
    order: dict[str, float] = {}
    for r in sorted(rows):
        members = rows[r]
        keys = {}
        for i, n in enumerate(members):
            preds = [order[u] for u, v, _ in edges if v == n and u in order and (u, v) not in back]
            keys[n] = sum(preds) / len(preds) if preds else i - (len(members) - 1) / 2
        members.sort(key=lambda n: keys[n])
        for i, n in enumerate(members):
            order[n] = i - (len(members) - 1) / 2
    width = max(len(r) for r in rows.values()) if rows else 1
    pos: dict[str, tuple[float, float]] = {}
    for r, members in rows.items():
        offset = (width - len(members)) * (BOX_W + GAP_X) / 2
        for i, n in enumerate(members):
            pos[n] = (20 + offset + i * (BOX_W + GAP_X), 20 + r * (BOX_H + GAP_Y))
    return pos, back


def policy_svg(policy: str, budgets: Mapping[str, Any] | None = None) -> str:
    """The policy's graph; nodes carry `data-node`, edges `data-edge="u>v"` for the page's
    script to highlight the path of the function selected in the tree."""
    return _policy_svg(policy, json.dumps(dict(budgets or {}), sort_keys=True, default=str))


@cache
def _policy_svg(policy: str, budgets_json: str) -> str:
    nodes, edges = _policy_graph(policy, budgets_json)
    pos, back = _layout(nodes, edges)
    if not pos:
        return ""
    right = max(x for x, _ in pos.values()) + BOX_W + 70
    bottom = max(y for _, y in pos.values()) + BOX_H + 20
    parts = [
        f'<svg class="policy" viewBox="0 0 {right:.0f} {bottom:.0f}" width="{right:.0f}" '
        f'height="{bottom:.0f}" role="img" aria-label="graph of policy {html.escape(policy)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
        'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0L10,5L0,10z"/></marker></defs>',
    ]
    for u, v, conditional in edges:
        (x1, y1), (x2, y2) = pos[u], pos[v]
        cls = "edge cond" if conditional else "edge"
        if (u, v) in back:
            sx, sy = x1 + BOX_W, y1 + BOX_H / 2
            ex, ey = x2 + BOX_W, y2 + BOX_H / 2
            bend = max(sx, ex) + 50
            d = f"M{sx:.0f},{sy:.0f} C{bend:.0f},{sy:.0f} {bend:.0f},{ey:.0f} {ex:.0f},{ey:.0f}"
        else:
            sx, sy = x1 + BOX_W / 2, y1 + BOX_H
            ex, ey = x2 + BOX_W / 2, y2
            my = (sy + ey) / 2
            d = f"M{sx:.0f},{sy:.0f} C{sx:.0f},{my:.0f} {ex:.0f},{my:.0f} {ex:.0f},{ey:.0f}"
        key = html.escape(f"{u}>{v}")
        parts.append(
            f'<path class="{cls}" data-edge="{key}" d="{d}" marker-end="url(#arrow)">'
            f"<title>{key}</title></path>"
        )
    for n in nodes:
        x, y = pos[n]
        label = html.escape(n.strip("_"))
        terminal = n in ("__start__", "__end__")
        rx = BOX_H / 2 if terminal else 6
        parts.append(
            f'<g class="gnode{" terminal" if terminal else ""}" data-node="{html.escape(n)}">'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="{rx:.0f}"/>'
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + BOX_H / 2 + 4:.0f}">{label}</text>'
            f'<text class="count" x="{x + BOX_W - 6:.0f}" y="{y + 12:.0f}"></text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _x(summary: Mapping[str, Any], by_tokens: bool) -> float:
    if not by_tokens:
        return float(summary.get("cost_usd") or 0.0)
    tokens = summary.get("tokens") or {}
    return float(sum(int(t.get("input", 0)) + int(t.get("output", 0)) for t in tokens.values()))


def pareto_svg(summaries: Sequence[Mapping[str, Any]], width: int = 640, height: int = 360) -> str:
    """Cost (or tokens, when no run has prices) against Pass@1, frontier in red; each point has
    `data-run`, `data-benchmark`, `data-policy` for the filters and a hover label."""
    runs = [s for s in summaries if s.get("pass_at_1") is not None]
    by_tokens = all(float(s.get("cost_usd") or 0) == 0 for s in runs)
    points = [(_x(s, by_tokens), float(s["pass_at_1"])) for s in runs]
    front = pareto_frontier(points) if points else []
    left, top, right, bottom = 64, 16, 20, 44
    xmax = max((p[0] for p in points), default=1.0) or 1.0
    xmax *= 1.1

    def sx(v: float) -> float:
        return left + (width - left - right) * v / xmax

    def sy(v: float) -> float:
        return top + (height - top - bottom) * (1 - v)

    label = "tokens (input + output; no prices configured)" if by_tokens else "cost (USD)"
    parts = [
        f'<svg id="pareto" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="cost against pass@1">',
        f'<line class="axis" x1="{left}" y1="{sy(0):.0f}" x2="{width - right}" y2="{sy(0):.0f}"/>',
        f'<line class="axis" x1="{left}" y1="{sy(0):.0f}" x2="{left}" y2="{top}"/>',
    ]
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        y = sy(frac)
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.0f}" x2="{width - right}" y2="{y:.0f}"/>'
            f'<text class="tick" x="{left - 6}" y="{y + 4:.0f}" text-anchor="end">'
            f"{100 * frac:.0f}%</text>"
        )
    for frac in (0, 0.5, 1.0):
        v = xmax / 1.1 * frac
        text = f"{v:,.0f}" if by_tokens else f"${v:.4g}"
        parts.append(
            f'<text class="tick" x="{sx(v):.0f}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{text}</text>'
        )
    parts.append(
        f'<text class="axis-label" x="{(left + width - right) / 2:.0f}" y="{height - 8}" '
        f'text-anchor="middle">{html.escape(label)}</text>'
        f'<text class="axis-label" transform="translate(14 {(top + height - bottom) / 2:.0f}) '
        f'rotate(-90)" text-anchor="middle">Pass@1</text>'
    )
    if len(front) > 1:
        pts = []
        for a, b in itertools.pairwise(front):
            pts += [(points[a][0], points[a][1]), (points[b][0], points[a][1])]
        pts.append(points[front[-1]])
        d = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline class="frontier" points="{d}"/>')
    for i, (s, (x, y)) in enumerate(zip(runs, points, strict=True)):
        cost = f"{x:,.0f} tokens" if by_tokens else f"${x:.6f}"
        tip = f"{s['run']}: pass@1 {100 * y:.1f}%, {cost} ({s['policy']}, {s['benchmark']})"
        cls = "point frontier-point" if i in front else "point"
        parts.append(
            f'<circle class="{cls}" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="6" '
            f'data-run="{html.escape(str(s["run"]))}" '
            f'data-benchmark="{html.escape(str(s["benchmark"]))}" '
            f'data-policy="{html.escape(str(s["policy"]))}" data-tip="{html.escape(tip)}">'
            f"<title>{html.escape(tip)}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
