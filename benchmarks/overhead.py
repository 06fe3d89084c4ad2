"""What does pat-graph cost around the model calls? Wall time of the PaT graph over synthetic
problems, divided by the wall time of a plain asyncio loop that sleeps the same latency steps with
the same concurrency, measured in the same process and run.

    .venv/bin/python benchmarks/overhead.py [--n 200] [--latency 0.05] [--concurrency 1 8 32]
                                            [--repeat 3] [--hard 0.5] [--json]

Modes: `none` (no checkpointer: the graph engine alone), `memory` (InMemorySaver), `sqlite`
(AsyncSqliteSaver on a temp file opened like the runner opens it, default durability, one thread
per problem) and `runner` (the whole `run_benchmark`, judge and result rows included, with the
instant judge). A ratio of 1.00 means pat-graph added nothing measurable.

The callback path (issue 21): `handler` is `none` with a parent app's callback handler in the
config (LangChain's usage counter), `messages` consumes `astream(stream_mode="messages")`,
`events` consumes `astream_events(version="v2")`, `custom` consumes the progress events of
`astream(stream_mode="custom")`. Each line also prints CPU microseconds per model request and
what the consumer saw (requests counted by the handler, chunks/events streamed), so the same
script run on an older commit shows both the cost and whether the calls were visible at all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fakes import (
    InstantSandbox,
    LatencyChatModel,
    expected_calls,
    ideal_loop,
    instant_judge,
    is_hard,
    synthetic_problem,
    synthetic_task,
)
from langchain_core.callbacks import UsageMetadataCallbackHandler
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from pat_graph.benchmarks.types import Benchmark
from pat_graph.graph.budgets import budgets_for
from pat_graph.graph.policies import build_graph
from pat_graph.graph.solve import initial_state, result_from_state
from pat_graph.models.roles import RoleModel
from pat_graph.runs.runner import run_benchmark, thread_id
from pat_graph.runs.store import open_db

MODES = ("none", "memory", "sqlite", "sqlite-full", "runner")
CALLBACK_MODES = ("handler", "messages", "events", "custom")
MAX_CONCURRENCY = 8  # the runner's default graph-level max_concurrency
# The synthetic call pattern (tests written from the statement, next to the trial) is the strict
# profile's; the paper profile writes call tests after a trial and redoes unusable ones.
PROFILE = "strict"


# What the callback-path consumers saw in the last run (requests, chunks, events).
SEEN: dict[str, int] = {}


async def _consume(graph: Any, inputs: Any, config: dict[str, Any], consumer: str) -> Any:
    """Run one problem the way `consumer` (a CALLBACK_MODES name, or "" for plain ainvoke)
    would, and return its final state."""
    if consumer in ("", "handler"):
        return await graph.ainvoke(inputs, config)
    if consumer == "events":
        state = None
        async for event in graph.astream_events(inputs, config, version="v2"):
            SEEN["events"] = SEEN.get("events", 0) + 1
            if event["event"] == "on_chat_model_end":
                SEEN["chat_model_end"] = SEEN.get("chat_model_end", 0) + 1
            if event["event"] == "on_chain_end" and event["name"] == "LangGraph":
                state = event["data"]["output"]
        return state
    state = None
    async for mode, chunk in graph.astream(inputs, config, stream_mode=[consumer, "values"]):
        if mode == "values":
            state = chunk
        else:
            SEEN[consumer] = SEEN.get(consumer, 0) + 1
    return state


async def _graph_loop(
    n: int, hard: float, latency: float, concurrency: int, checkpointer: Any, consumer: str = ""
) -> tuple[float, LatencyChatModel]:
    model = LatencyChatModel(latency_s=latency)
    builder = build_graph("pat", generator=model, sandbox=InstantSandbox(), profile=PROFILE)
    graph = builder.compile(checkpointer=checkpointer)
    limit = budgets_for("pat", profile=PROFILE).recursion_limit()
    sem = asyncio.Semaphore(concurrency)
    wrong: list[str] = []
    handler = UsageMetadataCallbackHandler()
    SEEN.clear()

    async def one(i: int) -> None:
        problem = synthetic_problem(i, is_hard(i, hard))
        config: dict[str, Any] = {"recursion_limit": limit, "max_concurrency": MAX_CONCURRENCY}
        if checkpointer is not None:
            config["configurable"] = {"thread_id": thread_id("bench", problem.task_id)}
        if consumer == "handler":
            config["callbacks"] = [handler]
        async with sem:
            state = await _consume(graph, initial_state(problem), config, consumer)
        if not result_from_state(state).verified:
            wrong.append(problem.task_id)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - start
    if wrong:
        raise RuntimeError(f"the fake run did not verify {len(wrong)} problems: {wrong[:3]}")
    if consumer == "handler":
        SEEN["handler_tokens"] = sum(u["total_tokens"] for u in handler.usage_metadata.values())
    return elapsed, model


async def graph_run(
    mode: str, n: int, hard: float, latency: float, concurrency: int, tmp: Path
) -> float:
    if mode == "none":
        elapsed, model = await _graph_loop(n, hard, latency, concurrency, None)
    elif mode == "memory":
        elapsed, model = await _graph_loop(n, hard, latency, concurrency, InMemorySaver())
    elif mode in ("sqlite", "sqlite-full"):
        conn = await open_db(str(tmp / f"overhead-{time.monotonic_ns()}.sqlite"))
        if mode == "sqlite-full":  # SQLite's default, before store.open_db chose NORMAL
            await conn.execute("PRAGMA synchronous=FULL")
        try:
            saver = AsyncSqliteSaver(conn)
            await saver.setup()
            elapsed, model = await _graph_loop(n, hard, latency, concurrency, saver)
        finally:
            await conn.close()
    elif mode == "runner":
        return await runner_run(n, hard, latency, concurrency, tmp)
    elif mode in CALLBACK_MODES:
        elapsed, model = await _graph_loop(n, hard, latency, concurrency, None, consumer=mode)
    else:
        raise ValueError(mode)
    calls = sum(model.counts.values())
    if calls != expected_calls(n, hard):
        raise RuntimeError(f"{calls} model calls, the ideal loop assumes {expected_calls(n, hard)}")
    return elapsed


async def runner_run(n: int, hard: float, latency: float, concurrency: int, tmp: Path) -> float:
    model = LatencyChatModel(latency_s=latency)
    tasks = [synthetic_task(i, is_hard(i, hard)) for i in range(n)]
    start = time.perf_counter()
    outcome = await run_benchmark(
        run="overhead",
        benchmark=Benchmark("synthetic", "bench", tasks),
        policy="pat",
        generator=RoleModel(model, "fake"),
        budgets={"profile": PROFILE},
        db_path=tmp / f"runner-{time.monotonic_ns()}.sqlite",
        concurrency=concurrency,
        max_concurrency=MAX_CONCURRENCY,
        sandbox=InstantSandbox(),
        judge=instant_judge,
        progress=False,
    )
    elapsed = time.perf_counter() - start
    if outcome.done != n:
        raise RuntimeError(f"runner finished {outcome.done}/{n}: {outcome.errors}")
    calls = sum(model.counts.values())
    if calls != expected_calls(n, hard):
        raise RuntimeError(f"{calls} model calls, the ideal loop assumes {expected_calls(n, hard)}")
    return elapsed


async def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for c in args.concurrency:
        ratios: dict[str, list[float]] = {m: [] for m in args.modes}
        cpu_ms: dict[str, list[float]] = {m: [] for m in args.modes}
        seen: dict[str, dict[str, int]] = {}
        ideals: list[float] = []
        for _ in range(args.repeat):
            # Interleave ideal and graph runs so drift on the machine hits both alike.
            for mode in args.modes:
                ideal = await ideal_loop(args.n, args.hard, args.latency, c)
                ideals.append(ideal)
                cpu = time.process_time()  # all threads: aiosqlite's writer too
                took = await graph_run(mode, args.n, args.hard, args.latency, c, tmp)
                cpu_ms[mode].append(1000 * (time.process_time() - cpu) / args.n)
                ratios[mode].append(took / ideal)
                seen[mode] = dict(SEEN)
        per_request = expected_calls(args.n, args.hard) / args.n  # requests per problem
        table[str(c)] = {
            "ideal_s": statistics.median(ideals),
            **{m: statistics.median(r) for m, r in ratios.items()},
            "cpu_ms_per_problem": {m: statistics.median(v) for m, v in cpu_ms.items()},
            "cpu_us_per_request": {
                m: 1000 * statistics.median(v) / per_request for m, v in cpu_ms.items()
            },
            "seen": seen,
            "all": ratios,
        }
        line = "  ".join(
            f"{m} {statistics.median(r):.2f} ({statistics.median(cpu_ms[m]):.1f} ms cpu, "
            f"{1000 * statistics.median(cpu_ms[m]) / per_request:.0f} us/request)"
            for m, r in ratios.items()
        )
        print(f"concurrency {c:>3}: ideal {statistics.median(ideals):6.2f}s  {line}", flush=True)
        for mode, what in seen.items():
            if what:
                print(f"    {mode} saw: {what}", flush=True)
    return table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--latency", type=float, default=0.05, help="seconds per model call")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--hard", type=float, default=0.5, help="fraction whose trial fails")
    p.add_argument("--modes", nargs="+", default=list(MODES), choices=[*MODES, *CALLBACK_MODES])
    p.add_argument("--json", action="store_true", help="print the medians as JSON at the end")
    args = p.parse_args(argv)
    print(
        f"{args.n} problems ({args.hard:.0%} plan), {args.latency * 1000:.0f} ms per call, "
        f"median of {args.repeat}; ratio = graph wall time / ideal asyncio loop "
        "(CPU per problem, all threads)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="pat-overhead-") as tmp:
        table = asyncio.run(measure(args, Path(tmp)))
    if args.json:
        print(json.dumps(table, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
