"""The paper's task sets through the real sandbox: mbpp-pat's judge (the task's asserts after the
default imports within 2.5 s, then EvalPlus's inputs) and xcodeeval's (Codeforces comparison),
and a whole scripted run on the xcodeeval fixture reported by rating bucket."""

from __future__ import annotations

from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.judge import judge
from pat_graph.models.roles import RoleModel
from pat_graph.reporting.report import load_summaries
from pat_graph.runs.runner import run_benchmark
from pat_graph.sandbox import get_sandbox
from pat_graph.testing import ScriptedChatModel, fenced

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "xcodeeval"


def _mbpp(task_id: str):
    return load_benchmark("mbpp-pat").by_id()[task_id]


async def test_mbpp_pat_base_is_the_asserts_and_plus_evalplus_inputs() -> None:
    task = _mbpp("Mbpp/6")  # differ_At_One_Bit_Pos
    box = get_sandbox("auto")
    canonical = await judge(task, task.canonical_solution or "", sandbox=box)
    assert canonical.base and canonical.plus
    # right on the task's own asserts only: base passes, EvalPlus's inputs catch it
    table = "\n".join(f"    if (a, b) == {pair}: return {ok}" for pair, ok in
                      [((13, 9), True), ((15, 8), False), ((2, 4), False), ((2, 3), True),
                       ((5, 1), True), ((1, 5), True)])  # fmt: skip
    memorised = f"def differ_At_One_Bit_Pos(a, b):\n{table}\n    return False\n"
    verdict = await judge(task, memorised, sandbox=box)
    assert verdict.base and verdict.plus is False
    # the default imports come first (math is not imported here), and 2.5 s is the limit
    uses_math = (
        "def differ_At_One_Bit_Pos(a, b):\n"
        "    x = a ^ b\n"
        "    return x > 0 and math.log2(x).is_integer()\n"
    )
    assert (await judge(task, uses_math, sandbox=box)).base
    slow = (
        "import time\n\ndef differ_At_One_Bit_Pos(a, b):\n"
        "    time.sleep(1)\n    return bin(a ^ b).count('1') == 1\n"
    )
    assert not (await judge(task, slow, sandbox=box)).base


async def test_xcodeeval_judge_in_the_sandbox() -> None:
    tasks = load_benchmark("xcodeeval", data=FIXTURE).by_id()
    box = get_sandbox("auto")
    add = tasks["xCodeEval/0a0000000000000000000000000000a1"]
    right = "def main():\n    a, b = map(int, input().split())\n    print(a + b)\n"
    assert (await judge(add, right, sandbox=box)).base  # main() called by the judge
    wrong = "a, b = map(int, input().split())\nprint(a - b)\n"
    verdict = await judge(add, wrong, sandbox=box)
    assert not verdict.base and "wrong answer on test 1" in verdict.details["base"][0]["message"]
    third = tasks["xCodeEval/0c0000000000000000000000000000c3"]
    assert (await judge(third, "print(int(input()) / 3)\n", sandbox=box)).base  # within 1e-6
    either = tasks["xCodeEval/0d0000000000000000000000000000d4"]
    assert (await judge(either, "a, b = input().split()\nprint(b, a)\n", sandbox=box)).base is False
    swap = "a, b = input().split()\nprint(a, b) if a == '1' else print(b, a)\n"
    assert (await judge(either, swap, sandbox=box)).base  # "3 5" is accepted for input "5 3"
    slow = "import time\ntime.sleep(2)\nprint(input())\n"  # the limit is 0.5 s
    verdict = await judge(either, slow, sandbox=box)
    assert "time limit exceeded on sample test 1" in verdict.details["base"][0]["message"]


_PROGRAMS = {
    "print their sum": "a, b = map(int, input().split())\nprint(a + b)",
    "Print YES if": "print('YES' if int(input()) % 2 == 0 else 'NO')",
    "with any precision": "print(int(input()) / 3)",
    "in any order": "a, b = input().split()\nprint(b, a)",  # wrong on the sample
    "maximum of the numbers": "print(min(map(int, input().split())))",  # wrong
}


def _respond(purpose: str, messages) -> str:
    last = str(messages[-1].content)
    for marker, program in _PROGRAMS.items():
        if marker in last and purpose == "program":
            return fenced(program)
    return "I cannot help with that."


async def test_a_scripted_xcodeeval_run_reports_pass_at_1_by_rating(tmp_path: Path) -> None:
    bench = load_benchmark("xcodeeval", data=FIXTURE)
    model = RoleModel(ScriptedChatModel(respond=_respond), "fake", 1.0, 1.0)
    db = tmp_path / "runs.sqlite"
    await run_benchmark(run="x", benchmark=bench, policy="best-of-n", generator=model, db_path=db,
                        progress=False, sandbox=get_sandbox("auto"))  # fmt: skip
    [summary] = await load_summaries(db)
    ratings = summary["by_rating"]
    assert summary["pass_at_1"] == pytest.approx(3 / 5)
    assert [ratings[b]["passed"] for b in ("<1200", "1200-1599", "1600-1999", ">=2000")] == [
        1, 1, 1, 0,
    ]  # fmt: skip
    assert ratings["unrated"] == {"problems": 1, "passed": 0, "pass_at_1": 0.0}
