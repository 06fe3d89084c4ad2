"""The explorer's pure parts: the solve tree rebuilt from checkpoint writes, per-test verdicts,
the highlighter, the SVG drawings, and the hidden-test firewall of the rendered pages."""

from __future__ import annotations

import re
from typing import Any

from pat_graph.reporting.explore.data import ProblemData, RunData
from pat_graph.reporting.explore.highlight import highlight
from pat_graph.reporting.explore.problem_page import origins_of, problem_page
from pat_graph.reporting.explore.render import flatten
from pat_graph.reporting.explore.runs_page import runs_page
from pat_graph.reporting.explore.svg import _layout, pareto_svg, policy_graph, policy_svg
from pat_graph.reporting.explore.tree import Write, build_tree, verdicts_of

HELPER_NS = "implement_helper:task-h"
GOOD = "def f(x):\n    return g(x)\n"
BAD = "def f(x):\n    return 0\n"
TESTS = ["assert f(1) == 2", "assert f(2) == 3"]


def _writes() -> list[Write]:
    """The writes of a PaT solve: trial of two (both fail), one plan with helper g (its own
    trial passes), composition passes. Checkpoint ids sort in the order steps ran."""
    rows: list[tuple[str, str, str, str, str, Any]] = [
        ("", "c0", "t-in", "__start__", "problem", {"entry_point": "f", "prompt": "def f(x):"}),
        ("", "c1", "t-gen", "generate", "candidates", [BAD, BAD + "# 2"]),
        ("", "c1", "t-gen", "generate", "ledger", [{"role": "generator", "cost_usd": 0.1}]),
        ("", "c1", "t-tests", "build_tests", "tests", TESTS),
        ("", "c1", "t-tests", "build_tests", "test_origin", {"examples": 1, "generated": 1}),
        ("", "c2", "t-v1", "verify", "reports", [
            {"passed": 0, "total": 2, "failures": [
                {"test": TESTS[0], "status": "fail", "message": "AssertionError"},
                {"test": TESTS[1], "status": "fail", "message": "AssertionError"}]},
            {"passed": 1, "total": 2, "failures": [
                {"test": TESTS[1], "status": "error", "message": "NameError"}]},
        ]),
        ("", "c2", "t-v1", "verify", "status", "failed"),
        ("", "c2", "t-v1", "verify", "branch:to:plan", None),
        ("", "c3", "t-plan", "plan", "plan", {"code": GOOD, "stubs": [{"name": "g"}]}),
        ("", "c3", "t-plan", "plan", "round", 1),
        ("", "c3", "t-plan", "plan", "status", "planned"),
        (HELPER_NS, "d0", "h-in", "__start__", "problem", {"entry_point": "g", "prompt": "g"}),
        (HELPER_NS, "d1", "h-gen", "generate", "candidates", ["def g(x):\n    return x + 1\n"]),
        (HELPER_NS, "d1", "h-tests", "build_tests", "tests", ["assert g(0) == 1"]),
        (HELPER_NS, "d2", "h-v", "verify", "reports", [{"passed": 1, "total": 1, "failures": []}]),
        (HELPER_NS, "d2", "h-v", "verify", "status", "passed"),
        (HELPER_NS, "d3", "h-fin", "finalize", "final", {"code": "g", "verified": True}),
        ("", "c4", "task-h", "implement_helper", "helpers", {"g": {"code": "g", "verified": 1}}),
        ("", "c5", "t-comp", "compose", "candidates", [GOOD]),
        ("", "c5", "t-comp", "compose", "unimplemented", []),
        ("", "c6", "t-v2", "verify", "reports", [{"passed": 2, "total": 2, "failures": []}]),
        ("", "c6", "t-v2", "verify", "status", "passed"),
        ("", "c7", "t-fin", "finalize", "final", {"code": GOOD, "verified": True, "passed": 2,
                                                  "total": 2, "origin": "round 1"}),
    ]  # fmt: skip
    return [Write(*row) for row in rows]


def test_tree_has_trial_round_helper_and_composition_in_order() -> None:
    fn = build_tree(_writes())
    assert fn is not None
    assert (fn.name, fn.depth, fn.prompt) == ("f", 0, "def f(x):")
    assert [s["kind"] for s in fn.stages] == ["trial", "round"]
    trial, round_ = fn.stages
    assert [c["code"] for c in trial["candidates"]] == [BAD, BAD + "# 2"]
    assert [c["report"]["passed"] for c in trial["candidates"]] == [0, 1]
    assert trial["status"] == "failed"
    assert round_["plan"]["stubs"] == [{"name": "g"}]
    assert round_["composition"]["report"]["passed"] == 2
    assert round_["verify_status"] == "passed"
    (helper,) = round_["helpers"]
    assert (helper.name, helper.depth, helper.ns) == ("g", 1, HELPER_NS)
    assert helper.trials[0]["candidates"][0]["report"]["passed"] == 1
    assert helper.final == {"code": "g", "verified": True}
    assert [f.name for f in fn.functions()] == ["f", "g"]
    assert fn.final["origin"] == "round 1"


def test_path_groups_parallel_nodes_and_counts_taken_edges() -> None:
    fn = build_tree(_writes())
    assert fn is not None
    assert fn.path() == [
        ["generate", "build_tests"], ["verify"], ["plan"], ["implement_helper"], ["compose"],
        ["verify"], ["finalize"],
    ]  # fmt: skip
    edges = [("__start__", "generate"), ("generate", "verify"), ("verify", "plan"),
             ("compose", "verify"), ("verify", "finalize"), ("finalize", "__end__"),
             ("plan", "finalize")]  # fmt: skip
    visits = fn.visits(edges)
    assert visits["nodes"]["verify"] == 2
    assert visits["nodes"]["__end__"] == 1
    assert visits["edges"] == {
        "__start__>generate": 1, "generate>verify": 1, "verify>plan": 1, "compose>verify": 1,
        "verify>finalize": 1, "finalize>__end__": 1,
    }  # fmt: skip


def test_no_writes_means_no_tree() -> None:
    assert build_tree([]) is None


def test_failed_node_rerun_on_resume_keeps_its_successful_writes() -> None:
    writes = [
        Write("", "c1", "t", "generate", "__error__", "ConnectionError"),
        Write("", "c1", "t", "generate", "candidates", [GOOD]),
    ]
    fn = build_tree(writes)
    assert fn is not None
    assert fn.trials[0]["candidates"][0]["code"] == GOOD
    assert fn.errors == ["generate: ConnectionError"]


def test_verdicts_mark_failures_and_admit_what_was_not_kept() -> None:
    report = {"passed": 1, "total": 3, "failures": [{"test": "b", "status": "timeout",
                                                     "message": "slow"}]}  # fmt: skip
    # 2 failed but only one failure was kept: the others cannot be called passing
    assert [v["status"] for v in verdicts_of(["a", "b", "c"], report)] == [
        "unknown", "timeout", "unknown",
    ]  # fmt: skip
    complete = {"passed": 2, "total": 3, "failures": [{"test": "b", "status": "fail"}]}
    assert [v["status"] for v in verdicts_of(["a", "b", "c"], complete)] == [
        "pass", "fail", "pass",
    ]  # fmt: skip
    assert verdicts_of(["a"], None) == [{"status": "not run", "message": ""}]


def test_origins_follow_build_tests_counts() -> None:
    fn = build_tree(_writes())
    assert fn is not None
    assert origins_of(fn) == ["docstring example", "generated"]


def test_highlighter_marks_tokens_and_escapes_html() -> None:
    out = highlight('def f(x):\n    return "<b>" + str(x)  # note\n')
    assert '<span class="kw">def</span> <span class="fn">f</span>' in out
    assert '<span class="st">&quot;&lt;b&gt;&quot;</span>' in out
    assert '<span class="bi">str</span>' in out
    assert '<span class="co"># note</span>' in out
    assert "<b>" not in out
    # Text that does not tokenize is shown escaped, whole; odd tokens keep their text.
    assert highlight('x = """<open\n') == "x = &quot;&quot;&quot;&lt;open\n"
    assert re.sub(r"<[^>]+>", "", highlight('x = "<open\n')) == "x = &quot;&lt;open\n"
    assert re.sub(r"<[^>]+>", "", highlight("a = 1\nb = [a]\n")) == "a = 1\nb = [a]\n"


def test_policy_drawing_has_every_node_and_edge_of_the_graph() -> None:
    nodes, edges = policy_graph("pat")
    svg = policy_svg("pat")
    for node in nodes:
        assert f'data-node="{node}"' in svg
    for u, v, _ in edges:
        assert f'data-edge="{u}&gt;{v}"' in svg
    pos, back = _layout(nodes, edges)
    assert pos["verify"][1] > pos["generate"][1] > pos["__start__"][1]
    assert pos["__end__"][1] == max(y for _, y in pos.values())
    assert ("compose", "verify") in back  # the loop back is drawn as a back edge


def test_pareto_svg_marks_the_frontier() -> None:
    runs = [
        {"run": "a", "cost_usd": 1.0, "pass_at_1": 0.5, "policy": "pat", "benchmark": "b"},
        {"run": "b", "cost_usd": 2.0, "pass_at_1": 0.4, "policy": "std", "benchmark": "b"},
        {"run": "c", "cost_usd": 3.0, "pass_at_1": 0.9, "policy": "pat", "benchmark": "b"},
    ]
    svg = pareto_svg(runs)
    assert svg.count('class="point frontier-point"') == 2
    assert svg.count('class="point"') == 1
    assert 'data-run="b"' in svg and "pass@1 40.0%" in svg


def _summary(name: str) -> dict[str, Any]:
    return {
        "run": name, "benchmark": "bench", "policy": "pat", "generator": "g", "planner": "p",
        "problems": 1, "done": 1, "errored": 0, "pass_at_1": 1.0, "pass_at_1_plus": None,
        "verified_rate": 1.0, "planner_invocation_rate": 1.0,
        "llm_calls": {"generator": 2, "planner": 1},
        "tokens": {"generator": {"input": 5, "output": 6}, "planner": {"input": 7, "output": 8}},
        "cost_usd": 0.25, "budgets": {"n_samples": 3},
    }  # fmt: skip


def test_runs_page_shows_every_report_field() -> None:
    run = RunData(_summary("r1"), [])
    html = runs_page([run], {"r1": "r1"}, "db.sqlite")
    for key, _ in flatten(run.summary):
        assert f'data-key="{key}"' in html
    assert 'data-key="tokens.planner.output"' in html


def test_hidden_tests_appear_only_in_the_judge_section() -> None:
    secret = "assert f(12345) == 67890  # hidden marker"
    problem = ProblemData(
        "r1", "t/1", "done", {"code": GOOD, "ledger": [], "generated_tests": []}, False, None,
        None, tree=build_tree(_writes()), statement="def f(x):",
        judge={"mode": "check", "hidden_tests": [secret], "hidden_total": 1},
    )  # fmt: skip
    html = problem_page(RunData(_summary("r1"), [problem]), problem)
    marker = "12345"
    start = html.index('<section class="judge">')
    end = html.index("</section>", start)
    assert marker in html[start:end]
    assert marker not in html[:start] + html[end:]
    assert "never saw these" in html[start:end]


def test_cli_explains_a_missing_database_and_an_out_that_is_a_file(tmp_path, capsys) -> None:
    from pat_graph.cli import main

    missing = tmp_path / "none.sqlite"
    assert main(["explore", "--db", str(missing), "--out", str(tmp_path / "site")]) == 2
    assert "no database" in capsys.readouterr().err
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    assert main(["explore", "--db", str(missing), "--out", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
