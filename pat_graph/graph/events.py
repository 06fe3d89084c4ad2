"""Node-level progress of a run, as it happens, from LangGraph's own streaming.

Why a layer over `astream`: raw updates are per-namespace dict fragments (a helper solved one
level deeper streams under `("implement_helper:<task id>",)`), and what a person watching a run
wants is different: which function is being worked on, how many trial candidates passed, whether
the planner was called, which round, and what the run has cost so far. `ProgressTracker` turns
one stream chunk at a time into `ProgressEvent`s; `stream_solve` drives a graph with it;
`format_event` is the one-line rendering `pat-graph run --verbose` prints.

Cost so far counts ledger entries where they are made (the node that called the model, at any
depth). The parent's `implement_helper` update repeats its child's whole ledger, so it is not
counted again; with `subgraphs=True` (which `stream_solve` always uses) the child's own nodes
have already been seen.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig

from pat_graph.models.cost import request_count

ROOT = ""
_HELPER_NODE = "implement_helper"


@dataclass(frozen=True)
class ProgressEvent:
    """One node finished. Counters (`planner_calls`, `llm_calls`, `cost_usd`) are run totals."""

    node: str  # generate | build_tests | verify | plan | implement_helper | compose | finalize
    function: str  # the function being solved: the entry point, or a helper's name
    depth: int  # 0 for the problem itself, +1 per helper level
    namespace: tuple[str, ...] = ()
    status: str | None = None  # what the node decided (verify: passed/failed/plateau/...)
    phase: str | None = None  # trial | plan, for verify: what was verified
    round: int | None = None  # planning round of this function, once planning started
    candidates: int | None = None  # generate: usable samples; verify: programs verified
    dropped: int | None = None  # generate: samples rejected by parsing
    passing: int | None = None  # verify: candidates that passed every in-loop test
    best_passed: int | None = None  # verify: tests the best candidate passed
    tests_total: int | None = None  # verify / build_tests: in-loop tests of this function
    helpers: tuple[str, ...] = ()  # plan: the new helper stubs
    planner_called: bool = False  # this node called the planner
    planner_calls: int = 0
    llm_calls: int = 0
    cost_usd: float = 0.0
    elapsed_s: float = 0.0
    verified: bool | None = None  # finalize: did the function pass all its tests


@dataclass
class ProgressTracker:
    """Stateful translator from `astream(..., stream_mode=["updates", "values"],
    subgraphs=True)` chunks to events; `final_state` is the root's last values chunk."""

    root_function: str = ""
    started: float = field(default_factory=time.monotonic)
    planner_calls: int = 0
    llm_calls: int = 0
    cost_usd: float = 0.0
    final_state: dict[str, Any] | None = None
    _functions: dict[tuple[str, ...], str] = field(default_factory=dict)
    _rounds: dict[tuple[str, ...], int] = field(default_factory=dict)

    def feed(self, namespace: tuple[str, ...], mode: str, chunk: Any) -> list[ProgressEvent]:
        if mode == "values":
            if isinstance(chunk, Mapping):
                problem = chunk.get("problem") or {}
                if problem.get("entry_point"):
                    self._functions.setdefault(namespace, str(problem["entry_point"]))
                if not namespace:
                    self.final_state = dict(chunk)
            return []
        if mode != "updates" or not isinstance(chunk, Mapping):
            return []
        events = []
        for node, update in chunk.items():
            if isinstance(update, Mapping):
                events.append(self._event(namespace, str(node), update))
        return events

    def _event(
        self, namespace: tuple[str, ...], node: str, update: Mapping[str, Any]
    ) -> ProgressEvent:
        entries = [] if node == _HELPER_NODE else list(update.get("ledger") or [])
        planner_here = request_count(entries, "planner")  # HTTP requests, as in reports
        self.planner_calls += planner_here
        self.llm_calls += request_count(entries)
        self.cost_usd += sum(float(e.get("cost_usd") or 0.0) for e in entries)
        if "round" in update:
            self._rounds[namespace] = int(update["round"] or 0)
        fields: dict[str, Any] = {"status": update.get("status")}
        if node == "generate":
            fields["candidates"] = len(update.get("candidates") or [])
            fields["dropped"] = int(update.get("dropped") or 0)
        elif node == "build_tests":
            fields["tests_total"] = len(update.get("tests") or [])
        elif node == "verify":
            reports = list(update.get("reports") or [])
            fields["candidates"] = len(reports)
            fields["passing"] = sum(1 for r in reports if r.get("passed") == r.get("total"))
            best = update.get("best") or {}
            fields["best_passed"] = best.get("passed")
            fields["tests_total"] = best.get("total") if best else _total(reports)
            fields["phase"] = "plan" if "scores" in update else "trial"
        elif node == "plan":
            plan = update.get("plan") or {}
            fields["helpers"] = tuple(s.get("name", "") for s in plan.get("stubs") or [])
        elif node == _HELPER_NODE:
            fields["helpers"] = tuple(update.get("helpers") or {})
        elif node == "finalize":
            final = update.get("final") or {}
            fields["verified"] = bool(final.get("verified"))
            fields["best_passed"] = final.get("passed")
            fields["tests_total"] = final.get("total")
        return ProgressEvent(
            node=node,
            function=self._functions.get(namespace) or self.root_function or "?",
            depth=sum(1 for part in namespace if part.split(":", 1)[0] == _HELPER_NODE),
            namespace=namespace,
            round=self._rounds.get(namespace),
            planner_called=planner_here > 0,
            planner_calls=self.planner_calls,
            llm_calls=self.llm_calls,
            cost_usd=self.cost_usd,
            elapsed_s=time.monotonic() - self.started,
            **fields,
        )


def _total(reports: list[Mapping[str, Any]]) -> int | None:
    return int(reports[0].get("total", 0)) if reports else None


class SolveStream:
    """`async for event in stream_solve(...)`; afterwards `.final_state` holds the result."""

    def __init__(self, graph: Any, inputs: Any, config: RunnableConfig | None) -> None:
        self.graph = graph
        self.inputs = inputs
        self.config = config
        problem = (inputs or {}).get("problem") if isinstance(inputs, Mapping) else None
        self.tracker = ProgressTracker(root_function=str((problem or {}).get("entry_point", "")))

    @property
    def final_state(self) -> dict[str, Any] | None:
        return self.tracker.final_state

    async def __aiter__(self) -> AsyncIterator[ProgressEvent]:
        async for namespace, mode, chunk in self.graph.astream(
            self.inputs, self.config, stream_mode=["updates", "values"], subgraphs=True
        ):
            for event in self.tracker.feed(tuple(namespace), mode, chunk):
                yield event


def stream_solve(graph: Any, inputs: Any, config: RunnableConfig | None = None) -> SolveStream:
    """Run a compiled pat-graph graph, yielding a `ProgressEvent` as each node finishes."""
    return SolveStream(graph, inputs, config)


EventCallback = Callable[[ProgressEvent], Any]


def format_event(event: ProgressEvent) -> str:
    """One line per event, indented by depth, e.g.
    `  [1.2s] d1 add            verify   trial 5/5 pass (best 3/3) -> passed | planner 1 | $0.0012`
    """
    indent = "  " * event.depth
    where = f"{indent}d{event.depth} {event.function}"
    return (
        f"[{event.elapsed_s:6.1f}s] {where:<24} {event.node:<16} {_detail(event)}"
        f" | planner {event.planner_calls} | calls {event.llm_calls} | ${event.cost_usd:.6f}"
    )


def _detail(e: ProgressEvent) -> str:
    round_note = f"round {e.round} " if e.round else ""
    if e.node == "generate":
        return f"{e.candidates} usable sample(s), {e.dropped} dropped"
    if e.node == "build_tests":
        return f"{e.tests_total} in-loop test(s)"
    if e.node == "verify":
        what = "trial" if e.phase == "trial" else f"{round_note}composition"
        best = f"best {e.best_passed}/{e.tests_total}" if e.best_passed is not None else "none"
        return f"{what}: {e.passing}/{e.candidates} pass all ({best}) -> {e.status}"
    if e.node == "plan":
        if e.status != "planned":
            return f"{round_note}planner called, no usable plan -> {e.status}"
        names = ", ".join(e.helpers) or "no new helpers"
        return f"{round_note}planner called: {names}"
    if e.node == _HELPER_NODE:
        return f"helper done: {', '.join(e.helpers)}"
    if e.node == "compose":
        return f"{round_note}composed plan + helpers"
    if e.node == "finalize":
        verdict = "verified" if e.verified else "NOT verified" if e.tests_total else "untested"
        return f"{verdict} ({e.best_passed}/{e.tests_total} tests)"
    return e.status or ""


async def run_with_events(
    graph: Any, inputs: Any, config: RunnableConfig | None, on_event: EventCallback
) -> dict[str, Any]:
    """What `solve(on_event=...)` uses: stream, hand every event to the callback (sync or
    async), and return the final state as `ainvoke` would."""
    stream = stream_solve(graph, inputs, config)
    async for event in stream:
        outcome = on_event(event)
        if inspect.isawaitable(outcome):
            await outcome
    if stream.final_state is not None:
        return stream.final_state
    snapshot = await graph.aget_state(config)  # resumed a finished thread: nothing streamed
    return dict(snapshot.values)
