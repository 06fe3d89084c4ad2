# ruff: noqa: E501  (attack sources are data strings; wrapping them hurts reading)
"""Forged verdicts (issue 11, classes 3 and 4): split tests are decided on the host.

Every attack runs against tests that a dishonest answer fails (the expected value is a fresh
random marker the candidate cannot know), so a pass can only come from forging: finding the
expected value inside the sandbox, or making the comparison lie. Each attack is paired with an
honest control on the same tests that must pass, so a broken sandbox cannot make this file green.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.judge import judge
from pat_graph.sandbox import BwrapSandbox, bwrap_available
from tests.integration.hostile_helpers import jobs_sent

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not bwrap_available(), reason="bwrap cannot start here"),
]

MARK = "SECRET-" + uuid.uuid4().hex[:12]
NUMBER = 7_000_000 + uuid.uuid4().int % 1_000_000

# Tests of `f`: the expected values below never enter the sandbox.
FUNCTION_TESTS = [
    f"assert f(1) == {MARK!r}",
    f"assert {NUMBER} == f(2)",
    {"args": [3], "expected": MARK},
    f"assert f(4) == [{NUMBER}, {MARK!r}]",
]
HONEST = f"def f(x):\n    return [{NUMBER}, {MARK!r}] if x == 4 else ({NUMBER} if x == 2 else {MARK!r})\n"

# Walk every frame and every gc-tracked object for anything that looks like the expected value.
_SEARCH = """
import gc, sys
def _found():
    seen = []
    fr = sys._getframe()
    while fr is not None:
        seen.extend(fr.f_locals.values())
        seen.extend(fr.f_globals.values())
        fr = fr.f_back
    seen.extend(gc.get_objects())
    hits = []
    for obj in seen:
        try:
            if isinstance(obj, dict):
                for key in ("expected", "output", "tests", "calls", "job"):
                    if key in obj:
                        hits.append(obj[key])
                for v in obj.values():
                    if isinstance(v, str) and v.startswith("SECRET-"):
                        hits.append(v)
            elif isinstance(obj, (list, tuple)):
                hits.extend(v for v in obj if isinstance(v, str) and ("SECRET-" in v))
            elif isinstance(obj, str) and "SECRET-" in obj and obj != "SECRET-":
                hits.append(obj)
        except Exception:
            pass
    return hits
"""

ATTACKS = {
    # class 3: everything that used to decide "pass" inside the candidate's process
    "frame_walk_token_forged_records": """
import sys, os, json
def f(x):
    tokens = set()
    fr = sys._getframe()
    while fr is not None:
        for k, v in list(fr.f_locals.items()):
            if k in ("token", "run_token", "tok") and isinstance(v, str):
                tokens.add(v)
        fr = fr.f_back
    for tok in tokens:
        for fd in range(3, 1024):
            for rec in ({"i": tok, "status": "pass"}, {"t": tok, "ready": True},
                        *({"t": tok, "c": c, "status": "ok", "value": "pass"} for c in range(8))):
                try:
                    os.write(fd, (json.dumps(rec) + "\\n").encode())
                except OSError:
                    pass
    return None
""",
    "patch_main_dumps": """
import sys, json
_m = sys.modules["__main__"]
_orig = _m._dumps
def _forged(rec, *a, **k):
    if isinstance(rec, dict) and "status" in rec:
        rec = {**rec, "status": "pass" if rec.get("status") in ("fail", "error") else rec["status"]}
        rec.pop("message", None)
    return _orig(rec, *a, **k)
_m._dumps = _forged
def f(x):
    raise AssertionError("wrong")
""",
    "patch_json_encoder": """
import json
_enc = json.JSONEncoder.encode
def encode(self, o):
    if isinstance(o, dict) and o.get("status") in ("error", "fail"):
        o = {**o, "status": "ok", "value": True}
    return _enc(self, o)
json.JSONEncoder.encode = encode
json.encoder.JSONEncoder.encode = encode
def f(x):
    raise ValueError("no answer")
""",
    "gc_search_for_expected": _SEARCH
    + """
def f(x):
    hits = _found()
    for h in hits:
        if isinstance(h, str) and h.startswith("SECRET-"):
            return h if x != 4 else [0, h]
    for h in hits:
        if isinstance(h, list) and h:
            return h[0]
    return None
""",
    "setprofile_adds_eq_after_check": """
import sys
class Answer:
    pass
def _hook(frame, event, arg):
    if event == "return" and isinstance(arg, Answer):
        Answer.__eq__ = lambda self, other: True
        Answer.__hash__ = lambda self: 0
sys.setprofile(_hook)
def f(x):
    return Answer()
""",
    "list_subclass_always_equal_items": """
class Yes:
    def __eq__(self, other):
        return True
class L(list):
    def __eq__(self, other):
        return True
def f(x):
    return L([Yes(), Yes()]) if x == 4 else [Yes()]
""",
    "dict_subclass_and_always_equal_values": """
class Yes(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
class D(dict):
    def __eq__(self, other):
        return True
def f(x):
    return Yes("x") if x != 4 else D(a=Yes("y"))
""",
    "exit_zero_mid_call": """
import os
def f(x):
    os._exit(0)
""",
    "class_spoofing_type": """
class Fake:
    __class__ = property(lambda self: str)
    def __eq__(self, other):
        return True
def f(x):
    return Fake()
""",
    "patch_builtin_type_and_plain": """
import builtins, sys
_m = sys.modules["__main__"]
_real_type = builtins.type
builtins.type = lambda *a: str if len(a) == 1 else _real_type(*a)
if hasattr(_m, "_plain"):
    _m._plain = lambda value, depth=0: "SECRET-forged"
class Yes:
    def __eq__(self, other):
        return True
def f(x):
    return Yes()
""",
}


@pytest.fixture(scope="module")
def box() -> BwrapSandbox:
    return BwrapSandbox(workers=2)


async def test_honest_control_passes_the_function_tests(box: BwrapSandbox) -> None:
    report = await box.run_tests(HONEST, FUNCTION_TESTS, entry_point="f", timeout_s=3)
    assert [o.status for o in report.outcomes] == ["pass"] * len(FUNCTION_TESTS)


@pytest.mark.parametrize("name", sorted(ATTACKS))
async def test_attack_on_split_function_tests_fails(box: BwrapSandbox, name: str) -> None:
    report = await box.run_tests(ATTACKS[name], FUNCTION_TESTS, entry_point="f", timeout_s=3)
    statuses = [o.status for o in report.outcomes]
    assert "pass" not in statuses, (name, report.outcomes)
    # ... and the same tests still pass right after on the same workers (nothing stuck)
    again = await box.run_tests(HONEST, FUNCTION_TESTS, entry_point="f", timeout_s=3)
    assert again.passed


async def test_expected_values_never_enter_the_job(box: BwrapSandbox) -> None:
    """The payload the worker receives holds the inputs only (spy on the pool)."""
    with jobs_sent(box) as seen:
        stdio = [{"input": "1\n", "output": MARK + "\n"}]
        await box.run_tests("def f(x):\n    return x\n", FUNCTION_TESTS, entry_point="f")
        await box.run_tests("print(input())", stdio, kind="stdio")
    assert len(seen) == 2
    assert all(MARK not in job and str(NUMBER) not in job for job in seen)
    assert '"fn": "f"' in seen[0] and "1\\n" in seen[1]  # positive control: inputs went in


async def test_gc_search_for_expected_stdout_fails(box: BwrapSandbox) -> None:
    code = _SEARCH + (
        "hits = [h for h in _found() if isinstance(h, str) and h.startswith('SECRET-')]\n"
        "print(hits[0] if hits else 'nothing found')\n"
    )
    tests = [{"input": "x\n", "output": MARK + "\n"}]
    report = await box.run_tests(code, tests, kind="stdio")
    assert report.outcomes[0].status == "fail"
    assert MARK not in report.outcomes[0].message.split("got", 1)[1]  # it found nothing
    honest = await box.run_tests(f"input()\nprint({MARK!r})", tests, kind="stdio")
    assert honest.passed


@pytest.mark.parametrize(
    ("printed", "expected", "passes"),
    [
        ("124999998", "124999999", False),  # the held-out AtCoder case
        ("124999999", "124999999", True),
        ("1000000001", "1000000000", False),  # off by one near 1e9
        ("999999999", "1000000000", False),
        ("3.0", "3", True),  # float for int: exactly equal passes
        ("3.0000001", "3", False),
        ("True", "1", False),  # bool spelled out is not an int
        ("YES", "Yes", False),  # strings are exact
        ("0.30000001", "0.3", True),  # a float expected token keeps its tolerance
        ("0.3001", "0.3", False),
    ],
)
async def test_stdio_tokens_are_exact_for_ints_and_strings(
    box: BwrapSandbox, printed: str, expected: str, passes: bool
) -> None:
    report = await box.run_tests(
        f"input()\nprint({printed!r})", [{"input": "q\n", "output": expected + "\n"}], kind="stdio"
    )
    assert report.passed is passes, report.outcomes


@pytest.mark.parametrize(
    ("returned", "test", "passes"),
    [
        ("3.0", "assert f() == 3", True),
        ("3.0000001", "assert f() == 3", False),
        ("True", "assert f() == 1", False),  # bool vs int
        ("1", "assert f() == True", False),
        ("1", "assert f() == 1", True),
        ("124999998", {"args": [], "expected": 124999999}, False),
        ("1000000000.0001", {"args": [], "expected": 1000000000}, False),
        ("'abc '", "assert f() == 'abc'", False),
        ("0.1 + 0.2", "assert f() == 0.3", True),  # tolerance only for a float expectation
        ("(1, 2)", "assert f() == [1, 2]", False),
    ],
)
async def test_function_values_compare_with_evalplus_rules(
    box: BwrapSandbox, returned: str, test: object, passes: bool
) -> None:
    report = await box.run_tests(f"def f():\n    return {returned}\n", [test], entry_point="f")  # type: ignore[list-item]
    assert report.passed is passes, report.outcomes


async def test_differential_judge_cannot_find_the_canonical_outputs() -> None:
    """HumanEval+ once embedded every expected output in the sandboxed harness; a candidate that
    searched memory for them passed. Now only inputs go in."""
    task = load_benchmark("humaneval-plus").by_id()["HumanEval/0"]
    attack = _SEARCH.replace('"SECRET-"', '"__never__"') + (
        "def has_close_elements(numbers, threshold):\n"
        "    for h in _found():\n"
        "        if isinstance(h, list) and h and all(type(v) is bool for v in h):\n"
        "            return h[0]\n"
        "    return None\n"
    )
    verdict = await judge(task, attack)
    assert verdict.base is False and verdict.plus is False
    honest = await judge(task, task.reference_program or "")
    assert honest.base is True and honest.plus is True


_READ_ASSERTS = """
import gc, linecache, re, sys
_CACHE = []
def _texts():
    if _CACHE:
        return _CACHE
    for entry in list(linecache.cache.values()):
        if len(entry) > 2 and isinstance(entry[2], list):
            _CACHE.append("".join(entry[2]))
    fr = sys._getframe()
    while fr is not None:
        _CACHE.extend(v for v in fr.f_locals.values() if isinstance(v, str) and "assert" in v)
        fr = fr.f_back
    for obj in gc.get_objects():
        if type(obj) is dict and "tests" in obj and isinstance(obj["tests"], list):
            _CACHE.extend(v for v in obj["tests"] if isinstance(v, str))
    return _CACHE
def has_close_elements(numbers, threshold):
    want = (repr(list(numbers)) + ", " + repr(threshold)).replace(" ", "")
    for text in _texts():
        for args, exp in re.findall(r"\\((\\[.*?\\], [0-9.]+)\\) == (True|False)", text):
            if args.replace(" ", "") == want:
                return exp == "True"
    return None
"""


async def test_humaneval_check_judge_cannot_read_its_asserts() -> None:
    """HumanEval's check() once ran inside, its source in linecache and the job: a candidate that
    read the assert for its own input passed. Now the asserts are split and stay on the host."""
    task = load_benchmark("humaneval").by_id()["HumanEval/0"]
    verdict = await judge(task, _READ_ASSERTS)
    assert verdict.base is False
    assert (await judge(task, task.reference_program or "")).base is True


def test_whole_run_forging_through_pat_graph_evaluate(tmp_path: Path) -> None:
    """`pat-graph evaluate` on a small benchmark: every attacking sample scores 0, honest 1."""
    rows = []
    for name in sorted(ATTACKS):
        rows.append(
            {"task_id": f"v/{name}", "prompt": "def f(x):\n", "entry_point": "f",
             "kind": "function", "tests": [], "hidden_tests": FUNCTION_TESTS}
        )  # fmt: skip
    rows.append(
        {"task_id": "v/stdio", "prompt": "Print the answer.", "entry_point": "", "kind": "stdio",
         "tests": [], "hidden_tests": [{"input": "5\n", "output": "124999999\n"}]}
    )  # fmt: skip
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps(r) + "\n" for r in rows))
    attacks = [{"task_id": f"v/{n}", "solution": code} for n, code in sorted(ATTACKS.items())]
    attacks.append({"task_id": "v/stdio", "solution": "input()\nprint(124999998)\n"})
    honest = [{"task_id": r["task_id"], "solution": HONEST} for r in rows[:-1]]
    honest.append({"task_id": "v/stdio", "solution": "input()\nprint(124999999)\n"})
    results = {}
    for label, samples in (("attacks", attacks), ("honest", honest)):
        path = tmp_path / f"{label}.jsonl"
        path.write_text("".join(json.dumps(s) + "\n" for s in samples))
        done = subprocess.run(
            [sys.executable, "-m", "pat_graph.cli", "evaluate", "--benchmark", str(bench),
             "--samples", str(path), "--json"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        results[label] = json.loads(done.stdout)
    assert results["attacks"]["pass_at_1"] == 0.0, results["attacks"]["per_task"]
    assert results["honest"]["pass_at_1"] == 1.0, results["honest"]["per_task"]
