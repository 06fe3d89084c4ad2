"""Everything the explorer shows, read from a run database without writing to it.

Runs come from `pat_graph.reporting.report` (so the runs page and `report --json` never disagree),
results from the results table, and each problem's solve tree from the checkpoint writes
(see `tree.py`). Hidden tests are read only from the benchmark's judge half (`Task`), and only
for the judge section of a page; the solve-loop data (state, results) never holds them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pat_graph.reporting.explore.tree import FunctionTree, Write, build_tree
from pat_graph.runs.store import connect_reader

MAX_HIDDEN_SHOWN = 20
# Which generated tests reject the canonical solution is re-measured in the sandbox at explore
# time (the run stored only how many), for at most this many problems, so explore stays fast.
MAX_REJECT_CHECKS = 32
SANDBOX_CONCURRENCY = 4


@dataclass
class ProblemData:
    run: str
    task_id: str
    status: str  # done | errored | unfinished
    result: dict[str, Any] | None
    base: bool | None
    plus: bool | None
    error: str | None
    tree: FunctionTree | None = None
    statement: str = ""
    judge: dict[str, Any] = field(default_factory=dict)  # hidden-test facts, judge only
    calls: list[dict[str, Any]] = field(default_factory=list)  # every request, when recorded

    @property
    def ledger(self) -> list[dict[str, Any]]:
        """The whole bill (every request, also of failed attempts) when the run recorded it,
        else the final result's ledger."""
        return self.calls or list((self.result or {}).get("ledger") or [])

    @property
    def cost_usd(self) -> float:
        return sum(float(e.get("cost_usd") or 0.0) for e in self.ledger)

    @property
    def planner_calls(self) -> int:
        return int((self.result or {}).get("planner_calls") or 0)


@dataclass
class RunData:
    summary: dict[str, Any]  # one `report --json` object
    problems: list[ProblemData]

    @property
    def name(self) -> str:
        return str(self.summary["run"])


def _thread_prefix(run: str) -> tuple[str, str]:
    from pat_graph.runs.database import thread_id

    low = thread_id(run, "")
    return low, low[:-1] + chr(ord(low[-1]) + 1)


def _node_of(task_path: str, ns: str) -> str:
    """`~__pregel_pull, verify` -> verify; Send tasks (`~__pregel_push, ...`) are helpers."""
    parts = [p.strip() for p in task_path.split(",")]
    if parts and parts[0] == "~__pregel_pull" and len(parts) > 1:
        return parts[1]
    if parts and parts[0] == "~__pregel_push":
        return "implement_helper"
    return task_path or ""


def read_writes(db_path: str | Path, run: str) -> dict[str, list[Write]]:
    """Every checkpoint write of `run`, per problem (task id), in the order they happened.

    Read-only connection: exploring never changes the run database."""
    conn = connect_reader(db_path)
    try:
        has = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='writes'"
        ).fetchone()[0]
        if not has:
            return {}
        cols = {r[1] for r in conn.execute("PRAGMA table_info(writes)")}
        path_col = "task_path" if "task_path" in cols else "''"
        low, high = _thread_prefix(run)
        rows = conn.execute(
            f"SELECT thread_id, checkpoint_ns, checkpoint_id, task_id, {path_col}, channel, "
            "type, value FROM writes WHERE thread_id >= ? AND thread_id < ? "
            "ORDER BY thread_id, checkpoint_ns, checkpoint_id, rowid",
            (low, high),
        ).fetchall()
    finally:
        conn.close()
    return decode_writes(rows, low)


def decode_writes(rows: Sequence[Sequence[Any]], low: str) -> dict[str, list[Write]]:
    """(thread, ns, checkpoint, task, task path, channel, type, value) rows, in order, as each
    problem's writes (either backend: the saver's serializer is the same)."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    serde = JsonPlusSerializer()
    out: dict[str, list[Write]] = {}
    for thread, ns, cid, task, path, channel, kind, value in rows:
        try:
            decoded = serde.loads_typed((kind, value)) if kind not in (None, "null") else None
        except Exception:  # a value this version cannot read: show the rest of the tree
            decoded = None
        out.setdefault(thread[len(low) :], []).append(
            Write(ns, cid, task, _node_of(path or "", ns), channel, decoded)
        )
    return out


def read_calls(db_path: str | Path, run: str) -> dict[str, list[dict[str, Any]]]:
    """The per-request ledger of `run` by task id (empty for databases without one)."""
    conn = connect_reader(db_path)
    try:
        has = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='calls'"
        ).fetchone()[0]
        rows = (
            conn.execute(
                "SELECT task_id, entry FROM calls WHERE run = ? ORDER BY id", (run,)
            ).fetchall()
            if has
            else []
        )
    finally:
        conn.close()
    out: dict[str, list[dict[str, Any]]] = {}
    for task_id, entry in rows:
        try:
            out.setdefault(task_id, []).append(json.loads(entry))
        except ValueError:
            continue
    return out


def _judge_facts(task: Any) -> dict[str, Any]:
    """What the judge knows about a task: shown only in the labelled judge section."""
    facts: dict[str, Any] = {"mode": task.mode}
    if task.mode == "check":
        facts["hidden_tests"] = list(task.hidden_tests[:MAX_HIDDEN_SHOWN])
        facts["hidden_total"] = len(task.hidden_tests)
    else:
        facts["base_inputs"] = len(task.base_inputs or [])
        facts["plus_inputs"] = None if task.plus_inputs is None else len(task.plus_inputs)
    return facts


def _benchmark_tasks(name: str) -> dict[str, Any]:
    """The benchmark's tasks by id, or nothing when it cannot be loaded here (a moved file)."""
    try:
        from pat_graph.benchmarks import load_benchmark

        return load_benchmark(name).by_id()
    except Exception:
        return {}


# Finished results do not change, so `explore --watch` measures each problem's rejecting tests
# once, not at every rewrite (keyed by everything the measurement depends on).
_REJECTING: dict[tuple[str, str, str], list[dict[str, Any]]] = {}


def _rejecting_key(task_id: str, program: str, tests: Sequence[Any]) -> tuple[str, str, str]:
    return task_id, program, json.dumps(list(tests), sort_keys=True, default=str)


async def find_rejecting_tests(problems: Sequence[ProblemData], tasks: dict[str, Any]) -> None:
    """For problems whose stored result says generated tests rejected the canonical solution,
    find which ones, in the sandbox (the tests are model-written code). Judge-side facts: they
    go to `judge["rejecting"]` and are shown in the judge section only."""
    todo = []
    for p in problems:
        task = tasks.get(p.task_id)
        result = p.result or {}
        if task is None or not result.get("generated_false_positives"):
            continue
        program = task.reference_program or task.canonical_solution
        tests = list(result.get("generated_tests") or [])
        if program and tests and task.problem.kind == "function":
            known = _REJECTING.get(_rejecting_key(task.task_id, program, tests))
            if known is not None:  # measured by an earlier rewrite of a live view
                p.judge["rejecting"] = known
            else:
                todo.append((p, task, program, tests))
    if not todo:
        return
    from pat_graph.sandbox import get_sandbox, run_tests

    sandbox = get_sandbox("auto")
    gate = asyncio.Semaphore(SANDBOX_CONCURRENCY)

    async def one(p: ProblemData, task: Any, program: str, tests: list[Any]) -> None:
        async with gate:
            report = await run_tests(
                program, tests, kind="function", sandbox=sandbox,
                entry_point=task.problem.entry_point or None,
            )  # fmt: skip
        p.judge["rejecting"] = [
            {"test": t, "status": o.status, "message": o.message[:300]}
            for t, o in zip(tests, report.outcomes, strict=False)
            if not o.passed
        ]
        _REJECTING[_rejecting_key(task.task_id, program, tests)] = p.judge["rejecting"]

    outcomes = await asyncio.gather(
        *(one(*item) for item in todo[:MAX_REJECT_CHECKS]), return_exceptions=True
    )
    del outcomes  # a sandbox failure leaves the stored count alone, never the page


async def load_runs(db_path: str | Path, runs: Sequence[str] | None = None) -> list[RunData]:
    """Summaries, results and solve trees of `runs` (every run when empty)."""
    from pat_graph.reporting.report import load_summaries
    from pat_graph.runs.pgstore import is_postgres_url, open_run_store

    summaries = await load_summaries(db_path, list(runs) if runs else None)
    pg = is_postgres_url(db_path)
    all_writes: dict[str, dict[str, list[Write]]] = {}
    all_calls: dict[str, dict[str, list[dict[str, Any]]]] = {}
    async with open_run_store(str(db_path), readonly=True) as store:
        rows = {s["run"]: await store.results(s["run"]) for s in summaries}
        for s in summaries if pg else ():  # PostgreSQL: the saver's tables, through the pool
            low, high = _thread_prefix(s["run"])
            all_writes[s["run"]] = decode_writes(await store.checkpoint_writes(low, high), low)
            by_task: dict[str, list[dict[str, Any]]] = {}
            for entry in await store.calls(s["run"]):
                by_task.setdefault(entry.pop("task_id"), []).append(entry)
            all_calls[s["run"]] = by_task
    benchmarks: dict[str, dict[str, Any]] = {}
    out: list[RunData] = []
    for s in summaries:
        writes = all_writes[s["run"]] if pg else read_writes(db_path, s["run"])
        calls = all_calls[s["run"]] if pg else read_calls(db_path, s["run"])
        bench = s["benchmark"]
        if bench not in benchmarks:
            benchmarks[bench] = _benchmark_tasks(bench)
        tasks = benchmarks[bench]
        problems: list[ProblemData] = []
        seen: set[str] = set()
        for r in rows[s["run"]]:
            seen.add(r.task_id)
            problems.append(
                ProblemData(s["run"], r.task_id, r.status, r.result, r.base, r.plus, r.error)
            )
        for task_id in writes:  # started but not finished: the tree so far
            if task_id not in seen:
                problems.append(
                    ProblemData(s["run"], task_id, "unfinished", None, None, None, None)
                )
        for p in problems:
            p.tree = build_tree(writes.get(p.task_id, ()))
            p.calls = calls.get(p.task_id, [])
            task = tasks.get(p.task_id)
            if p.tree is not None and p.tree.prompt:
                p.statement = p.tree.prompt
            elif task is not None:
                p.statement = task.problem.prompt
            if task is not None:
                p.judge = _judge_facts(task)
        await find_rejecting_tests(problems, tasks)
        out.append(RunData(s, problems))
    return out
