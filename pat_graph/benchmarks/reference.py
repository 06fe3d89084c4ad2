"""Expected outputs for differential (EvalPlus-style) judging, computed once and cached on disk.

EvalPlus does not store expected outputs: they are whatever the canonical solution returns on each
input. They are computed here by running the shipped canonical program in a separate, isolated
Python process (never in this process), timed per input so the judge can apply EvalPlus's
per-input time limit, and cached under the user cache dir keyed by the benchmark's data hash.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pat_graph.benchmarks import oracle
from pat_graph.benchmarks.types import Task
from pat_graph.errors import BenchmarkError
from pat_graph.processes import die_with_parent
from pat_graph.sandbox import literal

# MBPP+ tasks whose outputs (re.Match objects) are compared only as "is not None" (EvalPlus).
MBPP_OUTPUT_NOT_NONE = frozenset({"check_str", "text_match_three", "text_starta_endb"})
REFERENCE_TIMEOUT_S = 300.0
MAX_LITERAL_CHARS = 200_000
CACHE_FORMAT = "v2"  # bump when the literal/digest encoding changes
# Outputs judged by a special oracle are always embedded in full.
_MBPP_SPECIAL = {"are_equivalent", "sum_div", "surface_Area", "digit_distance_nums"}
SPECIAL = frozenset(
    {("humaneval", "find_zero")}
    | {("mbpp", name) for name in _MBPP_SPECIAL | oracle.MBPP_SET_EQ | oracle.MBPP_NOT_NONE}
)

_RUNNER = """
import copy, hashlib, json, sys, time
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)
{literal_src}
def is_floats(x):
    if isinstance(x, float):
        return True
    return isinstance(x, (list, tuple)) and bool(x) and all(isinstance(i, float) for i in x)
def surely_longer(x, limit):
    # True only when to_source(x) is certainly over `limit` characters: each element of a
    # container takes at least 3 (itself and ", "); stops early, so a huge output is never
    # rendered just to learn that it is too large to embed.
    stack, n = [x], 0
    while stack:
        v = stack.pop()
        if type(v) in (list, tuple, set, frozenset):
            n += 3 * len(v)
            if n > limit:
                return True
            stack.extend(v)
        elif type(v) is dict:
            n += 6 * len(v)
            if n > limit:
                return True
            stack.extend(v.keys())
            stack.extend(v.values())
        elif type(v) in (str, bytes):
            n += len(v)
            if n > limit:
                return True
    return False
class _Null:
    def write(self, s): return len(s)
    def flush(self): pass
_out = sys.stdout
_ns = {{"__name__": "__main__"}}
sys.stdout = _Null()
exec(compile({program!r}, "<reference>", "exec"), _ns)
_fn = _ns[{entry_point!r}]
for _tier, _inputs in (("base", {base}), ("plus", {plus})):
    for _args in _inputs:
        _args = copy.deepcopy(_args)
        _t0 = time.perf_counter()
        _res = _fn(*_args)
        _dt = time.perf_counter() - _t0
        if {not_none!r}:
            _res = _res is not None
        _big = {digest_ok!r} and not is_floats(_res)
        _src = "" if _big and surely_longer(_res, {max_literal}) else to_source(_res)
        if _big and (not _src or len(_src) > {max_literal}):
            _digest = hashlib.sha256(canonical_form(_res).encode()).hexdigest()
            _out.write(json.dumps([_tier, "None", _dt, _digest]) + "\\n")
        else:
            _out.write(json.dumps([_tier, _src, _dt, None]) + "\\n")
_out.flush()
"""


@dataclass(frozen=True)
class Reference:
    """Expected outputs as source literals, plus the canonical solution's time per input."""

    base: list[str]
    base_time: list[float]
    plus: list[str]
    plus_time: list[float]
    # index -> sha256 of literal.canonical_form(output), for outputs too large to embed.
    base_digest: dict[str, str] = field(default_factory=dict)
    plus_digest: dict[str, str] = field(default_factory=dict)


def cache_dir() -> Path:
    root = os.environ.get("PAT_GRAPH_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "pat-graph"


def _cache_file(data_hash: str, task_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", task_id)
    return cache_dir() / "reference" / f"{CACHE_FORMAT}-{data_hash[:24]}" / f"{safe}.json"


def _runner_source(task: Task) -> str:
    lit_src = inspect.getsource(literal).replace("from __future__ import annotations", "")
    not_none = task.dataset == "mbpp" and task.problem.entry_point in MBPP_OUTPUT_NOT_NONE
    return _RUNNER.format(
        literal_src=lit_src,
        program=task.reference_program,
        entry_point=task.problem.entry_point,
        base=literal.to_source(list(task.base_inputs or [])),
        plus=literal.to_source(list(task.plus_inputs or [])),
        not_none=not_none,
        digest_ok=task.atol == 0 and (task.dataset, task.problem.entry_point) not in SPECIAL,
        max_literal=MAX_LITERAL_CHARS,
    )


async def _run_isolated(source: str, timeout_s: float) -> str:
    """Run trusted reference code in a fresh interpreter with an empty env and a scratch cwd."""
    with tempfile.TemporaryDirectory(prefix="pat-ref-") as tmp:
        # Ends with pat-graph however it ends: cancelled (Ctrl-C, SIGTERM) or killed (issue 22).
        proc = await asyncio.create_subprocess_exec(
            *die_with_parent([sys.executable, "-I", "-"], signal.SIGKILL),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, cwd=tmp, env={"PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(proc.communicate(source.encode()), timeout_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise BenchmarkError(f"reference solution timed out after {timeout_s:.0f}s") from None
        except BaseException:
            if proc.returncode is None:
                proc.kill()
            raise
    if proc.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-3:]
        raise BenchmarkError("reference solution failed: " + " | ".join(tail))
    return out.decode()


def _parse(stdout: str) -> Reference:
    ref = Reference([], [], [], [])
    for line in stdout.splitlines():
        tier, src, dt, digest = json.loads(line)
        outputs = ref.base if tier == "base" else ref.plus
        if digest:
            (ref.base_digest if tier == "base" else ref.plus_digest)[str(len(outputs))] = digest
        outputs.append(src)
        (ref.base_time if tier == "base" else ref.plus_time).append(float(dt))
    return ref


async def reference_outputs(task: Task, data_hash: str, *, fresh: bool = False) -> Reference:
    """The canonical solution's outputs on the task's inputs (cached after the first call).

    `fresh` runs it again without touching the cache: its timings then reflect the machine's
    load right now, which is what time limits derived from them should be fair to.
    """
    if task.reference_program is None or task.base_inputs is None:
        raise BenchmarkError(f"{task.task_id}: no canonical solution to compute outputs from")
    path = _cache_file(data_hash, task.task_id)
    if fresh:
        return _parse(await _run_isolated(_runner_source(task), REFERENCE_TIMEOUT_S))
    if path.is_file():
        try:
            return Reference(**json.loads(path.read_text()))
        except (ValueError, TypeError):
            path.unlink(missing_ok=True)
    stdout = await _run_isolated(_runner_source(task), REFERENCE_TIMEOUT_S)
    ref = _parse(stdout)
    if len(ref.base) != len(task.base_inputs) or len(ref.plus) != len(task.plus_inputs or []):
        raise BenchmarkError(f"{task.task_id}: the reference run returned too few outputs")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(ref.__dict__))
    tmp.replace(path)
    return ref
