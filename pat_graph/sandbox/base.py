"""The verification contract every sandbox backend implements.

Test outcomes are plain data, never exceptions: a candidate that crashes, hangs or cheats is a
verdict, not an error of the framework.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from pat_graph.problem import ProblemKind, Test

TestStatus = Literal["pass", "fail", "timeout", "error"]
CallStatus = Literal["ok", "error", "timeout"]


# A call for `run_calls`. Function kind: a Python expression evaluated in the candidate's namespace
# after the candidate ran ("add(1, [2, 3])"), or {"args": [...], "kwargs": {...}} applied to the
# entry point. Stdio kind: the stdin text, or {"input": str}. A mapping may also carry
# "timeout_s" (this call's own limit) and "digest": true (return a digest of the value instead of
# the value, for outputs too large to ship; see compare.value_digest).
Call = str | Mapping[str, Any]

DEFAULT_TIMEOUT_S = 6.0


@dataclass(frozen=True)
class TestOutcome:
    status: TestStatus
    message: str = ""
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message, "duration_s": self.duration_s}


@dataclass(frozen=True)
class TestReport:
    outcomes: tuple[TestOutcome, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """Every test passed. A report over zero tests counts as passed (nothing contradicts it)."""
        return all(o.passed for o in self.outcomes)

    @property
    def n_passed(self) -> int:
        return sum(1 for o in self.outcomes if o.passed)

    @property
    def n_total(self) -> int:
        return len(self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return {"outcomes": [o.to_dict() for o in self.outcomes]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestReport:
        return cls(tuple(TestOutcome(**o) for o in data.get("outcomes", ())))


@dataclass(frozen=True)
class CallOutcome:
    """What one call produced, as plain data the host compares (the sandbox never judges it).

    Function kind: `value` is the return value in the harness's tagged JSON encoding (decode it
    with `compare.decode_value`); stdio kind: the program's stdout. `ok` means the call returned
    (the program exited 0); `error` covers raising, crashing and unserialisable values.
    """

    status: CallStatus
    value: Any = None
    message: str = ""
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "value": self.value,
            "message": self.message,
            "duration_s": self.duration_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallOutcome:
        status = data.get("status", "error")
        if status not in ("ok", "error", "timeout"):
            status = "error"
        return cls(
            status,
            data.get("value"),
            str(data.get("message", "")),
            float(data.get("duration_s", 0.0)),
        )


@runtime_checkable
class Sandbox(Protocol):
    """Runs untrusted code against tests and reports one outcome per test, in order."""

    name: str

    async def run_tests(
        self,
        code: str,
        tests: Sequence[Test],
        *,
        kind: ProblemKind = "function",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        entry_point: str | None = None,
    ) -> TestReport: ...

    async def run_calls(
        self,
        code: str,
        calls: Sequence[Call],
        *,
        kind: ProblemKind = "function",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        entry_point: str | None = None,
    ) -> tuple[CallOutcome, ...]:
        """One outcome per call, in order; `timeout_s` applies to each call."""
        ...
