"""The graph state: JSON-small values only, because every step is checkpointed.

`typing_extensions.TypedDict`, not `typing.TypedDict`: LangGraph Server and Studio ask the graph
for its input/output JSON schemas, which pydantic builds, and pydantic refuses `typing.TypedDict`
before Python 3.12.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Mapping
from typing import Annotated, Any, NotRequired

from typing_extensions import TypedDict

from pat_graph.errors import ConfigError
from pat_graph.problem import Problem


class ProblemDict(TypedDict):
    """A problem as the state holds it: `Problem.to_dict()`, plus what a helper sees of its
    ancestors (`context`, `ancestors`, `ancestor_names`; written by implement_helper)."""

    prompt: str
    entry_point: str  # the function to write ("" or "main" for a stdio program)
    task_id: NotRequired[str]  # derived from the prompt when absent
    tests: NotRequired[list[Any]]
    kind: NotRequired[str]
    context: NotRequired[str]
    ancestors: NotRequired[str]
    ancestor_names: NotRequired[list[str]]


PROBLEM_HELP = (
    "the solver needs a problem: a pat_graph.Problem or a dict with at least "
    "'prompt' and 'entry_point' (optional: 'tests', 'kind', 'task_id')"
)


def problem_dict(value: Any) -> dict[str, Any]:
    """The state's form of a problem given as a `Problem` or a dict (checked like a Problem;
    a missing `task_id` is derived from the prompt). Extra keys a helper carries are kept."""
    if isinstance(value, Problem):
        return value.to_dict()
    if not isinstance(value, Mapping) or not isinstance(value.get("prompt"), str):
        raise ConfigError(f"{PROBLEM_HELP}; got {type(value).__name__}")
    data = dict(value)
    if not data.get("task_id"):
        digest = hashlib.sha1(data["prompt"].encode()).hexdigest()[:10]
        data["task_id"] = f"embedded/{digest}"
    try:
        checked = Problem.from_dict(data).to_dict()
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{PROBLEM_HELP}: {exc}") from exc
    return {**data, **checked}


def set_problem(_old: dict[str, Any] | None, new: Any) -> dict[str, Any]:
    """The `problem` channel's reducer: whatever form came in, a JSON-compatible dict is what
    gets checkpointed (`{"problem": Problem(...)}` is accepted as graph input)."""
    return problem_dict(new)


ProblemField = Annotated[ProblemDict, set_problem]


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Helpers solved in parallel branches each report their own entry."""
    return {**(left or {}), **(right or {})}


class SolveState(TypedDict, total=False):
    problem: ProblemField  # Problem.to_dict(), plus "context" for helpers
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
    """What a caller passes in (Studio shows this as the input form): a problem, as a
    `pat_graph.Problem` or its dict, and the depth (0 for a top-level problem)."""

    problem: ProblemField
    depth: NotRequired[int]


class HelperTask(TypedDict):
    """What `implement_helper` receives through Send: one stub to solve one level deeper."""

    helper: dict[str, Any]
    parent: dict[str, Any]
    depth: int
    plan_code: NotRequired[str]  # the parent's planned body (helper_context="code")
