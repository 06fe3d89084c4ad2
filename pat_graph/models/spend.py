"""Dollar budgets (issue 14): `--max-cost-usd` for a run, `max_problem_cost_usd` for a problem.

Only real spend counts: a request answered from a recorded run (`replayed` in its ledger entry)
costs nothing now, so it never uses up a budget. A run's spend is cumulative over its
invocations, so running again with a higher budget goes on where the last one stopped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pat_graph.errors import PatError


def paid(entry: Mapping[str, Any]) -> float:
    """What this request cost the run now: 0 for a replayed one or an unknown cost."""
    if entry.get("replayed"):
        return 0.0
    value = entry.get("cost_usd")
    return 0.0 if value is None else float(value)


@dataclass
class SpendGuard:
    """The run's real spend against `--max-cost-usd`; checked before each problem starts, so
    problems in flight when the limit is reached finish (and may overshoot it a little)."""

    limit: float | None
    spent: float = 0.0
    stopped: int = 0  # problems not started because the budget was reached

    @classmethod
    def from_calls(cls, limit: float | None, calls: Iterable[Mapping[str, Any]]) -> SpendGuard:
        return cls(limit, sum(paid(e) for e in calls))

    def add(self, entry: Mapping[str, Any]) -> None:
        self.spent += paid(entry)

    def may_start(self) -> bool:
        if self.limit is None or self.spent < self.limit:
            return True
        self.stopped += 1
        return False


class ProblemBudgetReached(PatError):
    """A problem's real spend reached `max_problem_cost_usd`: it finalizes with its best program
    so far instead of asking the model again."""


def check_problem(spent: float, limit: float | None, task_id: str) -> None:
    if limit is not None and spent >= limit:
        raise ProblemBudgetReached(
            f"problem {task_id} reached max_problem_cost_usd={limit} (spent ${spent:.6f})"
        )
