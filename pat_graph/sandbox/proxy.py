"""Trusted test code run on the host against a candidate that stays in the sandbox.

A benchmark's hidden test (HumanEval's `check(candidate)`, an MBPP `assert`, a custom problem's
test source) is trusted: it runs here, on the host, in a namespace built from the task's own
prompt (its helpers, `poly` or `encode_cyclic`, are the prompt's, never the candidate's). Every
name the candidate must provide is a proxy: calling it is a call into the sandbox that sends only
plain arguments and gets back only a plain value. So whatever the candidate patches inside (a
helper, `math.fabs`, the harness's globals, the interpreter), it can only choose what its
functions return; every comparison, every assert and every verdict is made here. How calls are
batched into few sandbox runs is in `harness/proxy.py`, which this drives.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from pat_graph.sandbox.base import Sandbox, TestOutcome
from pat_graph.sandbox.harness import proxy as core
from pat_graph.sandbox.runner import CallOptions, PooledSandbox

MAX_ROUNDS = 12
PRELUDE_TIMEOUT_S = 10.0


class _Watchdog:
    """One daemon thread for every test running in the host's worker threads: past a run's
    deadline it raises `Deadline` inside that thread (trusted code, but the values it loops over
    are the candidate's). Registering costs a dict entry, not a thread per run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.deadlines: dict[int, float] = {}
        self.thread: threading.Thread | None = None

    def _watch(self) -> None:
        while True:
            time.sleep(0.05)
            now = time.monotonic()
            with self.lock:
                for ident, deadline in list(self.deadlines.items()):
                    if now > deadline:
                        del self.deadlines[ident]
                        _raise_in(ident, core.Deadline)

    def guard(self, run: Callable[[], Any], timeout_s: float) -> Any:
        ident = threading.get_ident()
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._watch, daemon=True, name="pat-deadline")
                self.thread.start()
            self.deadlines[ident] = time.monotonic() + timeout_s
        try:
            return run()
        finally:
            with self.lock:
                if self.deadlines.pop(ident, None) is None:
                    _raise_in(ident, None)  # it rang as the run ended: take it back


def _raise_in(ident: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), None if exc is None else ctypes.py_object(exc)
    )


thread_guard = _Watchdog().guard


def prelude_namespace(prelude: str, guard: Callable[..., Any] | None = None) -> dict[str, Any]:
    """The helpers a task's own prompt defines (run here: the prompt is the benchmark's, not the
    candidate's). A prompt that is not Python (MBPP's, a custom problem's text) gives none."""
    ns: dict[str, Any] = {"__name__": "__prelude__"}
    if not prelude.strip():
        return ns
    try:
        code = compile(prelude, "<prompt>", "exec")
    except (SyntaxError, ValueError):
        return ns
    with contextlib.suppress(Exception, core.Deadline):
        (guard or thread_guard)(lambda: exec(code, ns), PRELUDE_TIMEOUT_S)
    return ns


# A run of trusted test code usually takes a millisecond: it runs on the event loop's thread
# under this deadline, and only one that needs longer runs again, in a worker thread, with its
# full time (runs are deterministic: the same calls, the same answers, the same `random`).
INLINE_S = 0.25


class _TooLong(BaseException):
    """Past the inline deadline: run it again in a worker thread."""


def _inline_guard(run: Callable[[], Any], timeout_s: float) -> Any:
    try:
        return thread_guard(run, min(timeout_s, INLINE_S))
    except core.Deadline:
        raise _TooLong from None


async def _run_test(code: Any, source: str, names: set[str], helpers: dict[str, Any],
                    answers: list[list[Any]], timeout_s: float) -> dict[str, Any]:  # fmt: skip
    try:
        return core.run_test(code, source, names, helpers, answers, _inline_guard, timeout_s)
    except _TooLong:
        pass
    return await asyncio.to_thread(
        core.run_test, code, source, names, helpers, answers, thread_guard, timeout_s
    )


async def _prelude(prelude: str) -> dict[str, Any]:
    try:
        return prelude_namespace(prelude, _inline_guard)
    except _TooLong:
        return await asyncio.to_thread(prelude_namespace, prelude)


async def run_proxied(
    box: Sandbox,
    code: str,
    tests: Sequence[str],
    *,
    entry_point: str | None,
    prelude: str = "",
    timeout_s: float,
    budget_s: float | None = None,
) -> list[TestOutcome]:
    """Verdicts of trusted test sources, decided here; the candidate only answers calls.

    `timeout_s` bounds each call and each run of a test; `budget_s` a round's sandbox run."""
    helpers = await _prelude(prelude)
    compiled: list[Any] = []
    names: list[set[str]] = []
    verdicts: list[TestOutcome | None] = [None] * len(tests)
    for i, source in enumerate(tests):
        try:
            compiled.append(core.compile_test(source))
            found = core.free_names(source)
        except (SyntaxError, ValueError, RecursionError) as exc:
            compiled.append(None)
            found = set()
            verdicts[i] = TestOutcome("error", f"the test does not compile: {exc}"[:300])
        # The prompt's helpers are the prompt's; only the entry point is always the candidate's.
        names.append((found - set(helpers)) | ({entry_point} if entry_point else set()))
    answers: list[list[list[Any]]] = [[] for _ in tests]
    for _ in range(MAX_ROUNDS):
        batch: list[tuple[int, str, dict[str, Any]]] = []
        for i, source in enumerate(tests):
            if verdicts[i] is not None:
                continue
            run = await _run_test(compiled[i], source, names[i], helpers, answers[i], timeout_s)
            if "status" in run:
                verdicts[i] = TestOutcome(run["status"], run["message"])
                continue
            del answers[i][run["start"] :]
            batch.extend((i, key, call) for key, call in run["calls"])
        if not batch:
            break
        calls = [{**call, "timeout_s": timeout_s} for _, _, call in batch]
        if isinstance(box, PooledSandbox):
            outcomes = await box.run_calls(
                code, calls, timeout_s=timeout_s, entry_point=entry_point,
                options=CallOptions(budget_s=budget_s),
            )  # fmt: skip
        else:
            outcomes = await box.run_calls(
                code, calls, timeout_s=timeout_s, entry_point=entry_point
            )
        replies = [o.to_dict() for o in outcomes]
        for i in dict.fromkeys(i for i, _, _ in batch):
            mine = [(b, r) for b, r in zip(batch, replies, strict=True) if b[0] == i]
            keys = core.resolve([(key, call) for (_, key, call), _ in mine], [r for _, r in mine])
            answers[i].extend([key, r] for key, (_, r) in zip(keys, mine, strict=True))
    return [
        v if v is not None else TestOutcome("error", "the test needed too many rounds of calls")
        for v in verdicts
    ]
