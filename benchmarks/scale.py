"""Does a long batch stay cheap? Thousands of synthetic problems through the batch runner
(`pat_graph.runs.runner.run_benchmark`, the machinery behind `pat-graph run`: one AsyncSqliteSaver,
a thread per problem, results written once) with the fake model, the instant sandbox and judge.

    .venv/bin/python benchmarks/scale.py [--n 5000] [--concurrency 32] [--latency 0.01] [--json]

Prints peak RSS, database bytes per finished problem before pruning, after pruning (live pages)
and after VACUUM (the file), and the time per problem early and late in the run (flat means the
growing database does not slow the run down). Targets: RSS < 500 MB, < 50 KB/problem pruned.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fakes import (
    InstantSandbox,
    LatencyChatModel,
    instant_judge,
    is_hard,
    synthetic_task,
)

from pat_graph.benchmarks.types import Benchmark
from pat_graph.models.roles import RoleModel
from pat_graph.runs.progress import Progress
from pat_graph.runs.runner import prune_run, run_benchmark

RUN = "scale"


class Stopwatch(Progress):
    """The runner's progress hook, used only to timestamp each finished problem."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.finished: list[float] = []

    def _emit(self, task_id: str = "") -> None:
        self.finished.append(time.perf_counter())

    def close(self) -> None:
        pass


def db_bytes(path: Path) -> int:
    """The database as it sits on disk, write-ahead log included."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def live_bytes(path: Path) -> int:
    """Pages in use (pruning frees pages; the file only shrinks on VACUUM)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def vacuum(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return db_bytes(path)


def per_problem_ms(stamps: list[float], lo: float, hi: float) -> float:
    """Mean time between completions inside a window of the run (as fractions of N); windows
    avoid the ramp-up and the drain, where fewer than `concurrency` problems are in flight."""
    a, b = int(len(stamps) * lo), int(len(stamps) * hi)
    return 1000 * (stamps[b] - stamps[a]) / max(1, b - a)


async def run(args: argparse.Namespace, db: Path) -> dict[str, Any]:
    tasks = [synthetic_task(i, is_hard(i, args.hard)) for i in range(args.n)]
    watch = Stopwatch(len(tasks))
    started = time.perf_counter()
    outcome = await run_benchmark(
        run=RUN,
        benchmark=Benchmark("synthetic", "scale", tasks),
        policy="pat",
        generator=RoleModel(LatencyChatModel(latency_s=args.latency), "fake"),
        db_path=db,
        concurrency=args.concurrency,
        sandbox=InstantSandbox(),
        judge=instant_judge,
        progress=watch,
    )
    wall = time.perf_counter() - started
    if outcome.done != args.n:
        raise RuntimeError(f"finished {outcome.done}/{args.n}: {list(outcome.errors.items())[:3]}")
    before = db_bytes(db)
    await prune_run(db, RUN)
    pruned_live = live_bytes(db)
    pruned_file = vacuum(db)
    return {
        "problems": args.n,
        "concurrency": args.concurrency,
        "latency_s": args.latency,
        "wall_s": wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "db_kb_per_problem_before_prune": before / 1024 / args.n,
        "db_kb_per_problem_after_prune_live": pruned_live / 1024 / args.n,
        "db_kb_per_problem_after_prune_vacuum": pruned_file / 1024 / args.n,
        "ms_per_problem_start": per_problem_ms(watch.finished, 0.05, 0.15),
        "ms_per_problem_end": per_problem_ms(watch.finished, 0.85, 0.95),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--latency", type=float, default=0.01, help="seconds per model call")
    p.add_argument("--hard", type=float, default=0.5, help="fraction whose trial fails")
    p.add_argument("--db", type=Path, help="keep the database here (default: a temp dir)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pat-scale-") as tmp:
        db = args.db or Path(tmp) / "scale.sqlite"
        figures = asyncio.run(run(args, db))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:<40} {value:.2f}" if isinstance(value, float) else f"{key:<40} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
