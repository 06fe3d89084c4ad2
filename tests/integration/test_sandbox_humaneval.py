"""All HumanEval canonical solutions pass their hidden check() via run_tests; wrong ones fail.

Reads only the package's shipped copy of HumanEval (never a shared data directory at test time).
"""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

import pat_graph
from pat_graph.sandbox import bwrap_available, run_tests

pytestmark = pytest.mark.integration

DATA = Path(pat_graph.__file__).parent / "benchmarks/data/humaneval/HumanEval.jsonl.gz"


def _problems() -> list[dict[str, Any]]:
    if not DATA.exists():
        pytest.skip(f"the shipped HumanEval copy is not there yet: {DATA}")
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


async def _verify(problems: list[dict[str, Any]], body: str | None, sandbox: str) -> list[bool]:
    reports = await asyncio.gather(
        *(
            run_tests(
                p["prompt"] + (p["canonical_solution"] if body is None else body),
                [p["test"] + f"\ncheck({p['entry_point']})\n"],
                timeout_s=6.0,
                sandbox=sandbox,  # type: ignore[arg-type]
                entry_point=p["entry_point"],
            )
            for p in problems
        )
    )
    return [r.passed for r in reports]


@pytest.mark.parametrize("sandbox", ["bwrap", "process"])
async def test_canonical_solutions_pass_and_wrong_ones_fail(sandbox: str) -> None:
    if sandbox == "bwrap" and not bwrap_available():
        pytest.skip("bwrap cannot run on this machine")
    problems = _problems()
    assert len(problems) == 164
    canonical = await _verify(problems, None, sandbox)
    failed = [p["task_id"] for p, ok in zip(problems, canonical, strict=True) if not ok]
    assert not failed, f"canonical solutions rejected: {failed}"
    wrong = await _verify(problems, "    return None\n", sandbox)
    passed = [p["task_id"] for p, ok in zip(problems, wrong, strict=True) if ok]
    assert not passed, f"'return None' accepted for: {passed}"
