"""What the solving loop may see of a problem, and what it returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ProblemKind = Literal["function", "stdio"]

# A "function" test is Python source run after the candidate in its namespace, or a call-style
# mapping {"args": [...], "expected": ..., "atol": float?} applied to the entry point.
# A "stdio" test is a mapping {"input": str, "output": str}.
Test = str | Mapping[str, Any]


@dataclass(frozen=True)
class Problem:
    """Holds only what the loop may see. Hidden tests live in a benchmark's judge, never here."""

    task_id: str
    prompt: str
    entry_point: str
    tests: list[Test] = field(default_factory=list)
    kind: ProblemKind = "function"

    def __post_init__(self) -> None:
        if self.kind not in ("function", "stdio"):
            raise ValueError(f"Problem.kind must be 'function' or 'stdio', got {self.kind!r}")
        if self.kind == "function" and not self.entry_point:
            raise ValueError(f"Problem {self.task_id!r}: a 'function' problem needs an entry_point")

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "prompt": self.prompt,
            "entry_point": self.entry_point,
            "tests": list(self.tests),
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        return cls(
            task_id=str(data["task_id"]),
            prompt=str(data["prompt"]),
            entry_point=str(data.get("entry_point") or ""),
            tests=list(data.get("tests") or []),
            kind=data.get("kind", "function"),
        )
