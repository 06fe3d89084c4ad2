"""The issue-14 lines of `report` and the intervals on the Pareto plot."""

from __future__ import annotations

from pat_graph.reporting.research_report import format_rows


def _summary(**extra) -> dict:
    return {
        "run": "r", "benchmark": "b", "pass_at_1": 0.5, "done": 4, "errored": 0,
        "cost_usd": 0.004, "cost_per_problem_usd": 0.001, "relative_cost": None,
        "baseline": None, "tokens": {}, "pass_at_1_ci": [0.2, 0.8], **extra,
    }  # fmt: skip


def test_rows_say_what_was_paid_replayed_and_where_a_budget_stopped() -> None:
    s = _summary(
        cost_paid_usd=0.0, replayed_calls=7, replayed_from={"run": "orig", "db": "a.sqlite"},
        budget_stop={"max_cost_usd": 1.0, "spent_usd": 1.2, "not_started": 3},
        budget_capped=2, cached_tokens=60, reasoning_tokens=4,
    )  # fmt: skip
    rows = dict(format_rows(s))
    assert rows["pass@1 95% CI"].startswith("[20.0%, 80.0%]")
    assert "$0.000000" in rows["paid in this run"] and "7 calls" in rows["paid in this run"]
    assert "represents $0.004000" in rows["paid in this run"]
    assert rows["replayed from"] == "run orig in a.sqlite"
    assert "3 problems not started" in rows["stopped at budget"]
    assert rows["problem budget hit"].startswith("2 problems")
    assert "60 cached" in rows["cached/reasoning"]
    # a plain run says only the interval
    assert [k for k, _ in format_rows(_summary())] == ["pass@1 95% CI"]


def test_plot_carries_and_draws_the_intervals(tmp_path) -> None:
    from pat_graph.reporting.plot import figure, plot_data

    runs = [_summary(run="a"), _summary(run="b", pass_at_1_ci=None, cost_per_problem_usd=0.002)]
    data = plot_data(runs)
    assert data.panels[0].intervals == [[0.2, 0.8], None]
    fig = figure(runs)
    bars = [c for c in fig.axes[0].containers if type(c).__name__ == "ErrorbarContainer"]
    assert len(bars) == 1  # only the run with an interval gets a bar


def test_cost_line_of_a_replayed_run_says_represented_not_spent() -> None:
    from pat_graph.reporting.report import cost_text

    base = {"llm_calls": {"generator": 3, "planner": 0}, "cost_usd": 0.003}
    assert "spent in 3 calls" in cost_text(base)
    assert "represented by 3 calls" in cost_text({**base, "replayed_calls": 3})
