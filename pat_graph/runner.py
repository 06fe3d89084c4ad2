"""Resumable batch runs: one LangGraph thread per (run, task) on one AsyncSqliteSaver.

Durability rules (DESIGN.md section 4): a problem's final result is written once, in one
statement, after its graph finished and the judge scored it; anything less is resumable from the
thread's checkpoints. Resuming never double-counts, because the ledger in the final state only
holds the writes of nodes that completed (a node interrupted mid-call runs again, and only its
lost calls are paid twice).
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from pat_graph.benchmarks.types import Benchmark, Task
from pat_graph.errors import ConfigError
from pat_graph.llm import RoleModel, record_calls
from pat_graph.policies import build_graph
from pat_graph.progress import Progress
from pat_graph.sandbox.base import Sandbox
from pat_graph.solve import Result, initial_state, result_from_state
from pat_graph.store import RunRecord, Store, db_error_message, open_db

JudgeFn = Callable[..., Awaitable[Any]]
MAX_ERROR_CHARS = 2000


class StorageError(ConfigError):
    """The run database cannot take writes (disk full, read-only): the run stops at once, since
    every further result would be lost; the message says what was kept."""


@dataclass
class RunOutcome:
    run: str
    total: int
    skipped: int = 0  # already done before this invocation
    done: int = 0  # finished in this invocation
    errored: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def thread_id(run: str, task_id: str) -> str:
    return f"{run}::{task_id}"


def spec_dict(model: RoleModel, spec: Any = None) -> dict[str, Any]:
    """What the runs table records about a model (never a key: only the env var's name)."""
    if spec is not None:
        keys = ("name", "base_url", "model", "api", "input_price", "output_price", "max_tokens")
        return {k: getattr(spec, k, None) for k in keys}
    return {
        "name": model.name,
        "base_url": None,
        "model": model.name,
        "api": "chat",
        "input_price": model.input_price,
        "output_price": model.output_price,
        "max_tokens": None,
    }


def _default_judge() -> JudgeFn:
    from pat_graph.judge import judge

    return judge


async def false_positives(task: Task, result: Result, sandbox: Sandbox | None) -> int | None:
    """Generated in-loop tests that reject the canonical solution (None when not measurable).

    Runs at judge time, outside the loop, so it can never feed back into a solve.
    """
    program = task.reference_program or task.canonical_solution
    tests = list(result.generated_tests)
    if not program or not tests or task.problem.kind != "function":
        return None
    from pat_graph.sandbox import run_tests

    report = await run_tests(
        program,
        tests,
        kind="function",
        sandbox=sandbox,
        entry_point=task.problem.entry_point or None,
    )
    return sum(1 for o in report.outcomes if not o.passed)


async def _drive(
    graph: Any,
    inputs: Any,
    config: dict[str, Any],
    verbose: bool,
    tag: str,
    log: Callable[[str], None] | None = None,
) -> Any:
    if not verbose:
        return await graph.ainvoke(inputs, config)
    from pat_graph.events import format_event, run_with_events

    def show(event: Any) -> None:
        line = f"{tag} {format_event(event)}"
        if log is not None:
            log(line)  # through the progress bar, so the line never tears it
        else:
            print(line, file=sys.stderr, flush=True)

    return await run_with_events(graph, inputs, config, show)


async def run_benchmark(
    *,
    run: str,
    benchmark: Benchmark,
    policy: str,
    generator: RoleModel,
    planner: RoleModel | None = None,
    tasks: Sequence[Task] | None = None,
    budgets: Mapping[str, Any] | None = None,
    db_path: str | Path = "runs.sqlite",
    concurrency: int = 1,
    max_concurrency: int = 8,
    seed: int | None = None,
    generator_spec: Any = None,
    planner_spec: Any = None,
    sandbox: Sandbox | None = None,
    judge_sandbox: Sandbox | None = None,
    judge: JudgeFn | None = None,
    progress: Progress | bool = True,
    prune: bool = False,
    verbose: bool = False,
) -> RunOutcome:
    """Solve, judge and record every task once; calling again with the same arguments resumes.

    Raises ConfigError (before any work) when `run` exists with different settings.
    """
    tasks = list(benchmark.tasks if tasks is None else tasks)
    builder = build_graph(
        policy, generator=generator, planner=planner, sandbox=sandbox, **dict(budgets or {})
    )
    resolved = builder.pat_deps.budgets
    judge_fn = judge or _default_judge()
    record = RunRecord(
        name=run,
        policy=builder.pat_deps.policy,  # canonical: `funcoder` is recorded as `pbt`
        generator=spec_dict(generator, generator_spec),
        planner=None if planner is None else spec_dict(planner, planner_spec),
        budgets=resolved.to_dict(),
        benchmark=benchmark.name,
        data_hash=benchmark.data_hash,
        seed=seed,
        problems=len(tasks),
    )
    outcome = RunOutcome(run=run, total=len(tasks))
    async with _database(db_path) as (saver, store):
        await store.register_run(record)
        graph = builder.compile(checkpointer=saver)
        statuses = await store.statuses(run)
        previous = {r.task_id: r for r in await store.results(run)}
        done_ids = {t for t, s in statuses.items() if s == "done"}
        todo = [t for t in tasks if t.task_id not in done_ids]
        outcome.skipped = len(tasks) - len(todo)
        bar = _make_progress(progress, tasks, previous, done_ids)
        if bar:
            for entry in await store.calls(run):  # the bill so far, earlier invocations included
                bar.add_call(entry)
        sem = asyncio.Semaphore(max(1, concurrency))

        async def one(task: Task) -> None:
            async with sem:
                try:
                    await _one(task)
                except sqlite3.Error as exc:  # the database itself failed: stop the run
                    kept = outcome.skipped + outcome.done
                    raise StorageError(
                        f"{db_error_message(exc, db_path)}. Kept: {kept} of {len(tasks)} "
                        f"results of run {run!r} ({outcome.done} from this invocation); "
                        "unfinished problems resume from their last checkpoint when you run "
                        "the same command again"
                    ) from exc

        async def _one(task: Task) -> None:
            tid = thread_id(run, task.task_id)
            config: dict[str, Any] = {
                "configurable": {"thread_id": tid},
                "recursion_limit": resolved.recursion_limit(),
                "max_concurrency": max_concurrency,
            }

            async def paid(entry: dict[str, Any]) -> None:
                await store.record_call(run, task.task_id, entry)
                if bar:
                    bar.add_call(entry)

            if bar:
                bar.begin(task.task_id)
            try:
                with record_calls(paid):
                    log = bar.write if bar else None
                    state = await _solve_one(graph, saver, task, config, verbose, log)
                result = result_from_state(state)
                verdict = await _judge(judge_fn, task, result, judge_sandbox)
                fp = await false_positives(task, result, judge_sandbox)
            except sqlite3.Error:
                raise
            except Exception as exc:  # recorded; the run goes on
                message = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
                await store.write_result(run, task.task_id, status="errored", error=message)
                outcome.errored += 1
                outcome.errors[task.task_id] = message
                if bar:
                    bar.update(ok=False, task_id=task.task_id)
                return
            payload = result.to_dict()
            payload["judge"] = {"base": verdict.base, "plus": verdict.plus}
            payload["generated_false_positives"] = fp
            await store.write_result(
                run, task.task_id, status="done", result=payload, base=verdict.base,
                plus=verdict.plus,
            )  # fmt: skip
            outcome.done += 1
            if prune:
                await saver.adelete_thread(tid)
            if bar:
                bar.update(ok=True, passed=verdict.base, task_id=task.task_id)

        if bar:
            bar.start()
        try:
            # A TaskGroup, not gather: when the database fails, the other problems are cancelled
            # (keeping their checkpoints) instead of running on into the same failure.
            async with asyncio.TaskGroup() as group:
                for t in todo:
                    group.create_task(one(t))
        except BaseExceptionGroup as group_error:
            storage = group_error.subgroup(StorageError)
            if storage is not None:
                raise storage.exceptions[0] from None
            raise
        finally:
            if bar:
                bar.close()
    return outcome


async def _solve_one(
    graph: Any,
    saver: AsyncSqliteSaver,
    task: Task,
    config: dict[str, Any],
    verbose: bool,
    log: Callable[[str], None] | None = None,
) -> Mapping[str, Any]:
    """Fresh start, continue from the checkpoint, or reuse a finished thread's final state."""
    snapshot = await graph.aget_state(config)
    finished = bool(snapshot.values) and not snapshot.next and snapshot.values.get("final")
    if finished:
        return snapshot.values  # crashed (or the judge failed) after the graph had finished
    if snapshot.next:
        # Interrupted or errored: continue from the last checkpoint, so the calls already paid
        # for (and their ledger entries) are kept and only the failed node runs again.
        return await _drive(graph, None, config, verbose, task.task_id, log)
    if snapshot.values:
        await saver.adelete_thread(config["configurable"]["thread_id"])  # unusable: start over
    return await _drive(graph, initial_state(task.problem), config, verbose, task.task_id, log)


async def _judge(judge_fn: JudgeFn, task: Task, result: Result, sandbox: Sandbox | None) -> Any:
    if not result.code.strip():
        return _NoProgram(plus=False if task.has_plus else None)
    return await judge_fn(task, result.code, sandbox=sandbox)


@dataclass(frozen=True)
class _NoProgram:
    plus: bool | None
    base: bool = False


def _make_progress(
    progress: Progress | bool, tasks: Sequence[Task], previous: Mapping[str, Any], done: set[str]
) -> Progress | None:
    if isinstance(progress, Progress):
        return progress
    if not progress:
        return None
    ids = {t.task_id for t in tasks}
    rows = [previous[t] for t in done if t in ids]
    return Progress(len(tasks), done=len(rows), passed=sum(1 for r in rows if r.base))


@asynccontextmanager
async def _database(
    db_path: str | Path, *, create: bool = True
) -> AsyncIterator[tuple[AsyncSqliteSaver, Store]]:
    """The run database: one connection shared by the checkpointer and the results store, whose
    writes the saver's lock serialises."""
    conn = await open_db(db_path, create=create)
    try:
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        store = Store(conn, saver.lock)
        await store.setup()
        yield saver, store
    finally:
        await conn.close()


async def prune_run(db_path: str | Path, run: str) -> int:
    """Delete the checkpoints of a run's finished problems; results and ledgers stay."""
    async with _database(db_path, create=False) as (saver, store):
        if await store.get_run(run) is None:
            raise ConfigError(f"unknown run {run!r} in {db_path}")
        done = [t for t, s in (await store.statuses(run)).items() if s == "done"]
        for task_id in done:
            await saver.adelete_thread(thread_id(run, task_id))
        # Deleting frees pages inside the file; VACUUM gives them back to the disk.
        await store.conn.commit()
        await store.conn.execute("VACUUM")
        return len(done)


async def delete_run(db_path: str | Path, run: str, *, force: bool = False) -> dict[str, int]:
    """Remove one run: its settings, results, call ledger and every checkpoint thread.

    Other runs in the same file are untouched. Without `force`, a run with finished results is
    refused, because those results cost money to produce and cannot be recomputed for free.
    """
    async with _database(db_path, create=False) as (saver, store):
        if await store.get_run(run) is None:
            known = ", ".join(r.name for r in await store.list_runs()) or "none"
            raise ConfigError(f"unknown run {run!r} in {db_path}; known: {known}")
        statuses = await store.statuses(run)
        done = sum(1 for s in statuses.values() if s == "done")
        if done and not force:
            raise ConfigError(
                f"run {run!r} has {done} finished result(s); pass --force to delete them, its "
                "checkpoints and its call ledger"
            )
        prefix = thread_id(run, "")
        query = "SELECT DISTINCT thread_id FROM checkpoints WHERE substr(thread_id, 1, ?) = ?"
        async with store.lock, store.conn.execute(query, (len(prefix), prefix)) as cursor:
            threads = [row[0] for row in await cursor.fetchall()]
        for tid in threads:
            await saver.adelete_thread(tid)
        counts = await store.delete_run(run)
        counts["threads"] = len(threads)
        await store.conn.commit()
        await store.conn.execute("VACUUM")
        return counts
