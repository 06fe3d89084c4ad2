"""Cost vs Pass@1 scatter of runs with the Pareto frontier: the paper's headline comparison.

Why per problem: a run's total cost grows with its size, so a 4-problem run would "dominate" a
40-problem one on total cost. The x axis is cost per problem that has a result, or, with
`--baseline RUN`, that cost relative to the baseline run's (as the paper normalises to Standard).
Runs on different benchmarks are not comparable, so each benchmark gets its own panel and its
own frontier. Without prices (every cost unknown or $0) the axis is tokens per problem, and the
title and axis say so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pat_graph.errors import ConfigError

# Where a label may go relative to its point (points), tried in order until one fits.
_OFFSETS = ((6, 5), (6, -13), (-6, 5), (-6, -13), (6, 16), (-6, 16), (6, -24), (-6, -24))


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


@dataclass
class Panel:
    benchmark: str
    runs: list[str] = field(default_factory=list)
    points: list[tuple[float, float]] = field(default_factory=list)  # (x, Pass@1 in [0, 1])
    intervals: list[list[float] | None] = field(default_factory=list)  # Pass@1 95% CI (issue 14)


@dataclass
class RatingPanel:
    """Pass@1 per rating bucket of each run on one benchmark with ratings (xCodeEval)."""

    benchmark: str
    buckets: list[str]
    runs: list[str] = field(default_factory=list)
    values: list[list[float | None]] = field(default_factory=list)  # [run][bucket], in [0, 1]


@dataclass
class PlotData:
    axis: str  # "relative", "cost" or "tokens"
    xlabel: str
    title: str
    panels: list[Panel]
    ratings: list[RatingPanel] = field(default_factory=list)


def rating_panels(runs: Sequence[Mapping[str, Any]]) -> list[RatingPanel]:
    """One panel per benchmark whose runs report `by_rating`; the unrated bucket only when some
    run has unrated problems."""
    from pat_graph.reporting.ratings import BUCKETS

    panels: dict[str, RatingPanel] = {}
    for s in runs:
        ratings = s.get("by_rating")
        if not ratings:
            continue
        bench = Path(str(s["benchmark"])).name
        panel = panels.setdefault(bench, RatingPanel(bench, list(BUCKETS)))
        panel.runs.append(str(s["run"]))
        panel.values.append([(ratings.get(b) or {}).get("pass_at_1") for b in BUCKETS])
    for panel in panels.values():
        last = len(panel.buckets) - 1  # "unrated"
        if all(v[last] is None for v in panel.values):
            panel.buckets.pop()
            panel.values = [v[:last] for v in panel.values]
    return list(panels.values())


def _tokens(summary: Mapping[str, Any]) -> float:
    tokens = summary.get("tokens") or {}
    return float(sum(int(t.get("input", 0)) + int(t.get("output", 0)) for t in tokens.values()))


def _attempted(summary: Mapping[str, Any]) -> int:
    return int(summary.get("done", 0)) + int(summary.get("errored", 0))


def plot_data(summaries: Sequence[Mapping[str, Any]]) -> PlotData:
    """What the plot shows, without drawing it (tests check this, not pixels)."""
    runs = [s for s in summaries if _attempted(s) > 0]
    if not runs:
        raise ConfigError("nothing to plot: none of the runs has a finished or errored problem")
    baseline = next((s.get("baseline") for s in runs if s.get("baseline")), None)
    if baseline and all(s.get("relative_cost") is not None for s in runs):
        axis = "relative"
        xlabel = f"cost per problem relative to {baseline}"
    elif all(s.get("cost_per_problem_usd") for s in runs):
        axis = "cost"
        xlabel = "cost per problem (USD)"
    else:
        # No prices (the embedded model, local servers) or unknown costs: the servers' tokens.
        axis = "tokens"
        xlabel = "tokens per problem (input + output; costs not known for every run)"
    panels: dict[str, Panel] = {}
    for s in runs:
        if axis == "relative":
            x = float(s["relative_cost"])
        elif axis == "cost":
            x = float(s["cost_per_problem_usd"])
        else:
            x = _tokens(s) / _attempted(s)
        bench = Path(str(s["benchmark"])).name
        panel = panels.setdefault(bench, Panel(bench))
        panel.runs.append(str(s["run"]))
        panel.points.append((x, float(s["pass_at_1"] or 0.0)))
        panel.intervals.append(s.get("pass_at_1_ci"))
    what = {"relative": "Relative cost", "cost": "Cost", "tokens": "Tokens"}[axis]
    title = f"{what} per problem vs Pass@1"
    return PlotData(axis, xlabel, title, list(panels.values()), rating_panels(runs))


def _text_box(label: Any, renderer: Any) -> Any:
    """The label's text alone (an Annotation's own extent also covers its leader line)."""
    from matplotlib.text import Text

    label.update_positions(renderer)
    return Text.get_window_extent(label, renderer)


def _place_labels(fig: Any, ax: Any, panel: Panel, ys: Sequence[float]) -> list[Any]:
    """Put each run's name where it overlaps no other label and stays inside the frame."""
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken: list[Any] = []
    labels = []
    order = sorted(range(len(panel.runs)), key=lambda i: (panel.points[i][0], -ys[i]))
    for i in order:
        x, y = panel.points[i][0], ys[i]
        label = None
        for k, (dx, dy) in enumerate(_OFFSETS):
            if label is not None:
                label.remove()
            # Away from the default spot, a thin line ties the label to its point.
            arrow = {"arrowstyle": "-", "lw": 0.5, "color": "grey"} if k else None
            label = ax.annotate(
                panel.runs[i], (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=8,
                ha="left" if dx > 0 else "right", arrowprops=arrow,
            )  # fmt: skip
            box = _text_box(label, renderer)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(other) for other in taken):
                break
        assert label is not None
        taken.append(_text_box(label, renderer))
        labels.append(label)
    return labels


def plot_runs(summaries: Sequence[Mapping[str, Any]], out: str | Path) -> Path:
    import io

    from pat_graph.files.outputs import write_atomic

    fig = figure(summaries)  # first: it says how to install matplotlib when it is missing
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    path = Path(out)
    write_atomic(path, buffer.getvalue())  # an interrupted write keeps the previous plot
    return path


def figure(summaries: Sequence[Mapping[str, Any]]) -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed, and never a GUI window in CI
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ConfigError("--plot needs matplotlib: pip install 'pat-graph[plot]'") from exc
    data = plot_data(summaries)
    n = len(data.panels)
    rows = 2 if data.ratings else 1
    cols = max(n, len(data.ratings))
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 5 * rows), dpi=120, squeeze=False)
    for ax in [*axes[0][n:], *(axes[1][len(data.ratings) :] if rows == 2 else [])]:
        ax.set_visible(False)
    if data.ratings:
        for ax, rating_panel in zip(axes[1], data.ratings, strict=False):
            _draw_ratings(ax, rating_panel)
    handles: list[Any] = []
    for ax, panel in zip(axes[0], data.panels, strict=False):
        xs = [p[0] for p in panel.points]
        ys = [100 * p[1] for p in panel.points]
        runs = ax.scatter(xs, ys, color="tab:blue", zorder=3, label="run")
        for x, y, ci in zip(xs, ys, panel.intervals, strict=True):
            if ci:  # the run's Pass@1 95% interval as a vertical bar
                err = [[max(0.0, y - 100 * ci[0])], [max(0.0, 100 * ci[1] - y)]]
                ax.errorbar([x], [y], yerr=err, color="tab:blue", alpha=0.5, capsize=3, zorder=2)
        front = pareto_frontier(panel.points)
        (line,) = ax.step(
            [xs[i] for i in front], [ys[i] for i in front], where="post", color="tab:red",
            label="Pareto frontier", zorder=2,
        )  # fmt: skip
        ax.scatter(
            [xs[i] for i in front], [ys[i] for i in front], facecolors="none",
            edgecolors="tab:red", s=120, zorder=4,
        )  # fmt: skip
        handles = [runs, line]
        ax.set_title(panel.benchmark, fontsize=10)
        ax.set_xlabel(data.xlabel)
        ax.set_ylabel("Pass@1 (%)")
        ax.set_ylim(-5, 112)  # room above 100% for labels
        ax.grid(True, alpha=0.3)
        ax.margins(x=0.25)
        if data.axis == "relative":
            ax.axvline(1.0, color="grey", lw=0.8, ls="--", zorder=1)
    fig.suptitle(data.title)
    # The legend sits below the panels, where no point or label can be.
    fig.legend(handles, ["run", "Pareto frontier"], loc="lower center", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    for ax, panel in zip(axes[0], data.panels, strict=False):
        _place_labels(fig, ax, panel, [100 * p[1] for p in panel.points])
    return fig


def _draw_ratings(ax: Any, panel: RatingPanel) -> None:
    """Grouped bars: one group per rating bucket, one bar per run."""
    width = 0.8 / max(1, len(panel.runs))
    for i, (run, values) in enumerate(zip(panel.runs, panel.values, strict=True)):
        xs = [b + (i - (len(panel.runs) - 1) / 2) * width for b in range(len(panel.buckets))]
        ax.bar(xs, [100 * (v or 0.0) for v in values], width=width, label=run)
    ax.set_xticks(range(len(panel.buckets)), panel.buckets)
    ax.set_title(f"{panel.benchmark}: Pass@1 by rating", fontsize=10)
    ax.set_xlabel("rating")
    ax.set_ylabel("Pass@1 (%)")
    ax.set_ylim(0, 105)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
