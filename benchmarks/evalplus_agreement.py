"""Compare pat-graph's judge with EvalPlus's own evaluator, task by task.

Builds a deliberately mixed samples file (canonical solutions, completions, outputs perturbed
beyond and within float tolerance, None stubs), scores it with `evaluate_samples` and with
`evalplus.evaluate` (run in a separate interpreter where evalplus is installed, e.g. a throwaway
venv: `python -m venv /tmp/ep && /tmp/ep/bin/pip install --no-deps evalplus==0.3.1` plus its
runtime deps), then prints how many (task, base) and (task, plus) verdicts agree.

    python benchmarks/evalplus_agreement.py --evalplus-python /tmp/evalplus-venv/bin/python
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.evaluate import evaluate_samples
from pat_graph.benchmarks.registry import data_dir
from pat_graph.benchmarks.types import Task

HE_FILE = "humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz"
DATASETS = {
    "humaneval": ("humaneval-plus", "HUMANEVAL_OVERRIDE_PATH", HE_FILE),
    "mbpp": ("mbpp-plus", "MBPP_OVERRIDE_PATH", "mbppplus/MbppPlus-v0.1.0.jsonl.gz"),
}

_PERTURB = """
_pat_orig = {f}
def {f}(*args):
    out = _pat_orig(*args)
    if len(repr(args)) % 3 != 0:
        return out
    if isinstance(out, bool):
        return not out
    if isinstance(out, (int, float)):
        return out + {delta}
    if isinstance(out, str):
        return out + "x"
    if isinstance(out, list):
        return out[:-1] if out else [0]
    return out
"""

_DRIVER = """
import json, sys, types
sys.modules.setdefault("datasets", types.SimpleNamespace(load_dataset=None))
from evalplus.evaluate import evaluate
evaluate(dataset=sys.argv[1], samples=sys.argv[2], parallel=2, i_just_wanna_run=True)
"""


def _sample(task: Task, variant: int) -> dict[str, Any]:
    program = task.reference_program or ""
    f = task.problem.entry_point
    if variant == 1:  # wrong on roughly a third of the inputs
        return {"task_id": task.task_id, "solution": program + _PERTURB.format(f=f, delta=1)}
    if variant == 2:  # float noise well inside EvalPlus's tolerance
        return {"task_id": task.task_id, "solution": program + _PERTURB.format(f=f, delta=1e-12)}
    if variant == 3:
        return {"task_id": task.task_id, "completion": task.canonical_solution}
    if variant == 4:
        return {"task_id": task.task_id, "solution": f"def {f}(*args):\n    return None\n"}
    return {"task_id": task.task_id, "solution": program}


def _evalplus_verdicts(python: str, dataset: str, samples: Path) -> dict[str, dict[str, bool]]:
    _, env_var, rel = DATASETS[dataset]
    env = {**os.environ, env_var: str(data_dir() / rel)}
    # evalplus 0.3.1 writes <stem>_eval_results.json; later versions <stem>.eval_results.json.
    results = [samples.with_name(samples.stem + "_eval_results.json"),
               samples.with_suffix(".eval_results.json")]  # fmt: skip
    for old in results:
        old.unlink(missing_ok=True)
    subprocess.run([python, "-c", _DRIVER, dataset, str(samples)], env=env, check=True,
                   stdin=subprocess.DEVNULL)  # fmt: skip
    data = json.loads(next(p for p in results if p.exists()).read_text())
    out = {}
    for task_id, (res, *_) in data["eval"].items():
        base = res["base_status"] == "pass"
        out[task_id] = {"base": base, "plus": base and res["plus_status"] == "pass"}
    return out


async def compare(dataset: str, python: str, workdir: Path) -> tuple[int, int, list[str]]:
    bench = load_benchmark(DATASETS[dataset][0])
    rows = [_sample(t, i % 5) for i, t in enumerate(bench.tasks)]
    samples = workdir / f"{dataset}_mixed.jsonl"
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ours = (await evaluate_samples(bench, rows, concurrency=2))["per_task"]
    theirs = _evalplus_verdicts(python, dataset, samples)
    agree, total, diffs = 0, 0, []
    for task_id, mine in ours.items():
        for tier in ("base", "plus"):
            total += 1
            if mine[tier] == theirs[task_id][tier]:
                agree += 1
            else:
                diffs.append(
                    f"{task_id} {tier}: pat-graph {mine[tier]}, evalplus {theirs[task_id][tier]}"
                )
    return agree, total, diffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evalplus-python", default="/tmp/evalplus-venv/bin/python")
    parser.add_argument("--dataset", choices=[*DATASETS, "both"], default="both")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pat-agreement-"))
    names = list(DATASETS) if args.dataset == "both" else [args.dataset]
    for name in names:
        agree, total, diffs = asyncio.run(compare(name, args.evalplus_python, workdir))
        print(f"{name}: {agree}/{total} verdicts agree (base and plus, {total // 2} tasks)")
        for line in diffs:
            print("  differs:", line)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
