"""The verification contract every sandbox backend implements.

Test outcomes are plain data, never exceptions: a candidate that crashes, hangs or cheats is a
verdict, not an error of the framework.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

TestStatus = Literal["pass", "fail", "timeout", "error"]
ProblemKind = Literal["function", "stdio"]

# A "function" test is Python source run after the candidate in its namespace, or a call-style
# mapping {"args": [...], "expected": ..., "atol": float?} applied to the entry point.
# A "stdio" test is a mapping {"input": str, "output": str}.
Test = str | Mapping[str, Any]

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
