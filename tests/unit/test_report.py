"""report --json keys, relative cost, the Pareto plot, and export's samples format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.cli import main
from pat_graph.models.roles import RoleModel
from pat_graph.reporting.plot import pareto_frontier
from pat_graph.reporting.report import format_table
from pat_graph.runs.runner import run_benchmark
from tests.support.fake_server import scripted_model, write_benchmark

CONTRACT_KEYS = {
    "run", "benchmark", "policy", "generator", "planner", "problems", "done", "errored",
    "pass_at_1", "pass_at_1_plus", "verified_rate", "planner_invocation_rate", "llm_calls",
    "tokens", "cost_usd",
}  # fmt: skip


def test_pareto_frontier_keeps_only_undominated_points() -> None:
    points = [(1.0, 0.5), (2.0, 0.4), (3.0, 0.8), (3.0, 0.7), (0.5, 0.5), (4.0, 0.8)]
    # (1.0,.5) loses to (0.5,.5); (2,.4) to (0.5,.5); (3,.7) to (3,.8); (4,.8) to (3,.8)
    assert pareto_frontier(points) == [4, 2]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    import asyncio

    bench = load_benchmark(write_benchmark(tmp_path / "b.jsonl", 3))
    path = tmp_path / "runs.sqlite"

    async def go() -> None:
        for run, policy in (("std", "standard"), ("pat", "pat")):
            model = RoleModel(scripted_model(), "fake-gen", 1.0, 2.0)
            await run_benchmark(
                run=run, benchmark=bench, policy=policy, generator=model, db_path=path,
                budgets={"n_samples": 1} if policy == "pat" else {}, progress=False,
            )  # fmt: skip

    asyncio.run(go())
    return path


def test_report_json_contract_and_relative_cost(db: Path, capsys) -> None:
    assert main(["report", "--db", str(db), "--json", "--baseline", "std"]) == 0
    summaries = json.loads(capsys.readouterr().out)
    assert [s["run"] for s in summaries] == ["std", "pat"]
    for s in summaries:
        assert set(s) >= CONTRACT_KEYS
        assert set(s["llm_calls"]) == {"generator", "planner"}
        assert set(s["tokens"]["planner"]) == {"input", "output"}
        assert s["pass_at_1_plus"] is None  # custom check benchmarks have no plus tests
        for key in ("pass_at_1", "verified_rate", "planner_invocation_rate"):
            assert 0.0 <= s[key] <= 1.0
    std, pat = summaries
    assert std["relative_cost"] == 1.0
    assert pat["relative_cost"] == pytest.approx(pat["cost_usd"] / std["cost_usd"])
    assert pat["relative_cost"] > 1.0  # PaT planned where the standard policy stopped
    # The standard policy takes add_1's wrong trial as final; PaT repairs it by planning.
    assert std["pass_at_1"] == pytest.approx(2 / 3) and pat["pass_at_1"] == 1.0
    # No --planner: the generator planned, and the report says so instead of "-".
    assert std["planner"] == "fake-gen" and std["planner_is_generator"] is True
    assert std["llm_calls"]["planner"] == 0


def test_report_table_and_plot(db: Path, tmp_path: Path, capsys) -> None:
    png = tmp_path / "pareto.png"
    assert main(["report", "--db", str(db), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "run std" in out and "run pat" in out and "pass@1" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_export_writes_evalplus_samples(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "samples.jsonl"
    assert main(["export", "--db", str(db), "--run", "pat", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["task_id"] for r in rows) == ["fake/0", "fake/1", "fake/2"]
    assert all(set(r) == {"task_id", "solution"} for r in rows)
    by_id = {r["task_id"]: r["solution"] for r in rows}
    assert "def add_1(x: int) -> int:" in by_id["fake/1"]


def test_unknown_run_is_a_usage_error(db: Path, capsys) -> None:
    assert main(["report", "--db", str(db), "--run", "nope"]) == 2
    assert "unknown run(s) nope" in capsys.readouterr().err


def test_format_table_shows_missing_rates_as_dashes() -> None:
    summary = {
        "run": "x", "benchmark": "b", "policy": "pat", "generator": "g", "planner": None,
        "problems": 1, "done": 0, "errored": 1, "pass_at_1": None, "pass_at_1_plus": None,
        "verified_rate": None, "planner_invocation_rate": None,
        "generated_false_positive_rate": None, "cost_usd": 0.0,
        "llm_calls": {"generator": 0, "planner": 0},
        "tokens": {r: {"input": 0, "output": 0} for r in ("generator", "planner")},
    }  # fmt: skip
    text = format_table([summary])
    assert "pass@1" in text and "- of 1 selected (plus -)" in text and "1 errored" in text


def test_plot_falls_back_to_tokens_per_problem_when_no_run_has_prices(tmp_path: Path) -> None:
    from pat_graph.reporting.plot import plot_data, plot_runs

    free = [
        {"run": "a", "benchmark": "b", "pass_at_1": 0.0, "cost_usd": None, "done": 2,
         "errored": 0, "cost_per_problem_usd": None,
         "tokens": {"generator": {"input": 10, "output": 5}, "planner": {"input": 1, "output": 2}}},
        {"run": "b", "benchmark": "b", "pass_at_1": 0.0, "cost_usd": 0.0, "done": 1,
         "errored": 0, "cost_per_problem_usd": 0.0,
         "tokens": {"generator": {"input": 3, "output": 0}}},
    ]  # fmt: skip
    data = plot_data(free)
    assert data.axis == "tokens" and data.title.startswith("Tokens per problem")
    assert data.panels[0].points == [(9.0, 0.0), (3.0, 0.0)]  # per problem, not totals
    png = plot_runs(free, tmp_path / "free.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _run_summary(run: str, bench: str, cost: float, n: int, rate: float, rel=None) -> dict:
    return {
        "run": run, "benchmark": bench, "pass_at_1": rate, "done": n, "errored": 0,
        "cost_usd": cost, "cost_per_problem_usd": cost / n, "relative_cost": rel,
        "baseline": "std" if rel is not None else None, "tokens": {},
    }  # fmt: skip


def test_plot_is_per_problem_with_a_panel_per_benchmark() -> None:
    from pat_graph.reporting.plot import pareto_frontier, plot_data

    # A 4-problem run costs less in total than a 40-problem one but more per problem.
    runs = [
        _run_summary("small", "humaneval", 0.4, 4, 0.5),
        _run_summary("big", "humaneval", 2.0, 40, 0.5),
        _run_summary("mbpp", "mbpp-plus", 1.0, 10, 0.7),
    ]
    data = plot_data(runs)
    assert data.axis == "cost" and data.title == "Cost per problem vs Pass@1"
    assert [p.benchmark for p in data.panels] == ["humaneval", "mbpp-plus"]
    he = data.panels[0]
    assert he.points == [(0.1, 0.5), (0.05, 0.5)]
    assert [he.runs[i] for i in pareto_frontier(he.points)] == ["big"]
    rel = plot_data([_run_summary("std", "h", 1.0, 10, 0.5, 1.0),
                     _run_summary("pat", "h", 3.0, 10, 0.8, 3.0)])  # fmt: skip
    assert rel.axis == "relative" and rel.panels[0].points == [(1.0, 0.5), (3.0, 0.8)]
    assert "relative to std" in rel.xlabel


def test_plot_labels_do_not_collide_or_leave_the_frame() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pat_graph.reporting.plot import figure

    # Five runs at the same point, and runs at the top edge (100%) and the right edge.
    runs = [_run_summary(f"run-with-a-long-name-{i}", "h", 1.0, 10, 1.0) for i in range(4)]
    runs += [_run_summary("cheap", "h", 0.1, 10, 0.0), _run_summary("dear", "h", 9.0, 10, 0.99)]
    fig = figure(runs)
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    from pat_graph.reporting.plot import _text_box

    boxes = [_text_box(t, renderer) for t in ax.texts]  # the text, not its leader line
    assert len(boxes) == 6
    for i, box in enumerate(boxes):
        assert frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
        assert not any(box.overlaps(other) for other in boxes[i + 1 :])
    legend = fig.legends[0].get_window_extent(renderer)
    assert not legend.overlaps(frame)  # the legend is below the panel, never on a label
    plt.close(fig)
