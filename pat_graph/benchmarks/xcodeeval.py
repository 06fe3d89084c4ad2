"""xCodeEval program synthesis (the PaT paper's Table 2), read from the user's copy of the files.

The two published files are not shipped (`--data DIR` names the folder holding them):
`problem_descriptions.jsonl` (one Codeforces problem a line) and `unittest_db.json` (src_uid ->
its test cases, each `{input, output: [accepted outputs]}`). The problem set, the statement and
the judge follow the PaT authors' task loader (ml-postech/PaT, `PaT/eval/tasks/xcodeeval.py`), as
facts; the code is pat-graph's own:

- a problem is kept when it has test cases, its description is not mostly Cyrillic, none of its
  cases is cut off ("..." at the end of the input, or of every output) and it has as many sample
  outputs as sample inputs; HTML entities in the texts are decoded;
- 500 are drawn: the kept src_uids in sorted order, shuffled with `random.Random()` seeded 42,
  the first 500, visited in sorted order;
- the statement is a `main() -> None` stub whose docstring holds the limits, the description,
  the input and output specifications, the samples and the notes; the samples are the loop's tests;
- the judge runs the samples, then the system tests, each within the problem's time limit, and
  compares tokens (whitespace ignored; integers by value, other numbers within 1e-6, yes/no in
  any case) with any accepted output; the first failure decides.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pat_graph.benchmarks.sampling import seeded_sample
from pat_graph.benchmarks.types import Benchmark, Task
from pat_graph.errors import BenchmarkError
from pat_graph.problem import Problem
from pat_graph.program.stdio import with_entry_call
from pat_graph.sandbox.base import CallOutcome, Sandbox
from pat_graph.sandbox.runner import CallOptions, PooledSandbox

DESCRIPTIONS = "problem_descriptions.jsonl"
UNIT_TESTS = "unittest_db.json"
SAMPLE_SIZE = 500
DEFAULT_TIME_LIMIT_S = 2.0
FLOAT_TOLERANCE = 1e-6
# Rating buckets of the paper's Table 2, lower bound inclusive.
RATING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("<1200", None, 1200),
    ("1200-1599", 1200, 1600),
    ("1600-1999", 1600, 2000),
    (">=2000", 2000, None),
)
UNRATED = "unrated"
_REQUIRED = {"description": str, "time_limit": str, "sample_inputs": list,
             "sample_outputs": list, "src_uid": str}  # fmt: skip
_TEXT_FIELDS = ("description", "input_spec", "output_spec", "notes")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"), ("&quot;", '"'), ("&apos;", "'"))


def rating_bucket(rating: int | None) -> str:
    """The Table 2 bucket of a Codeforces rating ("unrated" when the problem has none)."""
    if rating is None:
        return UNRATED
    for name, low, high in RATING_BUCKETS:
        if (low is None or rating >= low) and (high is None or rating < high):
            return name
    return UNRATED


def _unescape(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _read(folder: Path, name: str) -> bytes:
    path = folder / name
    if not path.is_file():
        raise BenchmarkError(
            f"xcodeeval: {path} is missing; --data DIR must hold the two published xCodeEval "
            f"files {DESCRIPTIONS} and {UNIT_TESTS} (from the xCodeEval dataset, "
            "NTU-NLP-sg/xCodeEval)"
        )
    return path.read_bytes()


def _descriptions(raw: bytes, where: str) -> dict[str, dict[str, Any]]:
    problems: dict[str, dict[str, Any]] = {}
    for lineno, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise BenchmarkError(f"{where}:{lineno}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise BenchmarkError(f"{where}:{lineno}: each line must be a JSON object")
        for key, kind in _REQUIRED.items():
            if not isinstance(row.get(key), kind):
                raise BenchmarkError(
                    f"{where}:{lineno}: field {key!r} must be a {kind.__name__} "
                    f"(got {type(row.get(key)).__name__})"
                )
        rating = row.get("difficulty")
        if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int)):
            raise BenchmarkError(f"{where}:{lineno}: field 'difficulty' must be an integer or null")
        problem = dict(row)
        for key in _TEXT_FIELDS:
            if problem.get(key):
                problem[key] = _unescape(str(problem[key]))
        problem["sample_inputs"] = [_unescape(str(s)) for s in row["sample_inputs"]]
        problem["sample_outputs"] = [_unescape(str(s)) for s in row["sample_outputs"]]
        problems[row["src_uid"]] = problem  # a repeated src_uid: the later line wins
    return problems


def _unit_tests(raw: bytes, where: str) -> dict[str, list[dict[str, Any]]]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise BenchmarkError(f"{where}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise BenchmarkError(f"{where}: expected one JSON object mapping src_uid to test cases")
    for uid, cases in data.items():
        ok = isinstance(cases, list) and all(
            isinstance(c, dict) and isinstance(c.get("input"), str)
            and isinstance(c.get("output"), list) and all(isinstance(o, str) for o in c["output"])
            for c in cases
        )  # fmt: skip
        if not ok:
            raise BenchmarkError(
                f"{where}: test cases of {uid!r} must be a list of {{input: str, output: [str]}}"
            )
    return data


def _kept_cases(cases: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]] | None:
    """The cases with their complete outputs, or None when any case is cut off."""
    kept = []
    for case in cases:
        outputs = [o for o in case["output"] if not o.endswith("...")]
        if case["input"].endswith("...") or not outputs:
            return None
        kept.append({"input": case["input"], "outputs": outputs})
    return kept or None


def _usable(problem: Mapping[str, Any], cases: list[dict[str, Any]] | None) -> bool:
    description = problem["description"]
    if not cases or not description:
        return False
    cyrillic = sum(1 for c in description if "\u0400" <= c <= "\u04ff")
    if cyrillic / len(description) > 0.5:
        return False
    return len(problem["sample_inputs"]) == len(problem["sample_outputs"])


def _indented(text: str) -> str:
    lines = text.strip().split("\n")
    block = "".join(f"    {line}\n" if line.strip() else "\n" for line in lines)
    return block.replace("'''", '"""').replace("$$$", "$")


def statement(problem: Mapping[str, Any]) -> str:
    """The `main()` stub the model is shown: limits, then one `## Title` section each."""
    notes = problem.get("notes")
    if notes and notes.lower().startswith("note"):
        notes = notes[4:].strip()
    sections: list[tuple[str, str | None]] = [
        ("Description", problem["description"]),
        ("Input", problem.get("input_spec")),
        ("Output", problem.get("output_spec")),
    ]
    pairs = zip(problem["sample_inputs"], problem["sample_outputs"], strict=True)
    for i, (given, wanted) in enumerate(pairs, start=1):
        sections.append((f"Sample Input {i}", f"```\n{given.strip()}\n```"))
        sections.append((f"Sample Output {i}", f"```\n{wanted.strip()}\n```"))
    sections.append(("Notes", notes))
    head = [f"time limit per test: {problem['time_limit']}"]
    if problem.get("memory_limit"):
        head.append(f"memory limit per test: {problem['memory_limit']}")
    head.append(f"input: {problem.get('input_from') or 'standard input'}")
    head.append(f"output: {problem.get('output_to') or 'standard output'}")
    text = "def main() -> None:\n    r'''\n" + "".join(f"    {line}\n" for line in head)
    for title, content in sections:
        if content:
            text += f"\n    ## {title}\n\n{_indented(content)}"
    return text + "    '''\n    raise NotImplementedError()\n"


def time_limit_s(text: str) -> float:
    """Seconds from "2 seconds" / "0.5 second"; the default when the text has no number."""
    match = re.search(r"\d+(?:\.\d+)?", text or "")
    return float(match.group(0)) if match else DEFAULT_TIME_LIMIT_S


def xcodeeval_task(problem: Mapping[str, Any], cases: list[dict[str, Any]]) -> Task:
    samples = list(zip(problem["sample_inputs"], problem["sample_outputs"], strict=True))
    visible = [{"input": given, "output": wanted} for given, wanted in samples]
    hidden = [{"input": given, "outputs": [wanted]} for given, wanted in samples] + cases
    uid = problem["src_uid"]
    return Task(
        problem=Problem(f"xCodeEval/{uid}", statement(problem), "main", visible, "stdio"),
        dataset="xcodeeval",
        mode="codeforces",
        hidden_tests=hidden,
        time_limit_s=time_limit_s(problem["time_limit"]),
        judge_imports=True,
        rating=problem.get("difficulty"),
    )


def load_xcodeeval(data: str | Path, *, samples: int | None = SAMPLE_SIZE) -> Benchmark:
    """The seed-42 sample of the usable problems in the user's copy of the two files."""
    folder = Path(data)
    if not folder.is_dir():
        raise BenchmarkError(
            f"xcodeeval: --data {folder} is not a directory; pass the folder holding "
            f"{DESCRIPTIONS} and {UNIT_TESTS}"
        )
    raw_desc = _read(folder, DESCRIPTIONS)
    raw_tests = _read(folder, UNIT_TESTS)
    problems = _descriptions(raw_desc, str(folder / DESCRIPTIONS))
    tests = _unit_tests(raw_tests, str(folder / UNIT_TESTS))
    usable: dict[str, list[dict[str, Any]]] = {}
    for uid in sorted(problems):
        cases = _kept_cases(tests.get(uid, []))
        if _usable(problems[uid], cases):
            usable[uid] = cases or []
    keys = list(usable) if samples is None else seeded_sample(list(usable), samples)
    digest = hashlib.sha256(raw_desc)
    digest.update(raw_tests)
    data_hash = digest.hexdigest()
    tasks = [replace(xcodeeval_task(problems[k], usable[k]), data_hash=data_hash) for k in keys]
    return Benchmark(name="xcodeeval", data_hash=data_hash, tasks=tasks)


def _token_equal(expected: str, got: str) -> bool:
    try:
        return int(expected) == int(got)
    except ValueError:
        pass
    try:
        return abs(float(expected) - float(got)) < FLOAT_TOLERANCE
    except ValueError:
        pass
    if expected.lower() in ("yes", "no"):
        return expected.lower() == got.lower()
    return expected == got


def codeforces_mismatch(accepted: Sequence[str], got: str) -> str | None:
    """None when `got` matches one of the accepted outputs token by token; else why the last
    distinct accepted output did not match."""
    tokens = got.split()
    reason = "no accepted output"
    seen: set[tuple[str, ...]] = set()
    for output in accepted:
        want = tuple(output.split())
        if want in seen:
            continue
        seen.add(want)
        reason = ""
        for i, (w, g) in enumerate(zip(want, tokens, strict=False), start=1):
            if not _token_equal(w, g):
                reason = f"token {i}: expected {w!r}, got {g!r}"
                break
        if not reason and len(tokens) != len(want):
            reason = f"expected {len(want)} tokens, got {len(tokens)}"
        if not reason:
            return None
    return reason


def _why(i: int, n_samples: int, outcome: CallOutcome, limit: float) -> str | None:
    which = f"sample test {i + 1}" if i < n_samples else f"system test {i + 1 - n_samples}"
    if outcome.status == "timeout" or outcome.duration_s >= limit:
        return f"time limit exceeded on {which}"
    if outcome.status != "ok":
        return f"runtime error on {which}: {outcome.message[:200]}"
    return None


async def judge_codeforces(task: Task, program: str, *, sandbox: Sandbox) -> tuple[bool, str]:
    """(passed, why): the samples first, then the system tests, each within the problem's time
    limit; the first test that fails decides (outputs compared here, on the host)."""
    limit = task.time_limit_s or DEFAULT_TIME_LIMIT_S
    code = with_entry_call(program, task.problem.entry_point or "main")
    tests = [t for t in task.hidden_tests if isinstance(t, Mapping)]
    calls = [{"input": str(t["input"]), "timeout_s": limit} for t in tests]
    extra: dict[str, Any] = {}
    if isinstance(sandbox, PooledSandbox):
        extra["options"] = CallOptions(stop_on_error=True)
    outcomes = await sandbox.run_calls(
        code, calls, kind="stdio", timeout_s=limit, entry_point=task.problem.entry_point, **extra
    )
    n_samples = len(task.problem.tests)
    for i, (test, outcome) in enumerate(zip(tests, outcomes, strict=False)):
        why = _why(i, n_samples, outcome, limit)
        if why is None:
            mismatch = codeforces_mismatch(test["outputs"], str(outcome.value or ""))
            why = None if mismatch is None else f"wrong answer on test {i + 1}: {mismatch}"
        if why is not None:
            return False, why
    if len(outcomes) < len(tests):
        return False, f"only {len(outcomes)} of {len(tests)} tests ran"
    return True, f"accepted ({len(tests)} tests)"
