"""Cost vs Pass@1 scatter of runs with the Pareto frontier: the paper's headline comparison."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pat_graph.errors import ConfigError


def pareto_frontier(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of points no other point beats (cheaper-or-equal and at least as good, one strictly),
    ordered by cost."""
    keep: list[int] = []
    for i, (cost_i, score_i) in enumerate(points):
        dominated = any(
            cost_j <= cost_i and score_j >= score_i and (cost_j < cost_i or score_j > score_i)
            for j, (cost_j, score_j) in enumerate(points)
            if j != i
        )
        if not dominated:
            keep.append(i)
    return sorted(keep, key=lambda i: (points[i][0], points[i][1]))


def _x(summary: Mapping[str, Any], by_tokens: bool) -> float:
    if not by_tokens:
        return float(summary["cost_usd"])
    tokens = summary.get("tokens") or {}
    return float(sum(int(t.get("input", 0)) + int(t.get("output", 0)) for t in tokens.values()))


def plot_runs(summaries: Sequence[Mapping[str, Any]], out: str | Path) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed, and never a GUI window in CI
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigError("--plot needs matplotlib: pip install 'pat-graph[plot]'") from exc
    runs = [s for s in summaries if s.get("pass_at_1") is not None]
    if not runs:
        raise ConfigError("nothing to plot: none of the runs has a finished problem")
    # Runs without prices (the embedded model, local servers) all cost $0: compare them on the
    # tokens the servers reported instead, and say so on the axis.
    by_tokens = all(float(s["cost_usd"]) == 0 for s in runs)
    points = [(_x(s, by_tokens), float(s["pass_at_1"])) for s in runs]
    front = pareto_frontier(points)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.scatter([p[0] for p in points], [100 * p[1] for p in points], color="tab:blue", zorder=3)
    seen: dict[tuple[float, float], int] = {}
    for s, (x, y) in zip(runs, points, strict=True):
        stack = seen[(x, y)] = seen.get((x, y), -1) + 1  # stack labels of coinciding runs
        ax.annotate(
            s["run"], (x, 100 * y), textcoords="offset points", xytext=(5, 4 + 11 * stack),
            fontsize=8,
        )  # fmt: skip
    ax.step(
        [points[i][0] for i in front],
        [100 * points[i][1] for i in front],
        where="post",
        color="tab:red",
        label="Pareto frontier",
        zorder=2,
    )
    ax.scatter(
        [points[i][0] for i in front],
        [100 * points[i][1] for i in front],
        facecolors="none",
        edgecolors="tab:red",
        s=120,
        zorder=4,
    )
    benches = sorted({Path(str(s["benchmark"])).name for s in runs})
    ax.set_title(f"Cost vs Pass@1 ({', '.join(benches)})")
    ax.set_xlabel("tokens (input + output; no prices configured)" if by_tokens else "cost (USD)")
    ax.set_ylabel("Pass@1 (%)")
    ax.set_ylim(-2, 102)
    ax.grid(True, alpha=0.3)
    ax.margins(x=0.15)
    ax.legend(loc="best")
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path)
    plt.close(fig)
    return path
