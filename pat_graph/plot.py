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
    points = [(float(s["cost_usd"]), float(s["pass_at_1"])) for s in runs]
    front = pareto_frontier(points)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.scatter([p[0] for p in points], [100 * p[1] for p in points], color="tab:blue", zorder=3)
    for s, (x, y) in zip(runs, points, strict=True):
        ax.annotate(s["run"], (x, 100 * y), textcoords="offset points", xytext=(5, 4), fontsize=8)
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
    ax.set_xlabel("cost (USD)")
    ax.set_ylabel("Pass@1 (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path = Path(out)
    fig.savefig(path)
    plt.close(fig)
    return path
