"""Is the explorer fast enough for a whole benchmark? A 164-problem PaT run (HumanEval's size)
with the fake model, then `pat-graph explore` timed, then the pages timed in headless Chromium.

    .venv/bin/python benchmarks/explore_bench.py [--n 164] [--repeat 3] [--json] [--keep DIR]

The run goes through the real batch runner and SQLite (half the problems fail their trial and
plan, so trees have helpers); the model, sandbox and judge are the instant fakes of _fakes.py,
because what is measured is the explorer, not a solve. Targets (issue 15): the site is written
in under 10 s, and the runs page loads in under 1 s (navigation to the load event).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _fakes import InstantSandbox, LatencyChatModel, instant_judge, is_hard, synthetic_task

from pat_graph.benchmarks.types import Benchmark
from pat_graph.models.roles import RoleModel
from pat_graph.runs.runner import run_benchmark
from tests.support.browser import Browser

HERE = Path(__file__).resolve().parent
RUN = "explore-bench"
SITE_TARGET_S = 10.0
PAGE_TARGET_S = 1.0


async def build(db: Path, n: int) -> None:
    tasks = [synthetic_task(i, is_hard(i)) for i in range(n)]
    model = RoleModel(LatencyChatModel(latency_s=0.0), "fake", 0.5, 1.5)
    outcome = await run_benchmark(
        run=RUN,
        benchmark=Benchmark("synthetic", "explore-bench", tasks),
        policy="pat",
        generator=model,
        planner=model,
        db_path=db,
        concurrency=16,
        sandbox=InstantSandbox(),
        judge=instant_judge,
        progress=False,
    )
    if outcome.done != n:
        raise RuntimeError(f"finished {outcome.done}/{n}: {list(outcome.errors.items())[:3]}")


def explore_cli(db: Path, out: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of the command a user runs (Python start-up and imports
    included). CPU time says what the wall-clock would be on an idle machine."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), *sys.path])}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pat_graph.cli", "explore", "--db", str(db), "--out", str(out)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def load_times(pages: dict[str, Path], repeat: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with Browser() as browser:
        browser.open("about:blank")
        for name, page in pages.items():
            times = []
            for _ in range(repeat):
                browser.open("about:blank")
                times.append(browser.open(page.resolve().as_uri()))
            if browser.errors:
                raise RuntimeError(f"{name}: console errors {browser.errors}")
            out[name] = {"median_s": statistics.median(times), "max_s": max(times)}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=164)
    p.add_argument("--repeat", type=int, default=3, help="page loads per page")
    p.add_argument("--keep", type=Path, help="write the database and site here")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pat-explore-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db, site = folder / "runs.sqlite", folder / "site"
        db.unlink(missing_ok=True)
        started = time.perf_counter()
        asyncio.run(build(db, args.n))
        build_s = time.perf_counter() - started
        explore_s, explore_cpu_s = explore_cli(db, site)
        problems = sorted((site / "run" / RUN).glob("p-*.html"))
        hard = next(p for p in problems if "00001" in p.name)
        figures: dict[str, Any] = {
            "problems": args.n,
            "build_run_s": build_s,
            "explore_cli_s": explore_s,
            "explore_cli_cpu_s": explore_cpu_s,
            "load_average_1min": os.getloadavg()[0],
            "pages_written": len(problems) + 2,
            "site_mb": sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) / 1e6,
            "load": load_times(
                {
                    "runs page": site / "index.html",
                    "run page (164 rows)": site / "run" / RUN / "index.html",
                    "problem page (planned)": hard,
                },
                args.repeat,
            ),
        }
    runs_load = figures["load"]["runs page"]["max_s"]
    figures["targets_met"] = explore_s < SITE_TARGET_S and runs_load < PAGE_TARGET_S
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            if key == "load":
                for page, t in value.items():
                    print(f"load {page:<34} median {t['median_s']:.3f}s  max {t['max_s']:.3f}s")
            else:
                text = f"{value:.2f}" if isinstance(value, float) else str(value)
                print(f"{key:<39} {text}")
    return 0 if figures["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
