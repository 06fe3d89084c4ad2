"""Statement patches: which tasks, what the solver sees with and without them, and that the judge's
data never changes. The sandbox check (canonical solutions pass their own statement tests) is in
tests/integration/test_statement_tests.py."""

from __future__ import annotations

import ast
import builtins
import json

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.patches import (
    StatementPatch,
    apply_patches,
    documented_exceptions,
    patched_task_ids,
    patches_dir,
)
from pat_graph.errors import BenchmarkError
from pat_graph.problem import Problem
from pat_graph.program.doctests import example_tests
from pat_graph.program.parse import parse_module

HUMANEVAL_PATCHED = ["HumanEval/115", "HumanEval/116", "HumanEval/148", "HumanEval/47"]


def test_humaneval_patches_are_the_released_codes_four():
    assert patched_task_ids("humaneval") == HUMANEVAL_PATCHED
    # HumanEval+ v0.1.10 already removed 115's `import math`; the other three still apply
    assert patched_task_ids("humaneval-plus") == [
        t for t in HUMANEVAL_PATCHED if t != "HumanEval/115"
    ]
    doc = json.loads((patches_dir() / "humaneval.json").read_text())
    assert "ml-postech/PaT" in doc["source"]
    assert all(p["why"] for p in doc["patches"])


@pytest.mark.parametrize("name", ["humaneval", "humaneval-plus", "mbpp-plus", "mbpp-plus-v0.2"])
def test_patches_change_only_the_solvers_view_of_patched_tasks(name: str):
    bench = load_benchmark(name)
    patched = set(patched_task_ids(name))
    changed = set()
    for task in bench.tasks:
        seen = task.problem_for(True)
        assert task.problem_for(False) is task.problem  # the knob off: exactly as shipped
        if seen != task.problem:
            changed.add(task.task_id)
            assert seen.entry_point == task.problem.entry_point
            assert seen.kind == task.problem.kind
    assert changed == patched & {t.task_id for t in bench.tasks}
    # the judge-side fields are the shipped ones (reference programs keep 115's import)
    by_id = bench.by_id()
    if "HumanEval/115" in by_id and name == "humaneval":
        assert "import math" in (by_id["HumanEval/115"].reference_program or "")
        assert "import math" not in by_id["HumanEval/115"].problem_for(True).prompt


def test_humaneval_patched_examples_become_the_corrected_tests():
    tasks = load_benchmark("humaneval").by_id()

    def tests(task_id: str, patched: bool) -> list[str]:
        problem = tasks[task_id].problem_for(patched)
        return example_tests(problem.prompt, problem.entry_point)

    assert "15.0" in tests("HumanEval/47", False)[1] and "8.0" in tests("HumanEval/47", True)[1]
    assert tests("HumanEval/116", True) == [
        "assert (sort_array([1, 5, 2, 3, 4])) == ([1, 2, 4, 3, 5])",
        "assert (sort_array([-2, -3, -4, -5, -6])) == ([-4, -2, -6, -5, -3])",
        "assert (sort_array([1, 0, 2, 3, 4])) == ([0, 1, 2, 4, 3])",
    ]
    assert "('Venus',)" in tests("HumanEval/148", True)[1]
    # 115: with the import gone the docstring is a docstring again (no examples parse from it,
    # its examples are prose), and the statement still defines max_fill
    assert tasks["HumanEval/115"].problem_for(True).prompt.count("def max_fill") == 1


def test_mbpp_patches_rewrite_the_visible_assert_too():
    bench = load_benchmark("mbpp-plus")
    ids = patched_task_ids("mbpp-plus")
    assert ids, "the MBPP+ patch list is empty"
    for task_id in ids:
        task = bench.by_id()[task_id]
        before, after = task.problem_for(False), task.problem_for(True)
        assert before.tests != after.tests and len(after.tests) == 1
        assert after.tests[0] in after.prompt and before.tests[0] not in after.prompt
    # EvalPlus dropped the same tasks from v0.2.0, so the v0.2 subset needs none of them
    assert not set(ids) & {t.task_id for t in load_benchmark("mbpp-plus-v0.2").tasks}


def test_exceptions_are_documented_with_a_reason():
    exceptions = documented_exceptions("mbpp-plus")
    assert all(why for why in exceptions.values())
    assert not set(exceptions) & set(patched_task_ids("mbpp-plus"))
    assert documented_exceptions("humaneval") == {}


def test_a_patch_that_no_longer_matches_is_an_error():
    problem = Problem("t/1", "def f():\n    '''>>> f()\n    1\n    '''\n", "f")
    patch = StatementPatch("t/1", "    2\n", "    3\n", "test")
    with pytest.raises(BenchmarkError, match="does not match"):
        apply_patches(problem, [patch])
    fixed = apply_patches(problem, [StatementPatch("t/1", "    1\n", "    2\n", "test")])
    assert example_tests(fixed.prompt, "f") == ["assert (f()) == (2)"]


@pytest.mark.parametrize("name", ["humaneval", "humaneval-plus", "mbpp-plus"])
def test_statement_examples_only_use_names_that_exist(name: str):
    """The class of bug behind HumanEval/46, 63, 80: prose parsed into tests with undefined names.
    Every example test of every statement may use only builtins and what the statement defines."""
    allowed = set(dir(builtins)) | {"math"}  # math: the default import block (MBPP+ isclose)
    for task in load_benchmark(name).tasks:
        problem = task.problem_for(True)
        tree = parse_module(problem.prompt)
        defined = {problem.entry_point}
        if tree is not None:
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.ClassDef):
                    defined.add(node.name)
                elif isinstance(node, ast.Import | ast.ImportFrom):
                    defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    defined.add(node.id)
        for test in example_tests(problem.prompt, problem.entry_point):
            expr = ast.parse(test)
            bound = {n.arg for n in ast.walk(expr) if isinstance(n, ast.arg)}
            bound |= {
                n.id
                for n in ast.walk(expr)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
            assert names <= allowed | defined | bound, (task.task_id, test)


def test_mbpp_patch_file_entries_are_single_asserts_on_the_entry_point():
    doc = json.loads((patches_dir() / "mbppplus.json").read_text())
    tasks = load_benchmark("mbpp-plus").by_id()
    assert doc["tasks"] == len(tasks) and doc["statement_tests"] >= len(tasks)
    for patch in doc["patches"]:
        tree = ast.parse(patch["new"])
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Assert)
        called = {
            n.func.id
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        assert tasks[patch["task_id"]].problem.entry_point in called, patch
        assert patch["why"]
