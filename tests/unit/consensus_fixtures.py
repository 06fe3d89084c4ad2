"""A sandbox stand-in for the FunCoder/CodeT graph tests: outcomes looked up by a marker comment
in the candidate (`# v:<label>`), so a test states exactly what each candidate outputs without
running anything."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pat_graph.sandbox.base import CallOutcome, TestOutcome, TestReport

_MARK = re.compile(r"# v:(\w+)")


@dataclass
class Behaviour:
    """What a labelled candidate does: its value on every call (or a crash), and whether it
    passes the unit/assert tests (all, or those whose text contains one of `passes`)."""

    value: Any = None
    crash: bool = False
    unit_ok: bool = True
    passes: tuple[str, ...] | None = None


@dataclass
class MarkerSandbox:
    behaviours: Mapping[str, Behaviour]
    name: str = "marker"
    test_runs: list[tuple[str, list[Any]]] = field(default_factory=list)
    call_runs: list[tuple[str, list[Any]]] = field(default_factory=list)

    def _of(self, code: str) -> Behaviour:
        labels = _MARK.findall(code)
        # the last marker belongs to the function written last (the node's own function)
        return (
            self.behaviours.get(labels[-1], Behaviour(crash=True))
            if labels
            else Behaviour(crash=True, unit_ok=False)
        )

    async def run_tests(
        self,
        code: str,
        tests: Sequence[Any],
        *,
        kind: str = "function",
        timeout_s: float = 6.0,
        entry_point: str | None = None,
    ) -> TestReport:
        self.test_runs.append((code, list(tests)))
        b = self._of(code)

        def ok(test: Any) -> bool:
            if b.passes is not None:
                return any(p in str(test) for p in b.passes)
            return b.unit_ok

        return TestReport(tuple(TestOutcome("pass" if ok(t) else "fail") for t in tests))

    async def run_calls(
        self,
        code: str,
        calls: Sequence[Any],
        *,
        kind: str = "function",
        timeout_s: float = 6.0,
        entry_point: str | None = None,
    ) -> tuple[CallOutcome, ...]:
        self.call_runs.append((code, list(calls)))
        b = self._of(code)
        if b.crash:
            return tuple(CallOutcome("error", None, "boom") for _ in calls)
        return tuple(CallOutcome("ok", b.value) for _ in calls)
