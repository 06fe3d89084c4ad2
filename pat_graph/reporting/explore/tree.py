"""The solve tree of one problem, rebuilt from the node updates LangGraph checkpointed.

Why from checkpoint writes and not from a trace of our own: every node's update (trial
candidates, verify reports, plans, helpers' own runs in their subgraph namespaces) is already in
the run database, one row per channel write, so the tree costs the solve loop nothing. A helper
solved through `Send` runs in namespace `implement_helper:<task id>` under its parent's, and
that task id is the parent's write row for the same helper, which is how the two are joined.

Everything here is pure data in, data out: `build_tree` takes `Write` rows in checkpoint order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

HELPER_NODE = "implement_helper"
NS_SEP = "|"


@dataclass(frozen=True)
class Write:
    """One checkpointed channel write: the node `task_id` (running `node`) wrote `value`."""

    ns: str
    checkpoint_id: str
    task_id: str
    node: str
    channel: str
    value: Any


@dataclass
class Step:
    """One node run: its name, the super-step it ran in, and the channels it updated."""

    node: str
    task_id: str
    step: int
    update: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class FunctionTree:
    """One function being solved: the problem itself (depth 0) or a helper, with its stages in
    the order they ran (trials, and planning rounds whose helpers are FunctionTrees again) and
    its final answer.

    A stage is {"kind": "trial", "candidates": [{code, report}], "dropped", "status", "tests"}
    or {"kind": "round", "round", "plan", "status", "helpers", "helper_records",
    "composition": {code, unimplemented, report} | None, "tests"}; `tests` are the in-loop tests
    the stage was verified against (a retrial may write new ones)."""

    name: str
    depth: int
    ns: str
    prompt: str = ""
    tests: list[Any] = field(default_factory=list)
    test_origin: dict[str, int] = field(default_factory=dict)
    generated_tests: list[Any] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    final: dict[str, Any] | None = None
    steps: list[Step] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def trials(self) -> list[dict[str, Any]]:
        return [s for s in self.stages if s["kind"] == "trial"]

    @property
    def rounds(self) -> list[dict[str, Any]]:
        return [s for s in self.stages if s["kind"] == "round"]

    def path(self) -> list[list[str]]:
        """The nodes that ran, grouped by super-step (parallel nodes share a step)."""
        out: list[list[str]] = []
        last = None
        for s in self.steps:
            if s.step != last:
                out.append([])
                last = s.step
            out[-1].append(s.node)
        return out

    def visits(self, edges: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """How often each node ran and each graph edge was taken (for the diagram)."""
        known = set(edges)
        nodes: dict[str, int] = {}
        taken: dict[str, int] = {}
        groups = [["__start__"], *self.path()]
        if self.final is not None:
            groups.append(["__end__"])
        for group in groups:
            for node in dict.fromkeys(group):
                nodes[node] = nodes.get(node, 0) + 1
        for before, after in itertools.pairwise(groups):
            for u in dict.fromkeys(before):
                for v in dict.fromkeys(after):
                    if (u, v) in known:
                        key = f"{u}>{v}"
                        taken[key] = taken.get(key, 0) + 1
        return {"nodes": nodes, "edges": taken}

    def functions(self) -> list[FunctionTree]:
        """This function and every helper below it, depth first."""
        out = [self]
        for r in self.rounds:
            for h in r["helpers"]:
                out += h.functions()
        return out


def _steps(writes: Sequence[Write]) -> list[Step]:
    """Group one namespace's writes into node runs, in the order they happened."""
    steps: dict[str, Step] = {}
    checkpoints: dict[str, int] = {}
    for w in writes:
        if w.node in ("", "__start__", "__input__"):
            continue  # the graph's input, not a node
        step_no = checkpoints.setdefault(w.checkpoint_id, len(checkpoints))
        step = steps.get(w.task_id)
        if step is None:
            step = steps[w.task_id] = Step(w.node, w.task_id, step_no)
        if w.channel == "__error__":
            step.error = str(w.value)[:500]
        elif not w.channel.startswith(("__", "branch:", "join:")):
            if w.channel == "ledger" and "ledger" in step.update:
                step.update["ledger"] = [*step.update["ledger"], *(w.value or [])]
            else:
                step.update[w.channel] = w.value
    # A node that failed and ran again on resume keeps only its successful run's writes.
    return [s for s in steps.values() if s.update or s.error]


def _candidates(codes: Sequence[str], reports: Sequence[Mapping[str, Any]]) -> list[dict]:
    return [
        {"code": code, "report": dict(reports[i]) if i < len(reports) else None}
        for i, code in enumerate(codes)
    ]


def build_tree(
    writes: Iterable[Write], ns: str = "", depth: int = 0, name: str = ""
) -> FunctionTree | None:
    """The tree rooted at namespace `ns`; None when nothing was checkpointed there."""
    by_ns: dict[str, list[Write]] = {}
    for w in writes:
        by_ns.setdefault(w.ns, []).append(w)
    return _build(by_ns, ns, depth, name)


def _build(by_ns: Mapping[str, list[Write]], ns: str, depth: int, name: str) -> FunctionTree | None:
    writes = by_ns.get(ns)
    if not writes:
        return None
    fn = FunctionTree(name=name, depth=depth, ns=ns)
    for w in writes:
        if w.channel == "problem" and isinstance(w.value, Mapping):
            fn.name = str(w.value.get("entry_point") or name or w.value.get("task_id") or "?")
            fn.prompt = str(w.value.get("prompt") or "")
            fn.tests = list(w.value.get("tests") or [])
            break
    waiting: dict[str, Any] | None = None  # the trial or composition verify checks next
    for step in _steps(writes):
        fn.steps.append(step)
        u = step.update
        if step.error:
            fn.errors.append(f"{step.node}: {step.error}")
        if step.node == "build_tests" and "tests" in u:
            fn.tests = list(u["tests"] or [])
            fn.test_origin = dict(u.get("test_origin") or {})
            fn.generated_tests = list(u.get("generated_tests") or [])
        elif step.node == "plan":
            fn.stages.append(_round(u, len(fn.rounds) + 1))
        elif step.node == HELPER_NODE:
            child_ns = f"{ns}{NS_SEP if ns else ''}{HELPER_NODE}:{step.task_id}"
            records = dict(u.get("helpers") or {})
            helper_name = next(iter(records), "")
            child = _build(by_ns, child_ns, depth + 1, helper_name)
            if child is None:  # never checkpointed: keep what the parent recorded
                child = FunctionTree(name=helper_name or "?", depth=depth + 1, ns=child_ns)
            if not fn.rounds:
                fn.stages.append(_round({}, 1))
            fn.rounds[-1]["helpers"].append(child)
            fn.rounds[-1]["helper_records"].update(records)
        elif step.node == "compose" and "candidates" in u and fn.rounds:
            codes = list(u["candidates"] or [])
            waiting = fn.rounds[-1]
            waiting["composition"] = {
                "code": codes[0] if codes else "",
                "unimplemented": list(u.get("unimplemented") or []),
                "report": None,
            }
        elif "candidates" in u:  # generate (a trial, or FunCoder's conquer after its helpers)
            codes = list(u["candidates"] or [])
            waiting = {
                "kind": "trial",
                "candidates": _candidates(codes, []),
                "dropped": u.get("dropped", 0),
                "status": None,
                "tests": None,
            }
            fn.stages.append(waiting)
        elif step.node == "verify" and waiting is not None:
            reports = list(u.get("reports") or [])
            waiting["tests"] = list(fn.tests)
            waiting["verify_status"] = u.get("status")
            if waiting["kind"] == "trial":
                codes = [c["code"] for c in waiting["candidates"]]
                waiting["candidates"] = _candidates(codes, reports)
                waiting["status"] = u.get("status")
            elif waiting.get("composition") is not None:
                waiting["composition"]["report"] = reports[0] if reports else None
            waiting = None
        elif step.node == "finalize":
            fn.final = dict(u.get("final") or {})
    return fn


def _round(update: Mapping[str, Any], number: int) -> dict[str, Any]:
    return {
        "kind": "round",
        "round": update.get("round", number),
        "plan": update.get("plan"),
        "status": update.get("status"),
        "helpers": [],
        "helper_records": {},
        "composition": None,
        "tests": None,
    }


def verdicts_of(tests: Sequence[Any], report: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Per in-loop test: pass, fail (with the status and message verify kept) or unknown.

    `verify` keeps the first few failures only; when more tests failed than were kept, the
    others are "unknown" rather than guessed as passing.
    """
    if not report:
        return [{"status": "not run", "message": ""} for _ in tests]
    failures = list(report.get("failures") or [])
    complete = int(report.get("total", 0)) - int(report.get("passed", 0)) == len(failures)
    out = []
    used: set[int] = set()
    for test in tests:
        hit = next(
            (i for i, f in enumerate(failures) if i not in used and f.get("test") == test), None
        )
        if hit is not None:
            used.add(hit)
            f = failures[hit]
            out.append({"status": str(f.get("status", "fail")), "message": f.get("message", "")})
        else:
            out.append({"status": "pass" if complete else "unknown", "message": ""})
    return out
