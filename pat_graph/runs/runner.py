"""Resumable batch runs: one LangGraph thread per (run, task) on one AsyncSqliteSaver.

Durability rules (DESIGN.md section 4): a problem's final result is written once, in one
statement, after its graph finished and the judge scored it; anything less is resumable from the
thread's checkpoints. Resuming never double-counts, because the ledger in the final state only
holds the writes of nodes that completed (a node interrupted mid-call runs again, and only its
lost calls are paid twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from pat_graph.benchmarks.types import Benchmark, Task
from pat_graph.errors import ConfigError
from pat_graph.graph.nodes.deps import SolveContext
from pat_graph.graph.policies import graph_defaults, graph_for
from pat_graph.graph.solve import Result, initial_state, result_from_state
from pat_graph.models.calls import record_calls
from pat_graph.models.roles import RoleModel
from pat_graph.runs.claims import claims_of, lease_seconds, new_worker_id
from pat_graph.runs.database import open_database, thread_id
from pat_graph.runs.housekeeping import delete_run, prune_run  # noqa: F401  (their old home)
from pat_graph.runs.pgstore import redact, transient_errors
from pat_graph.runs.progress import Progress
from pat_graph.runs.store import RunRecord, check_run_name, db_error_message
from pat_graph.sandbox.base import Sandbox

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
    budget_stopped: int = 0  # not started: the run's --max-cost-usd was reached (issue 14)
    spent_usd: float = 0.0  # the run's real spend so far, every invocation (replays are free)
    # What the run has at the end, whoever did it (other workers too; issue 22): read back
    # from the database, so "n/total done" is the run's, not this process's share.
    run_done: int = 0
    run_errors: dict[str, str] = field(default_factory=dict)


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
    from pat_graph.benchmarks.judge import judge

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
    context: SolveContext | None = None,
) -> Any:
    """One invocation (a fresh start or a resume) with the run's context: it is not
    checkpointed, so every invocation passes it again."""
    if not verbose:
        return await graph.ainvoke(inputs, config, context=context)
    from pat_graph.graph.events import format_event, run_with_events

    def show(event: Any) -> None:
        line = f"{tag} {format_event(event)}"
        if log is not None:
            log(line)  # through the progress bar, so the line never tears it
        else:
            print(line, file=sys.stderr, flush=True)

    return await run_with_events(graph, inputs, config, show, context=context)


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
    research: Any = None,
    join: bool = False,
    worker: str | None = None,
    solve: bool = True,
) -> RunOutcome:
    """Solve, judge and record every task once; calling again with the same arguments resumes.

    Problems are taken through leased claims (claims.py), so any number of these calls, in one
    process or many, on one machine or many, share a run without solving a problem twice: each
    works on the run's problems until none is left unclaimed. `join` (a `pat-graph worker`)
    adds no problems and leaves errored ones alone; a `run` adds `tasks` and retries errored ones.

    Raises ConfigError (before any work) when `run` exists with different settings.
    `research` (pat_graph.runs.research.ResearchOptions): replay, pairing, seeds and dollar budgets.
    """
    from pat_graph.runs import research as _research

    if not join:  # a worker joins a run that exists, whatever it was once named
        check_run_name(run)
    tasks = list(benchmark.tasks if tasks is None else tasks)
    worker = worker or new_worker_id()
    lease_s = lease_seconds()
    defaults = graph_defaults(
        policy, generator=generator, planner=planner, sandbox=sandbox, **dict(budgets or {})
    )
    builder = graph_for(defaults)
    # The run's models and sandbox reach the nodes through LangGraph's runtime context, passed
    # on every invocation and resume (the graph's defaults are the same objects).
    context = SolveContext(generator=generator, planner=planner, sandbox=sandbox)
    resolved = defaults.budgets
    judge_fn = judge or _default_judge()
    record = RunRecord(
        name=run,
        policy=defaults.policy,  # canonical: `funcoder` is recorded as `pbt`
        generator=spec_dict(generator, generator_spec),
        planner=None if planner is None else spec_dict(planner, planner_spec),
        budgets=resolved.to_dict(),
        benchmark=benchmark.name,
        data_hash=benchmark.data_hash,
        seed=seed,
        problems=len(tasks),
    )
    outcome = RunOutcome(run=run, total=len(tasks))
    pool = max(4, concurrency + 4)
    async with open_database(db_path, pool_size=pool) as (saver, store):
        transient = transient_errors()  # once the store is open: PostgreSQL's, or none
        claims = claims_of(store)
        await claims.setup()
        await store.register_run(record)
        extras = await _research.prepare(research, store, run, seed, resolved, db_path)
        await claims.add(run, [t.task_id for t in tasks], retry_errored=not join)
        await claims.reap(run)
        if not solve:  # `run --workers N`: registered here, solved by the worker processes
            return outcome
        graph = builder.compile(checkpointer=saver)
        known = {t.task_id: t for t in tasks}
        run_ids = await claims.task_ids(run)
        if any(t not in known for t in run_ids):  # added by another invocation of the run
            known = {**benchmark.by_id(), **known}
        run_tasks = [known[t] for t in run_ids if t in known]
        previous = {r.task_id: r for r in await store.results(run)}
        done_ids = {t for t, r in previous.items() if r.status == "done"} & set(run_ids)
        outcome.total = len(run_tasks)
        outcome.skipped = len(done_ids)
        bar = _make_progress(progress, run_tasks, previous, done_ids)
        if bar:
            for entry in await store.calls(run):  # the bill so far, earlier invocations included
                bar.add_call(entry)
        sem = asyncio.Semaphore(max(1, concurrency))
        held: dict[str, asyncio.Task[None]] = {}

        def storage_error(exc: BaseException) -> StorageError:
            kept = outcome.skipped + outcome.done
            message = (
                db_error_message(exc, db_path)
                if isinstance(exc, sqlite3.Error)
                else f"the database {redact(str(db_path))} failed: {type(exc).__name__}: {exc}"
            )
            return StorageError(
                f"{message}. Kept: {kept} of {outcome.total} "
                f"results of run {run!r} ({outcome.done} from this invocation); "
                "unfinished problems resume from their last checkpoint when you run "
                "the same command again"
            )

        async def one(task: Task, attempt: int) -> None:
            try:
                for retry in range(8):
                    try:
                        await _one(task, attempt)
                        return
                    except transient:
                        if retry == 7:
                            raise
                        # PostgreSQL dropped the connection or is restarting: continue from
                        # the last checkpoint once it is back (the pool replaces connections).
                        await asyncio.sleep(min(0.5 * 2**retry, 8.0))
            except (sqlite3.Error, *transient) as exc:  # the database itself failed: stop
                raise storage_error(exc) from exc
            finally:
                if held.pop(task.task_id, None) is not None:  # ended without a result
                    with contextlib.suppress(Exception):
                        await claims.release(run, worker, [task.task_id])
                sem.release()

        async def _one(task: Task, attempt: int) -> None:
            tid = thread_id(run, task.task_id)
            config: dict[str, Any] = {
                "configurable": {"thread_id": tid},
                "recursion_limit": resolved.recursion_limit(),
                "max_concurrency": max_concurrency,
            }

            async def paid(entry: dict[str, Any]) -> None:
                extras.guard.add(entry)
                # Who paid, in which attempt: calls repeated after a worker died stay visible.
                entry = {**entry, "worker": worker, "attempt": attempt}
                await store.record_call(run, task.task_id, entry)
                if bar:
                    bar.add_call(entry)

            if bar:
                bar.begin(task.task_id)
            try:
                book = await extras.book(task.task_id)
                with record_calls(paid), _research.scope(book):
                    log = bar.write if bar else None
                    try:
                        state = await _solve_one(
                            graph, saver, task, config, verbose, log,
                            resolved.benchmark_patches, context,
                        )  # fmt: skip
                    except _research.ProblemBudgetReached:  # finalize with the best so far
                        state = await _research.capped_state(graph, config)
                result = result_from_state(state)
                verdict = await _judge(judge_fn, task, result, judge_sandbox)
                fp = await false_positives(task, result, judge_sandbox)
            except (sqlite3.Error, *transient):
                raise
            except Exception as exc:  # recorded; the run goes on
                message = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
                if await claims.finish(run, task.task_id, worker, status="errored", error=message):
                    outcome.errored += 1
                    outcome.errors[task.task_id] = message
                if bar:
                    bar.update(ok=False, task_id=task.task_id)
                return
            payload = result.to_dict()
            payload["judge"] = {"base": verdict.base, "plus": verdict.plus}
            payload["generated_false_positives"] = fp
            if task.rating is not None:  # report groups Pass@1 by it (xCodeEval)
                payload["rating"] = task.rating
            if state.get("budget_capped"):
                payload["budget_capped"] = True
            held.pop(task.task_id, None)  # finished: losing the lease now cancels nothing
            kept = await claims.finish(
                run, task.task_id, worker, status="done", result=payload, base=verdict.base,
                plus=verdict.plus,
            )  # fmt: skip
            if not kept:  # our lease had expired and another worker took the problem over
                return
            outcome.done += 1
            if prune:
                await saver.adelete_thread(tid)
            if bar:
                bar.update(ok=True, passed=verdict.base, task_id=task.task_id)

        async def renew() -> None:
            """Keep this worker's leases alive; a problem whose lease was lost anyway (the
            worker stalled past it and another took over) is cancelled here."""
            while True:
                await asyncio.sleep(lease_s / 3)
                before = dict(held)  # a problem claimed during the renewal is not judged here
                try:
                    still = await claims.renew(run, worker, lease_s)
                except (sqlite3.Error, *transient):
                    continue  # the next round tries again; finish() fences a lost lease
                for task_id, job in before.items():
                    if task_id not in still and held.get(task_id) is job:
                        job.cancel()

        async def drive(group: asyncio.TaskGroup) -> None:
            while True:
                await sem.acquire()
                if not extras.guard.may_start():  # --max-cost-usd reached: in-flight finish
                    sem.release()
                    if held:
                        await asyncio.wait(set(held.values()))
                    return
                got = await claims.claim(run, worker, lease_s)
                if got is not None:
                    task = known.get(got.task_id)
                    if task is None:  # not in this benchmark's data: cannot be solved here
                        sem.release()
                        await claims.finish(
                            run, got.task_id, worker, status="errored",
                            error=f"task {got.task_id} is not in benchmark {benchmark.name}",
                        )  # fmt: skip
                        continue
                    held[got.task_id] = group.create_task(one(task, got.attempt))
                    continue
                sem.release()
                if held:  # ours still running: wait for one, then look again
                    await asyncio.wait(
                        set(held.values()), timeout=lease_s / 3,
                        return_when=asyncio.FIRST_COMPLETED,
                    )  # fmt: skip
                    continue
                await claims.reap(run)  # this machine's dead workers need not wait for expiry
                left = await claims.pending(run)
                if left.free == 0 and left.held == 0:
                    return
                # Other workers hold the rest; stay until they finish, or take over the
                # problems of one that died when its leases expire.
                await asyncio.sleep(min(1.0, lease_s / 3))

        if bar:
            bar.start()
        renewer = asyncio.create_task(renew())
        try:
            # A TaskGroup, not gather: when the database fails, the other problems are cancelled
            # (keeping their checkpoints) instead of running on into the same failure.
            async with asyncio.TaskGroup() as group:
                group.create_task(drive(group))
        except BaseExceptionGroup as group_error:
            storage = group_error.subgroup(StorageError)
            if storage is not None:
                raise storage.exceptions[0] from None
            lost = group_error.subgroup(transient) if transient else None
            if lost is not None:  # claiming failed for longer than the retries (PostgreSQL down)
                raise storage_error(lost.exceptions[0]) from None
            raise
        finally:
            renewer.cancel()
            # An orderly stop gives its leases back at once: all of this worker's, not only
            # those in `held`, since a stop that lands while a claim commits leaves a lease
            # taken that `held` never saw.
            with contextlib.suppress(Exception):
                await claims.release(run, worker)
            if bar:
                bar.close()
        ids = {t.task_id for t in run_tasks}
        for row in await store.results(run):
            if row.task_id in ids and row.status == "done":
                outcome.run_done += 1
            elif row.task_id in ids and row.status == "errored":
                outcome.run_errors[row.task_id] = row.error or ""
        await extras.finish(outcome, outcome.total - outcome.skipped)
    return outcome


async def _solve_one(
    graph: Any,
    saver: AsyncSqliteSaver,
    task: Task,
    config: dict[str, Any],
    verbose: bool,
    log: Callable[[str], None] | None = None,
    patched: bool = True,
    context: SolveContext | None = None,
) -> Mapping[str, Any]:
    """Fresh start, continue from the checkpoint, or reuse a finished thread's final state.
    A fresh start sees the statement with its example patches when `patched` (the
    `benchmark_patches` knob); the judge always scores against the data as shipped."""
    snapshot = await graph.aget_state(config)
    finished = bool(snapshot.values) and not snapshot.next and snapshot.values.get("final")
    if finished:
        return snapshot.values  # crashed (or the judge failed) after the graph had finished
    if snapshot.next:
        # Interrupted or errored: continue from the last checkpoint, so the calls already paid
        # for (and their ledger entries) are kept and only the failed node runs again.
        return await _drive(graph, None, config, verbose, task.task_id, log, context)
    if snapshot.values:
        await saver.adelete_thread(config["configurable"]["thread_id"])  # unusable: start over
    problem = task.problem_for(patched)
    return await _drive(graph, initial_state(problem), config, verbose, task.task_id, log, context)


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
