"""What the test targets gain by keeping Python's bytecode caches (`PYTHONDONTWRITEBYTECODE=`).

Some CI images set $PYTHONDONTWRITEBYTECODE. The suite then compiles pat_graph from source in
every Python process it starts (hundreds: runs, workers, reports, sandboxes), and every xdist
worker parses and rewrites the tests' asserts again. This copies the tree (no __pycache__) and
measures, each the median CPU seconds (user + system, children included) of REPEAT tries:

- collecting the suite (`pytest --collect-only`, what each xdist worker does first);
- importing what `pat-graph run` imports (the CLI, the runner, the workers, the model layer).

Rows: "no caches" (the baseline: $PYTHONDONTWRITEBYTECODE=1 on a tree without __pycache__) and
"caches kept" (the variable empty, after one run has written the caches).

    .venv/bin/python benchmarks/bytecode.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUN_IMPORTS = (
    "import pat_graph.cli.main, pat_graph.cli.run, pat_graph.runs.runner, pat_graph.runs.workers, "
    "pat_graph.models.config, pat_graph.sandbox.process"
)


def _cpu(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _copy(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", ".venv", ".git", "out", "*.sqlite*")
    shutil.copytree(REPO, dest, ignore=ignore)
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = {
        "collect the suite": [
            *(sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider")
        ],
        "import what `run` imports": [sys.executable, "-c", RUN_IMPORTS],
    }
    with tempfile.TemporaryDirectory() as tmp:
        tree = _copy(Path(tmp) / "tree")
        env = {**os.environ, "PYTHONPATH": str(tree)}
        rows: dict[str, dict[str, float]] = {}
        for name, cmd in work.items():
            cold = [
                _cpu(cmd, tree, {**env, "PYTHONDONTWRITEBYTECODE": "1"}) for _ in range(args.repeat)
            ]
            _cpu(cmd, tree, {**env, "PYTHONDONTWRITEBYTECODE": ""})  # writes the caches
            warm = [
                _cpu(cmd, tree, {**env, "PYTHONDONTWRITEBYTECODE": ""}) for _ in range(args.repeat)
            ]
            for path in tree.rglob("__pycache__"):
                shutil.rmtree(path)
            rows[name] = {"no caches": statistics.median(cold), "kept": statistics.median(warm)}
    print(f"CPU seconds, median of {args.repeat}; baseline: no caches ($PYTHONDONTWRITEBYTECODE=1)")
    for name, row in rows.items():
        base, kept = row["no caches"], row["kept"]
        print(f"{name:<28} no caches {base:5.2f} s   caches kept {kept:5.2f} s "
              f"({kept / base:4.2f}x)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
