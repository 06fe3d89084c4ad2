"""The graph state: JSON-small values only, because every step is checkpointed."""

from __future__ import annotations

import operator
from typing import Annotated, Any, NotRequired, TypedDict


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Helpers solved in parallel branches each report their own entry."""
    return {**(left or {}), **(right or {})}


class SolveState(TypedDict, total=False):
    problem: dict[str, Any]  # Problem.to_dict(), plus "context" for helpers
    depth: int
    phase: str  # "trial" | "plan": what `candidates` holds
    status: str  # written by nodes, read by routers (see routing.py)
    tests: list[Any]  # the in-loop tests, never hidden ones
    test_origin: dict[str, int]  # how many tests came from where
    generated_tests: list[str]
    candidates: list[str]  # whole programs to verify next
    dropped: int  # trial samples rejected by parsing
    reports: list[dict[str, Any]]  # per candidate: passed, total, failures
    best: dict[str, Any] | None  # {"code", "passed", "total", "origin"}
    round: int
    scores: list[int]  # tests passed by each planning round's composition
    plan: dict[str, Any] | None  # {"code", "stubs": [{"name", "header", "docstring"}]}
    helpers: Annotated[dict[str, Any], merge_dicts]  # name -> {"code", "verified", ...}
    unimplemented: list[str]
    ledger: Annotated[list[dict[str, Any]], operator.add]
    final: dict[str, Any] | None
    trial_no: int  # trials run at this node (paper: again while test writing gives no test)


class SolveInput(TypedDict):
    """What a caller passes in (Studio shows this as the input form): a problem as
    `Problem.to_dict()` gives it, and the depth (0 for a top-level problem)."""

    problem: dict[str, Any]
    depth: NotRequired[int]


class HelperTask(TypedDict):
    """What `implement_helper` receives through Send: one stub to solve one level deeper."""

    helper: dict[str, Any]
    parent: dict[str, Any]
    depth: int
    plan_code: NotRequired[str]  # the parent's planned body (helper_context="code")
