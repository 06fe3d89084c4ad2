"""Splitting tests into calls (sent to the sandbox) and checks (kept on the host)."""

from __future__ import annotations

import math

import pytest

from pat_graph.sandbox.base import CallOutcome
from pat_graph.sandbox.harness.plain import _plain
from pat_graph.sandbox.split import (
    NotLiteral,
    check_output,
    count_unsplittable,
    parse_literal,
    split_source,
    split_test,
)


def _call(source: str) -> dict[str, object]:
    name, _, rest = source.partition("(")
    args, kwargs = eval(f"(lambda *a, **k: (a, k))({rest}")  # test data written right here
    return {"fn": name, "argv": _plain((args, kwargs))}


@pytest.mark.parametrize(
    ("source", "call", "op", "expected"),
    [
        ("assert f(1) == 2", "f(1)", "eq", 2),
        ("assert -3 == f(x=1)", "f(x=1)", "eq", -3),
        ("assert (f([1, 2])) == ((1, 2), {3}, {'a': None})", "f([1, 2])", "eq",
         ((1, 2), {3}, {"a": None})),
        ("assert f() == float('inf')", "f()", "eq", math.inf),
        ("assert f() == set()", "f()", "eq", set()),
        ("assert f(2)", "f(2)", "truthy", None),
        ("assert not f(2)", "f(2)", "falsy", None),
        ("assert f(2) is True", "f(2)", "is", True),
        ("assert f(2) is not None", "f(2)", "is_not", None),
        ("assert f(1) in [1, 2]", "f(1)", "in", [1, 2]),
        ("assert math.isclose(f(1), 2.5, abs_tol=1e-3)", "f(1)", "close", 2.5),
        ("assert abs(f(1) - 2.5) < 1e-6", "f(1)", "abs_lt", 2.5),
        ("assert abs((f(1)) - (2.5)) <= 1e-6 * max(1.0, abs(2.5))", "f(1)", "abs_le", 2.5),
        ("f(1, 2)", "f(1, 2)", "ran", None),
    ],
)  # fmt: skip
def test_split_forms(source: str, call: str, op: str, expected: object) -> None:
    split = split_source(source)
    assert split is not None
    assert split.calls[0] == _call(call)  # only the function's name and plain arguments go in
    assert split.checks[0].op == op
    assert split.checks[0].expected == expected
    assert "2.5" not in str(split.calls) or op == "ran"  # expected values stay on the host


@pytest.mark.parametrize(
    "source",
    [
        "assert f(1) == g(2)",  # no literal side
        "assert all(f(x) == 1 for x in range(3))",  # a comparison would run inside
        "assert not any(f(x) == 2 for x in [1])",
        "assert f(1) > g(2)",
        "assert 1 < f(1) < 3",
        "assert f(1) == 1 and f(2) == 2",
        "x = f(1)\nassert x == 1",
        "def check(c):\n    assert c(1) == 1\n",
        "assert False",
        "for i in range(3):\n    assert f(i) == i",
        "assert f(",
        # issue 19: anything but the candidate's own function would run next to its code
        "assert sorted(f(1)) == [1]",
        "assert math.fabs(f(1)) < 1e-4",
        "assert f(g(1)) == 1",
        "assert f([i for i in range(3)]) == 3",
        "assert m.f(1) == 1",
    ],
)
def test_unsplittable_forms(source: str) -> None:
    assert split_source(source) is None


def test_several_asserts_and_imports_in_one_test() -> None:
    split = split_source("import math\nassert f(1) == 1\nassert True, 'msg'\nassert f(2) == 4\n")
    assert split is not None
    assert list(split.calls) == [_call("f(1)"), _call("f(2)")]  # the imports are not needed


def test_mappings_split_without_their_expected_values() -> None:
    call = split_test({"args": [1], "expected": 2, "atol": 0.5}, "function")
    assert call is not None and call.calls == ({"args": [1], "kwargs": {}},)
    assert call.checks[0].expected == 2 and call.checks[0].atol == 0.5
    stdio = split_test({"input": "1 2\n", "output": "3\n"}, "stdio")
    assert stdio is not None and stdio.calls == ({"input": "1 2\n"},)
    assert count_unsplittable(["assert f(1) == 1", "assert f(1) > g(0)"], "function") == 1


def test_parse_literal() -> None:
    assert parse_literal("-0x10") == -16
    assert parse_literal("frozenset({1, 2})") == frozenset({1, 2})
    assert math.isnan(parse_literal("float('nan')"))
    for bad in ("x", "f(1)", "[1, y]", "float('1.5')", "{**a}"):
        with pytest.raises(NotLiteral):
            parse_literal(bad)


def _verdict(source: str, value: object, status: str = "ok") -> str:
    split = split_source(source)
    assert split is not None
    return check_output(split.checks[0], CallOutcome(status, value)).status  # type: ignore[arg-type]


def test_host_checks_follow_evalplus_rules() -> None:
    assert _verdict("assert f() == 3", 3.0) == "pass"  # float for an int: exactly equal
    assert _verdict("assert f() == 3", 3.0000001) == "fail"
    assert _verdict("assert f() == 1", True) == "fail"  # a bool is not an int
    assert _verdict("assert f() == 0.3", 0.30000000000000004) == "pass"
    assert _verdict("assert f() == (1, 2)", [1, 2]) == "fail"  # Python: a list is no tuple
    assert _verdict("assert f() == (1, 2)", {"__tuple__": [1, 2]}) == "pass"
    assert _verdict("assert f() == {1, 2}", {"__set__": [1, 2]}) == "pass"
    assert _verdict("assert f() is None", None) == "pass"
    assert _verdict("assert f() is None", 0) == "fail"
    assert _verdict("assert not f()", []) == "pass"
    assert _verdict("assert math.isclose(f(), 1.0)", 1.0 + 1e-12) == "pass"
    assert _verdict("assert abs(f() - 2) < 0.1", 2.2) == "fail"
    assert _verdict("assert f() == 2", None, "timeout") == "timeout"
    assert _verdict("assert f() == 2", None, "error") == "error"


def test_failure_message_names_the_assert_and_the_value() -> None:
    split = split_source("assert add(1, 2) == 4")
    assert split is not None
    outcome = check_output(split.checks[0], CallOutcome("ok", 3))
    assert outcome.status == "fail"
    assert "assert add(1, 2) == 4" in outcome.message and "got 3" in outcome.message


def test_constant_arithmetic_folds_into_the_expected_value() -> None:
    assert parse_literal("2.0 / 3.0") == 2.0 / 3.0
    assert parse_literal("(3 + 5 + 7, 3 * 5 * 7)") == (15, 105)
    assert parse_literal("'ab' + 'c'") == "abc"
    for bad in ("10 ** 100000", "1 / 0", "'a' * 3", "x + 1"):
        with pytest.raises(NotLiteral):
            parse_literal(bad)
    split = split_source("assert abs(f([1.0, 2.0, 3.0]) - 2.0 / 3.0) < 1e-6")
    assert split is not None and split.calls[0] == _call("f([1.0, 2.0, 3.0])")


def test_ordering_against_a_literal_splits_either_way_round() -> None:
    split = split_source("assert f(1) > 2")
    assert split is not None and split.checks[0].op == "gt" and split.calls[0] == _call("f(1)")
    flipped = split_source("assert 2 >= f(1)")
    assert flipped is not None and flipped.checks[0].op == "le"
    assert _verdict("assert f() > 2", 3) == "pass"
    assert _verdict("assert f() > 2", 2) == "fail"
    assert _verdict("assert 2 >= f()", 2) == "pass"
    assert _verdict("assert f() < 2", "x") == "fail"  # incomparable plain values: a failure
