"""FunCoder (`pbt`) and CodeT (`codet`) through the real sandbox: candidates really run, their
outputs are compared on the host (`run_calls` + `compare.same_output`), and the rules pick the
program the algorithm would pick. Models are scripted; the code they return is real Python."""

from __future__ import annotations

import pytest

from pat_graph import solve
from pat_graph.problem import Problem
from pat_graph.sandbox import get_sandbox
from pat_graph.testing import ScriptedChatModel, fenced
from tests.unit.graph_fixtures import responder

pytestmark = pytest.mark.integration

PAIRS = '''def pairs(n: int) -> list:
    """Return the pairs (i, i * i) for i in 0 .. n-1, as a list of tuples.
    >>> pairs(2)
    [(0, 0), (1, 1)]
    """
'''
SIG = "def pairs(n: int) -> list:\n"
RIGHT = SIG + "    return [(i, i * i) for i in range(n)]"
AS_LISTS = SIG + "    return [[i, i * i] for i in range(n)]"  # equal-looking, not identical
OFF_BY_ONE = SIG + "    return [(i, i * i) for i in range(n + 1)]"
CRASHES = SIG + "    return [(i, i * i) for i in range(n)][n]"


def conquer_samples():
    it = iter([AS_LISTS] * 5 + [RIGHT] * 3 + [OFF_BY_ONE] + [CRASHES])
    return lambda: fenced(next(it))


async def test_funcoder_consensus_on_real_outputs_prefers_what_the_examples_allow():
    gen = ScriptedChatModel(
        respond=responder(
            {
                ("divide", "pairs"): fenced(OFF_BY_ONE),
                ("conquer", "pairs"): conquer_samples(),
                ("inputs", "pairs"): fenced("pairs(0)\npairs(3)\npairs(5)"),
            }
        )
    )
    result = await solve(
        Problem("t/pairs", PAIRS, "pairs"), generator=gen, policy="funcoder",
        sandbox=get_sandbox("auto"),
    )  # fmt: skip
    # five list-of-lists samples agree with each other, but fail the statement's example
    # (tuples are not lists): -10000 each. The three right samples win.
    assert "(i, i * i) for i in range(n)]" in result.code and "[n]" not in result.code
    assert "range(n + 1)" not in result.code
    assert result.verified and result.origin.startswith("conquer")
    # (paper profile: the root's examples are extracted by one request, then the inputs)
    assert [c.purpose for c in gen.calls] == ["divide", "conquer", "examples", "inputs"]


async def test_codet_counts_real_assert_passes():
    samples = iter([OFF_BY_ONE] * 6 + [RIGHT] * 2 + [CRASHES] * 3)
    gen = ScriptedChatModel(
        respond=responder(
            {
                ("trial", "pairs"): lambda: fenced(next(samples)),
                ("tests", "pairs"): fenced(
                    "assert pairs(0) == []\nassert pairs(1) == [(0, 0)]\n"
                    "assert pairs(3) == [(0, 0), (1, 1), (2, 4)]"
                ),
            }
        )
    )
    result = await solve(
        Problem("t/pairs", PAIRS, "pairs"), generator=gen, policy="codet",
        sandbox=get_sandbox("auto"),
    )  # fmt: skip
    assert "range(n)]" in result.code and "[n]" not in result.code
    assert (result.tests_passed, result.tests_total) == (3, 3)


async def test_a_run_under_the_funcoder_alias_is_recorded_as_pbt(tmp_path):
    from pat_graph.benchmarks import load_benchmark
    from pat_graph.models.roles import RoleModel
    from pat_graph.reporting.report import load_summaries
    from pat_graph.runs.runner import run_benchmark
    from tests.support.fake_server import scripted_model, write_benchmark

    bench = load_benchmark(write_benchmark(tmp_path / "fake.jsonl", 1))
    db = tmp_path / "runs.sqlite"
    model = RoleModel(scripted_model(), "fake-gen")
    for policy in ("funcoder", "pbt"):  # the second call resumes the same run
        outcome = await run_benchmark(
            run="fc", benchmark=bench, policy=policy, generator=model, db_path=db, progress=False
        )
        assert outcome.errored == 0
    [summary] = await load_summaries(db)
    assert summary["policy"] == "pbt"
