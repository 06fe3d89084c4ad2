"""Progress of a solve, as it happens, through LangGraph's `custom` stream.

Every node writes one progress event to the stream writer when it finishes (the node wrapper
in graph/nodes/deps.py calls `progress_payload`): a small JSON dict saying what happened in
words a person watching a run uses: `event` is `trial_sampled`, `tests_written`,
`trial_verified` / `trial_failed` / `trial_untested` (accepted with no test to run),
`planning_round`, `helper_done`, `composed`, `round_verified` / `round_failed` /
`round_untested` (a planning round's composition), `candidate_chosen` (CodeT
and FunCoder) or `solved`, with the function being solved (the entry point or a helper's name),
its depth, pass counts, the planning round and what this node's own model requests cost. So
`graph.astream(..., stream_mode="custom")` shows progress to any LangGraph client (Studio, a
parent app, `langgraph dev`'s API), and `ProgressTracker` turns the same events into
`ProgressEvent`s with run totals for `solve(on_event=...)` and `pat-graph run --verbose`.

A helper is solved one level deeper as a subgraph: its events arrive under
`("implement_helper:<task id>",)` with `subgraphs=True`, and its parent's `helper_done` event
then carries the helper's whole cost again (`repeats_subgraph`), for consumers that do not
stream subgraphs; `ProgressTracker` streams them and counts each request once.
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
KIND = "pat_graph.progress"  # the `type` of every progress payload on the custom stream


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
    event: str = ""  # the progress event's name (see the module docstring)


def _event_name(node: str, fields: Mapping[str, Any]) -> str:
    status = fields.get("status")
    if node == "verify":
        if status == "chosen":
            return "candidate_chosen"
        stage = "round" if fields.get("phase") == "plan" else "trial"
        if status == "passed" and not fields.get("tests_total"):
            return f"{stage}_untested"  # accepted with no test to run: not verified (issue 22)
        return f"{stage}_verified" if status == "passed" else f"{stage}_failed"
    names = {
        "generate": "trial_sampled",
        "build_tests": "tests_written",
        "plan": "planning_round",
        _HELPER_NODE: "helper_done",
        "compose": "composed",
        "finalize": "solved",
    }
    return names.get(node, node)


def progress_payload(node: str, state: Mapping[str, Any], update: Mapping[str, Any]) -> dict:
    """The custom-stream event of one finished node: JSON-small, from what the node read
    (`state`) and wrote (`update`)."""
    fields: dict[str, Any] = {"status": update.get("status")}
    problem = state.get("problem") or {}
    depth = int(state.get("depth") or 0)
    if node == _HELPER_NODE:  # the node's input is the Send task, one level deeper
        problem = state.get("parent") or {}
        depth = max(0, depth - 1)
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
        fields["helpers"] = [s.get("name", "") for s in plan.get("stubs") or []]
    elif node == _HELPER_NODE:
        fields["helpers"] = list(update.get("helpers") or {})
        record = next(iter((update.get("helpers") or {}).values()), {})
        fields["verified"] = bool(record.get("verified"))
    elif node == "finalize":
        final = update.get("final") or {}
        fields["verified"] = bool(final.get("verified"))
        fields["best_passed"] = final.get("passed")
        fields["tests_total"] = final.get("total")
    entries = list(update.get("ledger") or [])
    return {
        "type": KIND,
        "event": _event_name(node, fields),
        "node": node,
        "task_id": str(problem.get("task_id") or ""),
        "function": str(problem.get("entry_point") or ""),
        "depth": depth,
        "round": update.get("round", state.get("round")),
        **{k: v for k, v in fields.items() if v is not None},
        "calls": request_count(entries),  # HTTP requests, as in reports
        "planner_calls": request_count(entries, "planner"),
        "cost_usd": sum(float(e.get("cost_usd") or 0.0) for e in entries),
        "repeats_subgraph": node == _HELPER_NODE,
    }


def is_progress(chunk: Any) -> bool:
    return isinstance(chunk, Mapping) and chunk.get("type") == KIND


@dataclass
class ProgressTracker:
    """Stateful translator from `astream(..., stream_mode=["custom", "values"],
    subgraphs=True)` chunks to events; `final_state` is the root's last values chunk."""

    root_function: str = ""
    started: float = field(default_factory=time.monotonic)
    planner_calls: int = 0
    llm_calls: int = 0
    cost_usd: float = 0.0
    final_state: dict[str, Any] | None = None

    def feed(self, namespace: tuple[str, ...], mode: str, chunk: Any) -> list[ProgressEvent]:
        if mode == "values":
            if not namespace and isinstance(chunk, Mapping):
                self.final_state = dict(chunk)
            return []
        if mode != "custom" or not is_progress(chunk):
            return []
        return [self._event(namespace, chunk)]

    def _event(self, namespace: tuple[str, ...], payload: Mapping[str, Any]) -> ProgressEvent:
        own = not payload.get("repeats_subgraph")  # the helper's own events were counted
        planner_here = int(payload.get("planner_calls") or 0) if own else 0
        self.planner_calls += planner_here
        self.llm_calls += int(payload.get("calls") or 0) if own else 0
        self.cost_usd += float(payload.get("cost_usd") or 0.0) if own else 0.0
        status = payload.get("status")
        return ProgressEvent(
            node=str(payload.get("node")),
            function=str(payload.get("function") or self.root_function or "?"),
            depth=int(payload.get("depth") or 0),
            namespace=namespace,
            status=status if isinstance(status, str) else None,
            phase=payload.get("phase"),
            round=payload.get("round") or None,
            candidates=payload.get("candidates"),
            dropped=payload.get("dropped"),
            passing=payload.get("passing"),
            best_passed=payload.get("best_passed"),
            tests_total=payload.get("tests_total"),
            helpers=tuple(payload.get("helpers") or ()),
            planner_called=planner_here > 0,
            planner_calls=self.planner_calls,
            llm_calls=self.llm_calls,
            cost_usd=self.cost_usd,
            elapsed_s=time.monotonic() - self.started,
            verified=payload.get("verified") if payload.get("node") == "finalize" else None,
            event=str(payload.get("event") or ""),
        )


def _total(reports: list[Mapping[str, Any]]) -> int | None:
    return int(reports[0].get("total", 0)) if reports else None


class SolveStream:
    """`async for event in stream_solve(...)`; afterwards `.final_state` holds the result."""

    def __init__(
        self, graph: Any, inputs: Any, config: RunnableConfig | None, **kwargs: Any
    ) -> None:
        self.graph = graph
        self.inputs = inputs
        self.config = config
        self.kwargs = kwargs  # e.g. context=
        problem = (inputs or {}).get("problem") if isinstance(inputs, Mapping) else None
        self.tracker = ProgressTracker(root_function=str((problem or {}).get("entry_point", "")))

    @property
    def final_state(self) -> dict[str, Any] | None:
        return self.tracker.final_state

    async def __aiter__(self) -> AsyncIterator[ProgressEvent]:
        async for namespace, mode, chunk in self.graph.astream(
            self.inputs,
            self.config,
            stream_mode=["custom", "values"],
            subgraphs=True,
            **self.kwargs,
        ):
            for event in self.tracker.feed(tuple(namespace), mode, chunk):
                yield event


def stream_solve(
    graph: Any, inputs: Any, config: RunnableConfig | None = None, **kwargs: Any
) -> SolveStream:
    """Run a compiled pat-graph graph, yielding a `ProgressEvent` as each node finishes;
    `kwargs` go to `astream` (`context=...`)."""
    return SolveStream(graph, inputs, config, **kwargs)


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
    graph: Any,
    inputs: Any,
    config: RunnableConfig | None,
    on_event: EventCallback,
    **kwargs: Any,
) -> dict[str, Any]:
    """What `solve(on_event=...)` uses: stream, hand every event to the callback (sync or
    async), and return the final state as `ainvoke` would; `kwargs` go to `astream`."""
    stream = stream_solve(graph, inputs, config, **kwargs)
    async for event in stream:
        outcome = on_event(event)
        if inspect.isawaitable(outcome):
            await outcome
    if stream.final_state is not None:
        return stream.final_state
    snapshot = await graph.aget_state(config)  # resumed a finished thread: nothing streamed
    return dict(snapshot.values)
