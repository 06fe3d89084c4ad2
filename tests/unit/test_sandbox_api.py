"""Behaviour of run_tests through the process backend (fast: one interpreter per call)."""

from __future__ import annotations

import pytest

from pat_graph import sandbox as sbx
from pat_graph.errors import ConfigError
from pat_graph.sandbox import (
    ProcessSandbox,
    Sandbox,
    get_sandbox,
    run_tests,
    run_tests_sync,
)

CODE = "def add(a, b):\n    return a + b\n"


async def test_assert_tests_pass_and_fail_with_the_assert_text() -> None:
    report = await run_tests(
        CODE, ["assert add(1, 2) == 3", "assert add(1, 2) == 4"], sandbox="process"
    )
    assert [o.status for o in report.outcomes] == ["pass", "fail"]
    assert not report.passed
    assert "assert add(1, 2) == 4" in report.outcomes[1].message


async def test_check_harness_and_exception_line() -> None:
    check = "def check(candidate):\n    assert candidate(2, 2) == 4\n\ncheck(add)\n"
    report = await run_tests(CODE, [check, "add(1, 'x')"], sandbox="process", entry_point="add")
    assert report.outcomes[0].status == "pass"
    assert report.outcomes[1].status == "error"
    assert "TypeError" in report.outcomes[1].message


async def test_call_style_tests_compare_on_the_host() -> None:
    tests = [
        {"args": [1, 2], "expected": 3},
        {"args": [0.1, 0.2], "expected": 0.3},
        {"args": [[1], [2]], "expected": (1, 2)},
        {"args": [1, 1], "expected": 3},
    ]
    report = await run_tests(CODE, tests, sandbox="process", entry_point="add")
    assert [o.status for o in report.outcomes] == ["pass", "pass", "pass", "fail"]
    assert report.outcomes[3].message == "expected 3, got 2"


async def test_stdio_tests() -> None:
    code = "a, b = map(int, input().split())\nprint(a + b)\n"
    tests = [{"input": "1 2\n", "output": "3\n"}, {"input": "1 2", "output": "4"}]
    report = await run_tests(code, tests, kind="stdio", sandbox="process")
    assert [o.status for o in report.outcomes] == ["pass", "fail"]
    assert "expected '4', got '3'" in report.outcomes[1].message


async def test_hanging_test_does_not_hide_the_others() -> None:
    tests = ["assert add(1, 1) == 2", "while True: pass", "assert add(2, 2) == 4"]
    report = await run_tests(CODE, tests, sandbox="process", timeout_s=0.5)
    assert [o.status for o in report.outcomes] == ["pass", "timeout", "pass"]


async def test_early_exit_is_not_a_pass() -> None:
    for cheat in (
        "import os\nos._exit(0)\n",
        "import sys\nsys.exit(0)\n",
        "raise KeyboardInterrupt",
    ):
        report = await run_tests(CODE + cheat, ["assert add(1, 2) == 5"], sandbox="process")
        assert report.outcomes[0].status == "error", cheat


async def test_always_equal_object_is_rejected() -> None:
    code = (
        "class Yes:\n    def __eq__(self, o):\n        return True\n\ndef f():\n    return Yes()\n"
    )
    report = await run_tests(
        code, ["assert f() == 1", {"args": [], "expected": 1}], sandbox="process", entry_point="f"
    )
    assert [o.status for o in report.outcomes] == ["error", "error"]


def test_sync_twin_and_empty_tests() -> None:
    assert run_tests_sync(CODE, ["assert add(0, 0) == 0"], sandbox="process").passed
    assert run_tests_sync(CODE, [], sandbox="process") == sbx.TestReport(())


def test_get_sandbox_names() -> None:
    box = get_sandbox("process")
    assert isinstance(box, ProcessSandbox) and isinstance(box, Sandbox)
    assert get_sandbox("process") is box
    assert get_sandbox("auto").name in ("bwrap", "process")
    with pytest.raises(ConfigError):
        get_sandbox("docker")


async def test_standard_containers_compare_like_python_does():
    from pat_graph.sandbox import run_tests

    code = (
        "from collections import Counter, OrderedDict, defaultdict, deque\n"
        "def f(s):\n    return Counter(s)\n"
        "def g():\n    d = defaultdict(int)\n    d['a'] += 1\n    return d\n"
        "def h():\n    return deque([1, 2])\n"
    )
    cases = [
        ("f", ["assert f('aab') == {'a': 2, 'b': 1}", "assert f('aab') == {'a': 3}"]),
        ("g", ["assert g() == {'a': 1}"]),
        ("h", ["assert h() == deque([1, 2])"]),
    ]
    statuses = []
    for entry, tests in cases:  # each function is the guarded entry point in turn
        report = await run_tests(code, tests, entry_point=entry)
        statuses += [o.status for o in report.outcomes]
    assert statuses == ["pass", "fail", "pass", "pass"]
