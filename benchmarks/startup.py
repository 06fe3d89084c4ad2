"""Start-up time of the CLI: `pat-graph --help` and `pat-graph report` (issue 12), and how fast
`run` and `worker` say what is wrong with a command (issue 18).

Both used to take about 1.4 s, almost all of it importing langchain-openai and openai, which
neither command uses. The package now imports its public names lazily and the CLI imports each
command's modules inside the command. Targets on the project's machines: --help < 0.3 s,
report < 0.6 s. `run` with an unknown model and `worker` on an unknown run used to import the
whole solver (LangGraph, LangChain, the OpenAI client: about 3 s) before saying so; their checks
now come first: target < 0.6 s.

Prints, per command, the median wall time of REPEAT fresh processes, the same for a bare
`python -c pass` (the interpreter's own start-up, which no change here can remove), and the
ratio to it; then whether `import pat_graph` pulls in langchain_openai/openai. The machine may
be shared: medians, not means, and the bare interpreter as the yardstick.

    .venv/bin/python benchmarks/startup.py [REPEAT]
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TARGETS = {"--help": 0.3, "report": 0.6, "run: unknown model": 0.6, "worker: unknown run": 0.6}


def _time(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, cwd=REPO, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def _make_db(path: Path) -> None:
    from pat_graph.runs.store import RunRecord, Store, open_db

    conn = await open_db(path)
    try:
        store = Store(conn)
        await store.setup()
        gen = {"name": "g", "model": "m", "api": "chat", "input_price": 1.0, "output_price": 2.0}
        await store.register_run(
            RunRecord("demo", "pat", gen, None, {}, "humaneval", "hash", problems=20)
        )
        for i in range(20):
            entry = {"role": "generator", "model": "g", "input_tokens": 100,
                     "output_tokens": 50, "cost_usd": 0.0002, "requests": 1}  # fmt: skip
            await store.record_call("demo", f"t/{i}", entry)
            result = {"code": "", "verified": i % 2 == 0, "planner_calls": 0, "ledger": [entry]}
            await store.write_result(
                "demo", f"t/{i}", status="done", result=result, base=i % 3 == 0, plus=None
            )
    finally:
        await conn.close()


def main() -> int:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "runs.sqlite"
        asyncio.run(_make_db(db))
        bare = _time([py, "-c", "pass"], repeat)
        rows = {
            "--help": _time([py, "-m", "pat_graph.cli", "--help"], repeat),
            "report": _time([py, "-m", "pat_graph.cli", "report", "--db", str(db)], repeat),
            "import pat_graph": _time([py, "-c", "import pat_graph"], repeat),
            "worker: unknown run": _time(
                [py, "-m", "pat_graph.cli", "worker", "--db", str(db), "--run", "nope"], repeat
            ),
        }
        rows["run: unknown model"] = _time(
            [py, "-m", "pat_graph.cli", "run", "--benchmark", "humaneval", "--limit", "1",
             "--generator", "nope", "--db", str(db), "--run", "demo"], repeat,
        )  # fmt: skip
    print(f"python -c pass           {bare:6.3f} s (the interpreter alone)")
    failed = False
    for name, seconds in rows.items():
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            ok = seconds < target
            failed |= not ok
            verdict = f"  target < {target:.1f} s: {'ok' if ok else 'MISSED'}"
        print(f"{name:<24} {seconds:6.3f} s  {seconds / bare:5.1f}x python{verdict}")
    heavy = subprocess.run(
        [py, "-c", "import sys, pat_graph.cli, pat_graph.reporting.report; "
         "print(sorted(m for m in ('langchain_openai', 'openai', 'langgraph', 'scipy')"
         " if m in sys.modules))"],
        cwd=REPO, capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    print(f"heavy modules imported by the cli and report modules: {heavy}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
