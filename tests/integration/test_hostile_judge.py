# ruff: noqa: E501  (attack sources are data strings; wrapping them hurts reading)
"""Issue 19, classes 1, 2, 4 and 5 on bwrap: no verdict is decided next to the candidate.

Class 1: the judge runs hidden test code (HumanEval's check(), MBPP-style asserts of built-in and
custom benchmarks) on the host against proxies; a candidate redefining a helper the test uses,
patching `math`, the harness's module globals or the builtins gains nothing. Class 2: in-loop
tests that cannot be split run in a test process of their own; the forging attacks of issue 11
(tokens through frames, setprofile, always-equal containers, patched globals) and a gc search
for the expected value all fail on them. Class 4: one sample whose value breaks `repr` is a failed
verdict, never a crash. Class 5: bools are not ints as keys and elements; stdio integers are
exact. Every attack has an honest control next to it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.judge import judge
from pat_graph.sandbox import BwrapSandbox, bwrap_available
from tests.integration.hostile_helpers import jobs_sent
from tests.integration.test_hostile_verdicts import _SEARCH, ATTACKS, HONEST, MARK, NUMBER

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not bwrap_available(), reason="bwrap cannot start here"),
]

# --- class 1: hidden check() harnesses of HumanEval, judged on the host ------------------------

HUMANEVAL_ATTACKS = {
    # the hidden check() calls poly(); a candidate's own poly used to be the one it got
    (
        "HumanEval/32",
        "own_poly",
    ): "def poly(xs, x):\n    return 0.0\ndef find_zero(xs):\n    return 12345.0\n",
    (
        "HumanEval/32",
        "patch_math_fabs",
    ): "import math\nmath.fabs = lambda v: 0.0\ndef find_zero(xs):\n    return 12345.0\n",
    (
        "HumanEval/38",
        "own_encode_cyclic",
    ): "def encode_cyclic(s):\n    return s\ndef decode_cyclic(s):\n    return s\n",
    (
        "HumanEval/50",
        "own_encode_shift",
    ): "def encode_shift(s):\n    return s\ndef decode_shift(s):\n    return s\n",
    ("HumanEval/53", "patch_main_globals"): (
        "import sys\n"
        "for mod in list(sys.modules.values()):\n"
        "    if getattr(mod, '__name__', '').startswith(('pat_harness', '__main__')):\n"
        "        for name in ('_dumps', '_plain', '_short', 'run_round', '_realise'):\n"
        "            if hasattr(mod, name):\n"
        "                setattr(mod, name, lambda *a, **k: {'status': 'pass'})\n"
        "def add(x, y):\n    return 0\n"
    ),
    ("HumanEval/53", "patch_builtins"): (
        "import builtins\nbuiltins.AssertionError = type('Nope', (Exception,), {})\n"
        "builtins.abs = lambda v: 0\ndef add(x, y):\n    return -1\n"
    ),
    (
        "HumanEval/0",
        "always_equal_object",
    ): "class Y:\n    def __eq__(s, o): return True\ndef has_close_elements(n, t):\n    return Y()\n",
    ("HumanEval/0", "huge_int_breaks_repr"): "def has_close_elements(n, t):\n    return 10**5000\n",
}


@pytest.fixture(scope="module")
def box() -> BwrapSandbox:
    return BwrapSandbox(workers=2)


@pytest.mark.parametrize(("task_id", "name"), sorted(HUMANEVAL_ATTACKS))
async def test_humaneval_check_is_judged_on_the_host(
    box: BwrapSandbox, task_id: str, name: str
) -> None:
    task = load_benchmark("humaneval").by_id()[task_id]
    verdict = await judge(task, HUMANEVAL_ATTACKS[(task_id, name)], sandbox=box)
    assert verdict.base is False, verdict.details
    honest = await judge(task, task.reference_program or "", sandbox=box)
    assert honest.base is True, honest.details


async def test_hidden_tests_never_enter_the_sandbox(box: BwrapSandbox) -> None:
    """What the worker receives for a judged HumanEval task: the program and plain calls only."""
    task = load_benchmark("humaneval").by_id()["HumanEval/38"]
    with jobs_sent(box) as seen:
        verdict = await judge(task, task.reference_program or "", sandbox=box)
    assert verdict.base is True
    assert seen and all("def check" not in job and "assert" not in job for job in seen)
    assert all('"fn": "decode_cyclic"' in job for job in seen)  # positive control: calls went in


# --- class 1 for plain assert tests (MBPP style, built-in and custom benchmarks) ---------------

MBPP_TESTS = [
    "assert set(similar(( 3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))",
    "assert sorted(similar((1, 2, 3, 4),(5, 4, 3, 7))) == [3, 4]",
    "assert math.isclose(area(2), 12.566, rel_tol=0.001)",
    f"x = similar((1, 2), (2, 3))\nassert x == ({NUMBER},) or x == (2,)",
]
MBPP_HONEST = (
    "import math\n"
    "def similar(a, b):\n    return tuple(sorted(set(a) & set(b)))\n"
    "def area(r):\n    return math.pi * r * r\n"
)
MBPP_ATTACKS = {
    "shadow_set_and_sorted": "set = lambda *a: {4, 5}\nsorted = lambda *a, **k: [3, 4]\ndef similar(a, b):\n    return ()\ndef area(r):\n    return 0\n",
    "patch_math_isclose": "import math\nmath.isclose = lambda *a, **k: True\ndef similar(a, b):\n    return ()\ndef area(r):\n    return 0.0\n",
    "always_equal_tuple_items": "class Y(int):\n    def __eq__(s, o): return True\n    __hash__ = int.__hash__\ndef similar(a, b):\n    return (Y(0),)\ndef area(r):\n    return Y(0)\n",
}


def _custom_benchmark(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "bench.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _mbpp_rows() -> list[dict]:
    return [
        {"task_id": f"m/{i}", "prompt": "\"\"\"Write similar(a, b) and area(r).\"\"\"\n", "entry_point": "similar",
         "kind": "function", "tests": [], "hidden_tests": [test]}
        for i, test in enumerate(MBPP_TESTS)
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(MBPP_ATTACKS))
async def test_plain_assert_tests_are_judged_on_the_host(
    box: BwrapSandbox, tmp_path: Path, name: str
) -> None:
    bench = load_benchmark(_custom_benchmark(tmp_path, _mbpp_rows()))
    for task in bench.tasks:
        verdict = await judge(task, MBPP_ATTACKS[name], sandbox=box)
        assert verdict.base is False, (task.hidden_tests, verdict.details)
        honest = await judge(task, MBPP_HONEST, sandbox=box)
        assert honest.base is True, (task.hidden_tests, honest.details)


# --- class 2: in-loop tests that cannot be split, run in a test process of their own ------------

UNSPLIT_TESTS = [
    f"x = f(1)\nassert x == {MARK!r}",
    f"assert [f(2)][0] == {NUMBER}",
    f"assert list(f(4)) == [{NUMBER}, {MARK!r}]",
    f"assert sorted([f(3)]) == [{MARK!r}]",
]
IN_LOOP_ATTACKS = {
    **ATTACKS,
    "patch_harness_modules": (
        "import sys\n"
        "for mod in list(sys.modules.values()):\n"
        "    if getattr(mod, '__name__', '').startswith('pat_harness'):\n"
        "        for name in list(vars(mod)):\n"
        "            if name.startswith('_') and callable(getattr(mod, name)) and not name.startswith('__'):\n"
        "                setattr(mod, name, lambda *a, **k: {'status': 'pass', 'value': [{'status': 'pass'}]})\n"
        "def f(x):\n    return None\n"
    ),
    "settrace_rewrites_locals": (
        "import sys\n"
        "def _t(frame, event, arg):\n"
        "    if event == 'return':\n"
        "        for k in ('status', 'ok'):\n"
        "            if k in frame.f_locals:\n"
        "                frame.f_locals[k] = 'pass'\n"
        "    return _t\n"
        "sys.settrace(_t)\nsys.setprofile(_t)\n"
        "def f(x):\n    return None\n"
    ),
}


@pytest.mark.parametrize("name", sorted(IN_LOOP_ATTACKS))
async def test_attack_on_unsplittable_in_loop_tests_fails(box: BwrapSandbox, name: str) -> None:
    report = await box.run_tests(IN_LOOP_ATTACKS[name], UNSPLIT_TESTS, entry_point="f", timeout_s=3)
    assert "pass" not in [o.status for o in report.outcomes], (name, report.outcomes)
    honest = await box.run_tests(HONEST, UNSPLIT_TESTS, entry_point="f", timeout_s=3)
    assert honest.passed, honest.outcomes


async def test_the_candidate_cannot_find_an_unsplit_tests_expected_value(box: BwrapSandbox) -> None:
    """The test holding the expected value is read only after every process that runs candidate
    code was forked: a gc and frame search in the candidate finds nothing to return."""
    attack = _SEARCH + (
        "def f(x):\n"
        "    hits = [h for h in _found() if isinstance(h, str) and h.startswith('SECRET-')]\n"
        "    return hits[0] if hits else None\n"
    )
    report = await box.run_tests(attack, [UNSPLIT_TESTS[0]], entry_point="f", timeout_s=5)
    assert report.outcomes[0].status == "fail", report.outcomes
    honest = await box.run_tests(HONEST, [UNSPLIT_TESTS[0]], entry_point="f", timeout_s=5)
    assert honest.passed


# --- classes 4 and 5, and all of it through `pat-graph evaluate` --------------------------------

PROMPT_WITH_HELPER = 'def helper(x):\n    return x + 1\n\n\ndef g(x):\n    """helper(x) * 2"""\n'
CHECK = "def check(candidate):\n    for i in range(5):\n        assert candidate(i) == helper(i) * 2\n\ncheck(g)\n"


def _evaluate(bench: Path, samples: list[dict], tmp_path: Path, label: str) -> dict:
    path = tmp_path / f"{label}.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in samples))
    done = subprocess.run(
        [sys.executable, "-m", "pat_graph.cli", "evaluate", "--benchmark", str(bench),
         "--samples", str(path), "--json"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_pat_graph_evaluate_scores_forging_samples_0_and_honest_ones_1(tmp_path: Path) -> None:
    rows = [
        {"task_id": "e/check", "prompt": PROMPT_WITH_HELPER, "entry_point": "g", "kind": "function",
         "tests": [], "hidden_tests": [CHECK]},
        {"task_id": "e/dict", "prompt": "def d():\n    \"\"\"Return {1: 'a'}.\"\"\"\n", "entry_point": "d", "kind": "function",
         "tests": [], "hidden_tests": ["assert d() == {1: 'a'}", "assert s() == {1, 2}"]},
        {"task_id": "e/stdio", "prompt": "Print 124999999.", "entry_point": "", "kind": "stdio",
         "tests": [], "hidden_tests": [{"input": "5\n", "output": "124999999\n"}]},
        {"task_id": "e/huge", "prompt": "def h():\n    \"\"\"Return 7.\"\"\"\n", "entry_point": "h", "kind": "function",
         "tests": [], "hidden_tests": ["assert h() == 7", {"args": [], "expected": 7}]},
        *_mbpp_rows(),
    ]  # fmt: skip
    bench = _custom_benchmark(tmp_path, rows)
    forging = {
        "e/check": "def helper(x):\n    return 0\ndef g(x):\n    return 0\n",
        "e/dict": "def d():\n    return {True: 'a'}\ndef s():\n    return {True, 2}\n",
        "e/stdio": "input()\nprint('124999998.9999999999')\n",
        "e/huge": "def h():\n    return 10**5000\n",
        **{f"m/{i}": MBPP_ATTACKS["shadow_set_and_sorted"] for i in range(len(MBPP_TESTS))},
    }
    honest = {
        "e/check": "def helper(x):\n    return x + 1\ndef g(x):\n    return (x + 1) * 2\n",
        "e/dict": "def d():\n    return {1: 'a'}\ndef s():\n    return {1, 2}\n",
        "e/stdio": "input()\nprint(124999999)\n",
        "e/huge": "def h():\n    return 7\n",
        **{f"m/{i}": MBPP_HONEST for i in range(len(MBPP_TESTS))},
    }
    bad = _evaluate(
        bench, [{"task_id": k, "solution": v} for k, v in forging.items()], tmp_path, "forging"
    )
    good = _evaluate(
        bench, [{"task_id": k, "solution": v} for k, v in honest.items()], tmp_path, "honest"
    )
    assert bad["pass_at_1"] == 0.0, bad["per_task"]
    assert good["pass_at_1"] == 1.0, good["per_task"]
