"""The knobs of a policy, with the defaults of the authors' configuration (PAT_SPEC.md s. 3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from pat_graph.errors import ConfigError

Policy = Literal["standard", "best-of-n", "pbt", "pat"]
POLICIES: tuple[Policy, ...] = ("standard", "best-of-n", "pbt", "pat")


@dataclass(frozen=True)
class Budgets:
    n_samples: int = 5  # trial candidates per node (N)
    trial_temperature: float = 0.8
    plan_temperature: float = 0.2
    plan_rounds: int = 5  # R, planning rounds per node
    max_depth: int = 3  # the root is depth 0; nodes at max_depth never plan
    parse_retries: int = 3  # planner answers that cannot be parsed
    test_retries: int = 3  # test-writing answers without a usable assert
    generate_tests: bool = True  # the generator writes extra in-loop tests
    n_generated_tests: int = 6
    test_temperature: float = 0.2
    timeout_s: float = 6.0  # per test, in the sandbox

    def __post_init__(self) -> None:
        checks = {
            "n_samples": self.n_samples >= 1,
            "plan_rounds": self.plan_rounds >= 1,
            "max_depth": self.max_depth >= 0,
            "parse_retries": self.parse_retries >= 1,
            "test_retries": self.test_retries >= 1,
            "n_generated_tests": self.n_generated_tests >= 0,
            "timeout_s": self.timeout_s > 0,
            "trial_temperature": 0 <= self.trial_temperature <= 2,
            "plan_temperature": 0 <= self.plan_temperature <= 2,
            "test_temperature": 0 <= self.test_temperature <= 2,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(
                f"invalid budget values: {', '.join(f'{b}={getattr(self, b)!r}' for b in bad)}"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def recursion_limit(self) -> int:
        """LangGraph supersteps one node needs in the worst case (loops are bounded by our own
        counters; this only keeps LangGraph's guard out of the way)."""
        return 10 + 5 * self.plan_rounds


POLICY_DEFAULTS: dict[str, dict[str, Any]] = {
    # One greedy generation checked against the statement's examples: the paper's cost unit.
    "standard": {"n_samples": 1, "trial_temperature": 0.0, "generate_tests": False},
    "best-of-n": {},
    "pbt": {},
    "pat": {},
}


def budgets_for(policy: str, overrides: dict[str, Any] | None = None) -> Budgets:
    if policy not in POLICY_DEFAULTS:
        raise ConfigError(f"unknown policy {policy!r}; choose one of: {', '.join(POLICIES)}")
    known = {f.name for f in fields(Budgets)}
    unknown = sorted(set(overrides or {}) - known)
    if unknown:
        raise ConfigError(
            f"unknown budget(s) {', '.join(unknown)}; known budgets: {', '.join(sorted(known))}"
        )
    return replace(Budgets(), **{**POLICY_DEFAULTS[policy], **(overrides or {})})
