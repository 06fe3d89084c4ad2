"""`solve()`: one problem through one policy, for agent apps and notebooks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver

from pat_graph.graph.events import EventCallback, run_with_events
from pat_graph.graph.policies import graph_defaults, graph_for
from pat_graph.graph.state import problem_dict
from pat_graph.models.cost import request_count, summarize, total_cost
from pat_graph.models.roles import RoleModel
from pat_graph.problem import Problem
from pat_graph.sandbox.base import Sandbox


@dataclass(frozen=True)
class Result:
    task_id: str
    code: str
    verified: bool  # >= 1 in-loop test ran and all passed (never the hidden ones); 0 tests: False
    planner_calls: int
    ledger: list[dict[str, Any]] = field(default_factory=list)
    tests_passed: int = 0
    tests_total: int = 0
    rounds: int = 0
    origin: str = "trial"
    unimplemented: list[str] = field(default_factory=list)
    generated_tests: list[str] = field(default_factory=list)

    @property
    def cost_usd(self) -> float | None:
        """USD, or None when a call's cost is unknown (no price given, or no usage reported);
        the tokens in `usage()` are counted either way."""
        return total_cost(self.ledger)

    @property
    def llm_calls(self) -> int:
        """HTTP requests to any model (one ledger entry may stand for several)."""
        return request_count(self.ledger)

    @property
    def planner_invoked(self) -> bool:
        return self.planner_calls > 0

    def usage(self) -> dict[str, Any]:
        """Calls, tokens and cost per role."""
        return summarize(self.ledger)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "code": self.code,
            "verified": self.verified,
            "planner_calls": self.planner_calls,
            "cost_usd": self.cost_usd,
            "tests_passed": self.tests_passed,
            "tests_total": self.tests_total,
            "rounds": self.rounds,
            "origin": self.origin,
            "unimplemented": self.unimplemented,
            "generated_tests": self.generated_tests,
            "ledger": self.ledger,
        }


def result_from_state(state: Mapping[str, Any]) -> Result:
    final = state.get("final") or {}
    ledger = list(state.get("ledger") or [])
    return Result(
        task_id=str((state.get("problem") or {}).get("task_id", "")),
        code=final.get("code", ""),
        verified=bool(final.get("verified")),
        planner_calls=request_count(ledger, "planner"),
        ledger=ledger,
        tests_passed=int(final.get("passed", 0)),
        tests_total=int(final.get("total", 0)),
        rounds=int(final.get("rounds", 0)),
        origin=str(final.get("origin", "trial")),
        unimplemented=list(final.get("unimplemented") or []),
        generated_tests=list(state.get("generated_tests") or []),
    )


def initial_state(problem: Problem | Mapping[str, Any]) -> dict[str, Any]:
    """A graph's input for a top-level problem (a Problem or its dict), JSON-compatible."""
    return {"problem": problem_dict(problem), "depth": 0}


async def solve(
    problem: Problem | Mapping[str, Any],
    *,
    generator: BaseChatModel | RoleModel,
    planner: BaseChatModel | RoleModel | None = None,
    policy: str = "pat",
    sandbox: Sandbox | None = None,
    prices: Mapping[str, tuple[float, float]] | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    thread_id: str | None = None,
    on_event: EventCallback | None = None,
    profile: str | None = None,
    config: RunnableConfig | None = None,
    **budgets: Any,
) -> Result:
    """Run one problem (a Problem or its dict) to completion and return the final program
    with its ledger.

    With a `checkpointer` and `thread_id`, an interrupted call can be resumed by calling again
    with the same thread id. `on_event` (sync or async) receives a
    `pat_graph.graph.events.ProgressEvent` as each node finishes: which node, trial pass counts,
    planner calls, round, cost so far.
    `profile` is "paper" (default: the authors' released code) or "strict"; budgets override it.
    `config` is merged into the run's RunnableConfig: `callbacks` (a token counter, a tracer:
    every model request reaches them), `tags`, `metadata`, `run_name`.
    """
    defaults = graph_defaults(
        policy,
        generator=generator,
        planner=planner,
        sandbox=sandbox,
        prices=prices,
        profile=profile,
        **budgets,
    )
    graph = graph_for(defaults).compile(checkpointer=checkpointer)
    run: dict[str, Any] = {
        **(config or {}),
        "recursion_limit": defaults.budgets.recursion_limit(),
    }
    start = initial_state(problem)
    inputs: dict[str, Any] | None = start
    if checkpointer is not None:
        run["configurable"] = {
            **(run.get("configurable") or {}),
            "thread_id": thread_id or start["problem"]["task_id"],
        }
        snapshot = await graph.aget_state(run)
        if snapshot.values:
            inputs = None  # resume the interrupted run instead of starting over
    if on_event is None:
        state = await graph.ainvoke(inputs, run)
    else:
        state = await run_with_events(graph, inputs, run, on_event)
    return result_from_state(state)
