"""One candidate's job, in its runner: the calls (the candidate answers them; the host compares
the plain values), then the tests that could not be split, round by round.

Those tests run in a process of their own against proxies of the candidate's functions
(`proxy.py`): a round's test process records the calls it needs, a child that loads the
candidate answers them, and the next test process runs again with the answers. A verdict comes
only from a test process, which never shares its memory or its pipes with candidate code. The
candidate never holds the tests either: they are read from the job stream only after the calls
are done and after the process that forks every later candidate child (the call server) was
forked, so no memory a candidate inherits ever held them (class 3 of issue 19 within a job).
"""

import json
import os
import time

from . import proxy, state
from .protocol import _calls_child, _run_calls, _run_one, _sweep
from .state import _dumps, _exit, _keep_fds, _read_exactly, _read_line, _write

MAX_ROUNDS = 12


def _run_job(job, emit, stream):
    _run_calls(job, emit)
    length = job.get("tests_length") or 0
    if not length:
        os.close(stream)
        return
    server = _call_server(job, stream)
    job["tests"] = json.loads(_read_exactly(stream, length))["tests"]
    os.close(stream)
    _run_tests(job, emit, server)


def _call_server(job, stream):
    """Fork the process that answers the tests' calls (each batch in a child of its own, swept
    after it), before the tests are read; returns the runner's ends of its pipes."""
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(stream)
            _keep_fds(req_r, resp_w)
            state.LIBC.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans are swept here
            while True:
                header = _read_line(req_r, 64)
                if not header:
                    break
                request = json.loads(_read_exactly(req_r, int(header)))
                answers = _answers(job, request["calls"], request["left"])
                _sweep(job, 0)
                data = _dumps(answers).encode()
                data = b"%d\n" % len(data) + data
                while data:
                    data = data[_write(resp_w, data) :]
        finally:
            _exit(0)
    os.close(req_r)
    os.close(resp_w)
    return req_w, resp_r, pid


def _ask(server, calls, left):
    """The call server's answers to `calls` ([call, limit] pairs)."""
    req_w, resp_r, _pid = server
    data = _dumps({"calls": calls, "left": left}).encode()
    data = b"%d\n" % len(data) + data
    try:
        while data:
            data = data[_write(req_w, data) :]
        header = _read_line(resp_r, 64)
        answers = json.loads(_read_exactly(resp_r, int(header))) if header else None
    except (OSError, ValueError):
        answers = None
    if not isinstance(answers, list) or len(answers) != len(calls):
        return [{"status": "error", "message": "the candidate's process gave no answer"}] * len(
            calls
        )
    return answers


def _test_round(job, tests, answers, left, server_pid):
    """One test process over `tests`; their results, or None when it gave none."""
    budget = max(0.5, min(left, sum(t["timeout_s"] for t in tests) + 1.0))
    view = {
        **job,
        "tests": [{"__round__": {"tests": tests, "answers": answers}}],
        "timeout_s": budget,
        "cpu_s": max(1, int(budget + 0.999)),
        "result_bytes": job["value_bytes"] * 4,
        "spare_pids": [server_pid],  # what the test process leaves is swept, not the server
    }
    out = _run_one(view, 0)
    value = out.get("value")
    if out.get("status") != "pass" or not isinstance(value, list) or len(value) != len(tests):
        return None, out.get("message") or "the test process gave no result"
    return value, ""


def _answers(job, calls, left):
    """The candidate's answers to `calls`, from one child loaded once (a fresh one after a
    crash); each answer is {"status", "value"?, "message"?}."""
    got = {}
    view = {
        **job,
        "calls": [call for call, _ in calls],
        "call_timeouts": [limit for _, limit in calls],
        "budget_s": left,
        "stop_on_error": False,
    }
    end = time.monotonic() + left
    k = 0
    while k < len(calls):
        k = _calls_child(view, k, lambda rec: got.__setitem__(rec["i"], rec), 0, end)
    return [got.get(k, {"status": "error", "message": "no answer"}) for k in range(len(calls))]


def _run_tests(job, emit, server):
    tests, n = job["tests"], len(job["tests"])
    answers = [[] for _ in range(n)]
    verdicts = {}
    end = time.monotonic() + job["tests_budget_s"]
    # The candidate is loaded by the first batch, before any verdict counts: a program that does
    # not load fails every test, and what loading leaves behind (files) is there for the tests
    # to see, so a verdict of the first round (made before the load) is only provisional.
    load = [{"src": "None"}, max(t["timeout_s"] for t in tests)]
    loaded = False
    for _ in range(MAX_ROUNDS):
        pending = [i for i in range(n) if i not in verdicts]
        left = end - time.monotonic()
        if not pending or left <= 0:
            break
        known = [answers[i] for i in pending]
        results, why = _test_round(job, [tests[i] for i in pending], known, left, server[2])
        if results is None:
            for i in pending:
                verdicts[i] = {"status": "error", "message": why}
            break
        batch = []
        for i, result in zip(pending, results, strict=True):
            if "status" in result:
                if loaded:
                    verdicts[i] = {"status": result["status"], "message": result["message"]}
                continue
            del answers[i][int(result["start"]) :]
            batch.extend((i, key, call) for key, call in result["calls"])
        left = end - time.monotonic()
        if left <= 0:
            break
        calls = [[call, tests[i]["timeout_s"]] for i, _, call in batch]
        if loaded and not calls:
            continue
        replies = _ask(server, calls if loaded else [load, *calls], left)
        if not loaded:
            first, replies = replies[0], replies[1:]
            if first.get("status") != "ok":
                status = first.get("status") or "error"
                why = first.get("message") or "the candidate did not load"
                for i in range(n):
                    emit({"i": i, "status": status, "message": why, "duration_s": 0.0})
                return
            loaded = True
        for i in dict.fromkeys(i for i, _, _ in batch):
            mine = [(b, r) for b, r in zip(batch, replies, strict=True) if b[0] == i]
            keys = proxy.resolve([(key, call) for _, key, call in (b for b, _ in mine)],
                                 [r for _, r in mine])  # fmt: skip
            answers[i].extend([key, r] for key, (_, r) in zip(keys, mine, strict=True))
    for i in range(n):
        verdict = verdicts.get(i) or {"status": "timeout", "message": "the test ran out of time"}
        emit({"i": i, "duration_s": 0.0, **verdict})
