"""Judges one tier (base or plus) of a differential task: inputs go into the sandbox, outputs come
back as plain data, and the comparison with the canonical outputs happens here, on the host.

Only the inputs enter the sandbox (one call each, all in one sandbox run): the expected outputs,
the oracle and its special cases never do, so nothing a candidate does inside (patching the
harness, searching memory for expected values, returning objects whose ``__eq__`` lies) can
change a verdict. Each call gets EvalPlus's per-input time limit (max(1 s, 4 x the reference
time)); a tier stops at its first error or timeout and is capped at EvalPlus's 60 s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pat_graph.benchmarks import oracle
from pat_graph.sandbox import literal
from pat_graph.sandbox.base import CallOutcome
from pat_graph.sandbox.compare import decode_value

MIN_TIME_LIMIT_S = 1.0
TIME_LIMIT_FACTOR = 4.0
TASK_TIMEOUT_CAP_S = 60.0  # EvalPlus caps one tier's total time at 60 s (+1)
# A call's time includes turning its return value into plain data inside the sandbox (~0.6 s for
# a million-element list), so each per-input limit gets this much on top.
GUARD_SLACK_S = 1.0
# Candidates may print or build huge integers; EvalPlus lifts Python's int/str digit limit too.
_SETUP = "import sys as __pat_sys\n__pat_sys.set_int_max_str_digits(0)"


def time_limits(ref_times: Sequence[float]) -> list[float]:
    return [max(MIN_TIME_LIMIT_S, TIME_LIMIT_FACTOR * t) + GUARD_SLACK_S for t in ref_times]


def tier_timeout(ref_times: Sequence[float]) -> float:
    return min(TASK_TIMEOUT_CAP_S, sum(time_limits(ref_times))) + 1.0


def not_none_task(dataset: str, entry_point: str) -> bool:
    return dataset == "mbpp" and entry_point in oracle.MBPP_NOT_NONE


def tier_calls(
    *,
    dataset: str,
    entry_point: str,
    inputs: Sequence[Sequence[Any]],
    ref_times: Sequence[float],
    digests: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One call per input: source that calls the entry point, with its own time limit."""
    if not entry_point.isidentifier():
        raise ValueError(f"entry point {entry_point!r} is not an identifier")
    limits = time_limits(ref_times)
    calls: list[dict[str, Any]] = []
    for i, args in enumerate(inputs):
        src = f"{entry_point}(*{literal.to_source(list(args))})"
        if not_none_task(dataset, entry_point):
            # EvalPlus compares these (re.Match results) only as `out is not None`, or a real
            # bool's value: ship exactly that, so a Match object needs no serialising.
            src = f"(lambda r: r if type(r) is bool else r is not None)({src})"
        call: dict[str, Any] = {"src": src, "setup": _SETUP, "timeout_s": limits[i]}
        if digests and str(i) in digests:
            call["digest"] = True
        calls.append(call)
    return calls


@dataclass(frozen=True)
class TierResult:
    passed: bool
    message: str = ""
    slow: bool = False  # lost only to the clock (worth one retry on a loaded machine)
    failed_input: int | None = None  # the input it stopped at (EvalPlus's fail_tests)


def judge_tier(
    *,
    tier: str,
    dataset: str,
    entry_point: str,
    inputs: Sequence[Sequence[Any]],
    expected: Sequence[Any],
    digests: Mapping[str, str] | None,
    atol: float,
    outcomes: Sequence[CallOutcome],
) -> TierResult:
    """EvalPlus's verdict for a tier from the candidate's outputs, input by input, in order."""
    digests = digests or {}
    for i, outcome in enumerate(outcomes):
        if outcome.status == "timeout":
            return TierResult(False, f"{tier} input #{i}: over the time limit", True, i)
        if outcome.status != "ok":
            return TierResult(False, f"{tier} input #{i}: {outcome.message}"[:300], False, i)
        if str(i) in digests:
            got = outcome.value.get("__digest__") if isinstance(outcome.value, dict) else None
            ok = got == digests[str(i)]
        else:
            try:
                out = decode_value(outcome.value)
                ok, atol = oracle.check_output(
                    dataset, entry_point, list(inputs[i]), out, expected[i], atol
                )
            except Exception:  # an output the oracle cannot handle is a wrong output
                ok = False
        if not ok:
            return TierResult(False, f"{tier} input #{i}: wrong output", False, i)
    return TierResult(True)
