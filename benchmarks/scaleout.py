"""Does a run scale out? Throughput of 1, 2 and 4 worker processes sharing one run through the
claims protocol (pat_graph/runs/claims.py), on SQLite and on a real PostgreSQL, against the ideal
asyncio loop that sleeps the same latency steps at the same total concurrency.

    .venv/bin/python benchmarks/scaleout.py [--n 500] [--latency 0.05] [--concurrency 32]
                                            [--workers 1 2 4] [--backends sqlite postgres] [--json]

Each worker is a separate Python process running `run_benchmark` (the code `pat-graph worker`
runs) on the same run with `--concurrency` problems at once. The model is `LatencyChatModel`
(an in-process fake that sleeps `--latency` per request) rather than an HTTP fake server: on a
2-core machine a Python HTTP server answering 128 concurrent requests would take the CPU the
workers are measured on. The sandbox and judge are instant, so this measures the orchestrator
(LangGraph, checkpoints, the claims and result writes) and the database, which is what limits one
process. Workers import everything, then wait for a start signal, so start-up is not counted.
PostgreSQL runs from tests/support/postgres.py (a temporary cluster on a unix socket).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _fakes import (  # noqa: E402
    InstantSandbox,
    LatencyChatModel,
    expected_calls,
    ideal_loop,
    instant_judge,
    is_hard,
    synthetic_task,
)

from pat_graph.benchmarks.types import Benchmark  # noqa: E402
from pat_graph.models.roles import RoleModel  # noqa: E402
from pat_graph.runs.runner import run_benchmark  # noqa: E402

PROFILE = "strict"  # the synthetic call pattern is the strict profile's (see overhead.py)
MAX_CONCURRENCY = 8


def _benchmark(n: int, hard: float) -> Benchmark:
    return Benchmark("synthetic", "bench", [synthetic_task(i, is_hard(i, hard)) for i in range(n)])


async def _work(db: str, run: str, n: int, hard: float, latency: float, c: int, register: bool,
                go: Path | None) -> dict[str, Any]:  # fmt: skip
    model = LatencyChatModel(latency_s=latency)
    bench = _benchmark(n, hard)
    if go is not None:
        while not go.exists():  # every worker starts at the same moment
            await asyncio.sleep(0.005)
    cpu = time.process_time()
    outcome = await run_benchmark(
        run=run, benchmark=bench, tasks=bench.tasks if register else [], policy="pat",
        generator=RoleModel(model, "fake"), budgets={"profile": PROFILE}, db_path=db,
        concurrency=c, max_concurrency=MAX_CONCURRENCY, sandbox=InstantSandbox(),
        judge=instant_judge, progress=False, solve=not register, join=not register,
    )  # fmt: skip
    return {"done": outcome.done, "calls": sum(model.counts.values()),
            "cpu_s": time.process_time() - cpu}  # fmt: skip


def measure(db: str, run: str, args: argparse.Namespace, workers: int, tmp: Path) -> dict[str, Any]:
    asyncio.run(_work(db, run, args.n, args.hard, args.latency, args.concurrency, True, None))
    go = tmp / f"go-{run}-{time.monotonic_ns()}"
    cmd = [sys.executable, __file__, "--child", "--db", db, "--run", run, "--n", str(args.n),
           "--hard", str(args.hard), "--latency", str(args.latency), "--concurrency",
           str(args.concurrency), "--go", str(go)]  # fmt: skip
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
    time.sleep(4.0 + 1.5 * workers)  # imports done, all waiting on the signal
    start = time.perf_counter()
    go.touch()
    outs = [json.loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in procs]
    wall = time.perf_counter() - start
    done = sum(o["done"] for o in outs)
    calls = sum(o["calls"] for o in outs)
    if done != args.n or calls < expected_calls(args.n, args.hard):
        raise RuntimeError(f"{done}/{args.n} done, {calls} calls: {outs}")
    return {"workers": workers, "wall_s": wall, "problems_per_s": args.n / wall,
            "repeated_calls": calls - expected_calls(args.n, args.hard),
            "cpu_ms_per_problem": 1000 * sum(o["cpu_s"] for o in outs) / args.n,
            "per_worker_done": [o["done"] for o in outs]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--hard", type=float, default=0.5)
    p.add_argument("--latency", type=float, default=0.05)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    p.add_argument("--json", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--run", help=argparse.SUPPRESS)
    p.add_argument("--go", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        out = asyncio.run(_work(args.db, args.run, args.n, args.hard, args.latency,
                                args.concurrency, False, Path(args.go)))  # fmt: skip
        print(json.dumps(out))
        return 0
    os.environ.setdefault("PAT_GRAPH_LEASE_S", "30")
    rows: list[dict[str, Any]] = []
    print(f"load average before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        pg = None
        try:
            for backend in args.backends:
                if backend == "postgres" and pg is None:
                    from tests.support.postgres import PostgresServer

                    pg = PostgresServer().start()
                for w in args.workers:
                    ideal = asyncio.run(
                        ideal_loop(args.n, args.hard, args.latency, args.concurrency * w)
                    )
                    db = (
                        str(tmp / f"{backend}-{w}.sqlite")
                        if backend == "sqlite"
                        else (
                            pg.new_database()  # type: ignore[union-attr]
                        )
                    )
                    row = measure(db, f"scale-{w}", args, w, tmp)
                    row.update(backend=backend, ideal_s=ideal, ratio_to_ideal=row["wall_s"] / ideal,
                               load=os.getloadavg()[0])  # fmt: skip
                    rows.append(row)
                    print(f"{backend:<9} {w} workers: {row['wall_s']:6.2f}s "
                          f"{row['problems_per_s']:6.1f} problems/s  ideal {ideal:5.2f}s "
                          f"x{row['ratio_to_ideal']:.2f}  "
                          f"cpu {row['cpu_ms_per_problem']:.1f} ms/problem"
                          f"  repeated {row['repeated_calls']}  load {row['load']:.2f}",
                          flush=True)  # fmt: skip
        finally:
            if pg is not None:
                pg.stop()
    for backend in args.backends:
        base = next((r for r in rows if r["backend"] == backend and r["workers"] == 1), None)
        for r in rows:
            if base and r["backend"] == backend:
                r["speedup_vs_1"] = r["problems_per_s"] / base["problems_per_s"]
    print("| backend | workers | wall s | problems/s | x ideal | speed-up vs 1 | cpu ms/problem |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['backend']} | {r['workers']} | {r['wall_s']:.2f} | "
              f"{r['problems_per_s']:.1f} | "
              f"{r['ratio_to_ideal']:.2f} | {r.get('speedup_vs_1', 0):.2f} | "
              f"{r['cpu_ms_per_problem']:.1f} |")  # fmt: skip
    print(f"load average after: {os.getloadavg()}")
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
