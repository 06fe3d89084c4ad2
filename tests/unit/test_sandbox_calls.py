"""run_calls: each output comes back as plain data for the host to compare (process backend)."""

from __future__ import annotations

from pat_graph.sandbox import CallOutcome, run_calls, run_calls_sync
from pat_graph.sandbox.compare import decode_value, same_output

CODE = (
    "import os\n"
    "calls = []\n"
    "def add(a, b=0):\n    calls.append(1)\n    return a + b\n"
    "def boom():\n    os._exit(3)\n"
    "def hang():\n    while True:\n        pass\n"
    "def count():\n    return len(calls)\n"
)


async def test_values_come_back_tagged_and_decode_to_the_same_python_values() -> None:
    calls = ["add(1, 2)", "add((1,), (2,))", {"args": [[1], [2]]}, "{1: {2}, (3,): b'x'}"]
    out = await run_calls(CODE, calls, sandbox="process", entry_point="add")
    assert [o.status for o in out] == ["ok"] * 4
    assert [decode_value(o.value) for o in out] == [3, (1, 2), [1, 2], {1: {2}, (3,): b"x"}]
    assert out[1].value == {"__tuple__": [1, 2]}


async def test_a_crash_or_hang_costs_only_its_own_call() -> None:
    calls = ["add(1)", "boom()", "add(2)", "hang()", "add(3)", "1/0", "count()"]
    out = await run_calls(CODE, calls, sandbox="process", timeout_s=0.5)
    assert [o.status for o in out] == ["ok", "error", "ok", "timeout", "ok", "error", "ok"]
    assert "exit code 3" in out[1].message
    assert "ZeroDivisionError" in out[5].message
    # calls share one process until it dies: the last child saw add(3) only
    assert out[6].value == 1


async def test_candidate_that_fails_to_load_errors_every_call() -> None:
    out = await run_calls("def f(:\n", ["f()", "f()"], sandbox="process")
    assert [o.status for o in out] == ["error", "error"]
    assert "SyntaxError" in out[0].message


async def test_non_builtin_values_are_errors_not_values() -> None:
    code = (
        "class Yes(int):\n    def __eq__(self, o):\n        return True\n"
        "class L(list):\n    pass\n"
        "def f():\n    return Yes(1)\n"
        "def g():\n    return L([1])\n"
        "def h():\n    return [Yes(2)]\n"
    )
    out = await run_calls(code, ["f()", "g()", "h()"], sandbox="process")
    assert [o.status for o in out] == ["error"] * 3
    assert "only built-in values" in out[0].message


def test_stdio_calls_return_stdout() -> None:
    code = "print(int(input()) * 2)\n"
    out = run_calls_sync(code, ["21\n", {"input": "x"}], kind="stdio", sandbox="process")
    assert out[0] == CallOutcome("ok", "42\n", "", out[0].duration_s)
    assert out[1].status == "error" and "ValueError" in out[1].message


def test_same_output() -> None:
    ok = CallOutcome("ok", {"__dict__": [["a", 1], ["b", 2]]})
    assert same_output(ok, CallOutcome("ok", {"__dict__": [["b", 2], ["a", 1]]}))
    assert not same_output(CallOutcome("ok", [1, 2]), CallOutcome("ok", {"__tuple__": [1, 2]}))
    assert not same_output(CallOutcome("ok", True), CallOutcome("ok", 1))
    assert not same_output(CallOutcome("error"), CallOutcome("error"))
    assert same_output(CallOutcome("ok", "1 2\n"), CallOutcome("ok", "1  2"), kind="stdio")
    assert not same_output(CallOutcome("ok", "1 2\n"), CallOutcome("ok", "1  2"))
    assert CallOutcome.from_dict(ok.to_dict()) == ok
