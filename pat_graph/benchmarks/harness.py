"""Builds the Python test source that judges one tier (base or plus) of a differential task.

All inputs of a tier go into ONE test, so a task costs one sandbox run instead of thousands. The
harness calls the candidate's entry point on each input with EvalPlus's per-input time limit
(max(1 s, 4 x the reference time)), stops at the first mismatch (EvalPlus's fast check) and
raises, which the sandbox reports as a failed test.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence

from pat_graph.benchmarks import literal, oracle

MIN_TIME_LIMIT_S = 1.0
TIME_LIMIT_FACTOR = 4.0
TASK_TIMEOUT_CAP_S = 60.0  # EvalPlus caps one tier's total time at 60 s (+1)
# The sandbox inspects every return value for comparison-overriding types inside the timed call
# (~0.6 s for a million-element list), so each per-input limit gets this much on top.
GUARD_SLACK_S = 1.0

_TEMPLATE = """
def __pat_judge_tier():
    import hashlib, signal, sys, threading
    from typing import Any
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)
{oracle_src}
{canonical_src}
    def _digest(value):
        try:
            return hashlib.sha256(canonical_form(value).encode()).hexdigest()
        except Exception:
            return None
    class _Null:
        def write(self, s): return len(s)
        def flush(self): pass
    class _Slow(Exception):
        pass
    def _alarm(signum, frame):
        raise _Slow()
    fn = {entry_point}
    if {not_none!r}:
        # Only `out is not None` (or a real bool's value) is checked, which no __eq__ override
        # can fake, so the sandbox's return-value guard (it rejects re.Match) is not needed.
        fn = getattr(fn, "__wrapped__", fn)
    inputs = {inputs}
    expected = {expected}
    digests = {digests}
    limits = {limits}
    atol = {atol!r}
    timed = threading.current_thread() is threading.main_thread()
    if timed:
        previous = signal.signal(signal.SIGALRM, _alarm)
    real_stdout = sys.stdout
    try:
        for i, args in enumerate(inputs):
            sys.stdout = _Null()
            try:
                if timed:
                    signal.setitimer(signal.ITIMER_REAL, limits[i])
                try:
                    out = fn(*args)
                finally:
                    if timed:
                        signal.setitimer(signal.ITIMER_REAL, 0)
            except _Slow:
                raise AssertionError("{tier} input #%d: over the time limit" % i) from None
            finally:
                sys.stdout = real_stdout
            if i in digests:
                ok = _digest(out) == digests[i]
            else:
                ok, atol = check_output({dataset!r}, {entry_point!r}, args, out, expected[i], atol)
            if not ok:
                raise AssertionError("{tier} input #%d: wrong output" % i)
    finally:
        sys.stdout = real_stdout
        if timed:
            signal.signal(signal.SIGALRM, previous)

__pat_judge_tier()
"""


def _indented(src: str) -> str:
    return "\n".join("    " + line if line.strip() else "" for line in src.splitlines())


def time_limits(ref_times: Sequence[float]) -> list[float]:
    return [max(MIN_TIME_LIMIT_S, TIME_LIMIT_FACTOR * t) + GUARD_SLACK_S for t in ref_times]


def tier_timeout(ref_times: Sequence[float]) -> float:
    return min(TASK_TIMEOUT_CAP_S, sum(time_limits(ref_times))) + 1.0


def tier_source(
    *,
    tier: str,
    dataset: str,
    entry_point: str,
    inputs: Sequence[object],
    expected_src: Sequence[str],
    ref_times: Sequence[float],
    atol: float,
    digests: Mapping[str, str] | None = None,
) -> str:
    if not entry_point.isidentifier():
        raise ValueError(f"entry point {entry_point!r} is not an identifier")
    return _TEMPLATE.format(
        oracle_src=_indented(inspect.getsource(oracle)),
        canonical_src=_indented(inspect.getsource(literal.canonical_form)),
        digests=repr({int(k): v for k, v in (digests or {}).items()}),
        entry_point=entry_point,
        inputs=literal.to_source(list(inputs)),
        expected="[" + ", ".join(expected_src) + "]",
        limits=repr(time_limits(ref_times)),
        atol=float(atol),
        dataset=dataset,
        tier=tier,
        not_none=dataset == "mbpp" and entry_point in oracle.MBPP_NOT_NONE,
    )
