"""The differential judge's host-side half: calls out, EvalPlus's oracle on the plain outputs."""

from __future__ import annotations

import hashlib

from pat_graph.benchmarks.harness import judge_tier, tier_calls, time_limits
from pat_graph.sandbox import literal
from pat_graph.sandbox.base import CallOutcome


def _ok(value: object) -> CallOutcome:
    return CallOutcome("ok", value)


def _tier(dataset: str, entry: str, inputs, expected, outcomes, atol=0.0, digests=None):  # type: ignore[no-untyped-def]
    return judge_tier(
        tier="base", dataset=dataset, entry_point=entry, inputs=inputs, expected=expected,
        digests=digests, atol=atol, outcomes=outcomes,
    )  # fmt: skip


def test_calls_carry_inputs_and_limits_but_no_expected_values() -> None:
    calls = tier_calls(
        dataset="mbpp", entry_point="check_str", inputs=[["ab"], [(1, 2)]], ref_times=[0.0, 2.0]
    )
    assert [c["timeout_s"] for c in calls] == time_limits([0.0, 2.0]) == [2.0, 9.0]
    assert "check_str(*['ab'])" in calls[0]["src"] and "is not None" in calls[0]["src"]
    assert "(1, 2)" in calls[1]["src"]
    plain = tier_calls(dataset="humaneval", entry_point="f", inputs=[[1]], ref_times=[0.1])
    assert plain[0]["src"] == "f(*[1])" and "digest" not in plain[0]


def test_exact_ints_and_types_float_tolerance_only_for_floats() -> None:
    assert _tier("humaneval", "f", [[1]], [3], [_ok(3)]).passed
    assert not _tier("humaneval", "f", [[1]], [124999999], [_ok(124999998)]).passed
    assert not _tier("humaneval", "f", [[1]], [(1, 2)], [_ok([1, 2])]).passed
    assert _tier("humaneval", "f", [[1]], [(1, 2)], [_ok({"__tuple__": [1, 2]})]).passed
    assert _tier("humaneval", "f", [[1]], [0.3], [_ok(0.1 + 0.2)]).passed
    assert not _tier("humaneval", "f", [[1]], [0.3], [_ok(0.31)]).passed


def test_special_oracles_run_on_the_host() -> None:
    # find_zero: any x with |poly(x)| <= atol
    assert _tier("humaneval", "find_zero", [[[-2, 1]]], [2.0], [_ok(2.0000001)], atol=1e-6).passed
    assert not _tier("humaneval", "find_zero", [[[-2, 1]]], [2.0], [_ok(3.0)], atol=1e-6).passed
    # MBPP set equality: order and duplicates do not matter
    assert _tier("mbpp", "similar_elements", [[(1,), (1,)]], [(4, 5)], [_ok([5, 4, 4])]).passed
    # not-none tasks: the call already reduced the output to a bool
    assert _tier("mbpp", "check_str", [["a"]], [True], [_ok(True)]).passed
    assert not _tier("mbpp", "check_str", [["a"]], [True], [_ok(False)]).passed


def test_digests_errors_and_timeouts() -> None:
    big = list(range(10))
    digest = hashlib.sha256(literal.canonical_form(big).encode()).hexdigest()
    good = _ok({"__digest__": digest})
    assert _tier("humaneval", "f", [[1]], [None], [good], digests={"0": digest}).passed
    assert not _tier("humaneval", "f", [[1]], [None], [_ok(big)], digests={"0": digest}).passed
    slow = _tier("humaneval", "f", [[1], [2]], [1, 2], [_ok(1), CallOutcome("timeout")])
    assert not slow.passed and slow.slow and "#1" in slow.message
    err = _tier("humaneval", "f", [[1]], [1], [CallOutcome("error", message="ValueError: x")])
    assert not err.passed and not err.slow and "ValueError" in err.message
