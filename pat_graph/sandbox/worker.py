"""Warm sandboxed workers: pay the isolated interpreter start once, then fork per test.

Why threads: a worker is a blocking pipe conversation that must outlive any one event loop
(``run_tests_sync`` makes a new loop per call), so each verification runs in a dedicated thread
pool sized like the worker pool, which is also what caps parallelism at one sandbox per core.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import json
import os
import queue
import secrets
import select
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pat_graph.errors import SandboxError
from pat_graph.sandbox import cgroup

_RECORDS_CAP = 8 * 1024 * 1024
# No record line is longer than this (a stdio test's stdout is capped at Limits.output_bytes and
# a call's value at runner.CALL_VALUE_BYTES, both well below, even JSON-escaped).
_LINE_CAP = 32 * 1024 * 1024
_START_SLACK_S = 5.0
_live: set[Worker] = set()
_live_lock = threading.Lock()


def job_payload(job: Mapping[str, Any]) -> bytes:
    """A job as the harness reads it: a header line (the lengths of the job and of its tests, its
    id, how many records it answers with), the job without its tests, then the tests. The
    harness itself reads only the header; the candidate's runner reads the job, and the tests
    only once every process that will run candidate code has been forked (harness/job.py)."""
    tests = list(job.get("tests") or ())
    body = json.dumps({**job, "tests": [], "n_tests": len(tests)}).encode()
    extra = json.dumps({"tests": tests}).encode() if tests else b""
    n = len(tests) + len(job.get("calls") or ())
    return f"{len(body)} {len(extra)} {int(job['id'])} {n}\n".encode() + body + extra


class Worker:
    """A long-lived harness process (in bwrap or not) verifying one candidate at a time."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: str | None = None,
        after_job: Callable[[Worker], None] | None = None,
        on_close: Callable[[], None] | None = None,
        pids_max: int | None = None,
        memory_bytes: int | None = None,
        cpus: float | None = None,
    ) -> None:
        self.token = secrets.token_hex(16)
        self.after_job = after_job
        self.on_close = on_close
        self.cgroup = cgroup.create(pids_max, memory_bytes, cpus) if pids_max else None
        try:
            self.proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=dict(env),
                cwd=cwd,
                start_new_session=True,
                preexec_fn=cgroup.join_fn(self.cgroup) if self.cgroup else None,
            )
        except OSError as exc:
            if self.cgroup is not None:
                self.cgroup.remove()
            raise SandboxError(f"cannot start the sandbox ({argv[0]}): {exc}") from exc
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(self.token.encode() + b"\n")
        self.proc.stdin.flush()
        self.spare = {self.proc.pid}  # harness processes that outlive a candidate
        self._buf = bytearray()
        self._scanned = 0  # bytes of _buf already searched for a newline
        self.alive = True
        with _live_lock:
            _live.add(self)

    def run(self, job: dict[str, Any]) -> dict[int, dict[str, Any]]:
        """Send one job and collect its verdicts; on the wall-clock limit the worker is killed."""
        assert self.proc.stdin and self.proc.stdout
        tests_wall = len(job["tests"]) * (job["timeout_s"] + 1.0)
        wall = _START_SLACK_S + float(job.get("tests_wall_s", tests_wall))
        wall += float(job.get("calls_wall_s", 0.0))  # call mode (runner.build_job) adds its own
        payload = job_payload(job)
        records: dict[int, dict[str, Any]] = {}
        try:
            self.proc.stdin.write(payload)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            return records
        deadline = time.monotonic() + wall
        fd, received = self.proc.stdout.fileno(), 0
        while True:
            line = self._next_line(fd, deadline)
            if line is None:
                self.kill()
                return records
            received += len(line)
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if (
                not isinstance(rec, dict)
                or rec.get("tok") != self.token
                or rec.get("job") != job["id"]
            ):
                continue
            if rec.get("done"):
                # The harness's own long-lived processes (its clean template), which killing
                # the candidate's leftovers must spare.
                spare = rec.get("spare")
                if isinstance(spare, list):
                    self.spare = {self.proc.pid, *(p for p in spare if type(p) is int and p > 1)}
                break
            if isinstance(rec.get("i"), int):
                records.setdefault(rec["i"], rec)
            if received > job.get("records_cap", _RECORDS_CAP):
                self.kill()
                return records
        if self.after_job:
            self.after_job(self)
        return records

    def _next_line(self, fd: int, deadline: float) -> bytes | None:
        """The next line of the worker's output, or None on end, deadline or an over-long line.
        Linear: each byte is searched for a newline once, and a line never grows past the cap."""
        while True:
            end = self._buf.find(b"\n", self._scanned)
            if end >= 0:
                line = bytes(self._buf[:end])
                del self._buf[: end + 1]
                self._scanned = 0
                return line
            self._scanned = len(self._buf)
            if len(self._buf) > _LINE_CAP:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            self._buf += chunk

    def kill(self) -> None:
        """Kill the whole session: for bwrap this tears down the PID namespace and all in it."""
        self.alive = False
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        if self.cgroup is not None:
            self.cgroup.remove()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]
        with _live_lock:
            _live.discard(self)
        if self.on_close:
            self.on_close()
            self.on_close = None


class WorkerPool:
    """Up to ``size`` warm workers, created on demand and replaced when one dies or times out."""

    def __init__(self, factory: Callable[[], Worker], size: int | None = None) -> None:
        self.size = size or os.cpu_count() or 1
        self.factory = factory
        self.idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self.executor = ThreadPoolExecutor(self.size, thread_name_prefix="pat-sandbox")
        self._ids = itertools.count()
        self._mine: weakref.WeakSet[Worker] = weakref.WeakSet()

    def pids(self) -> list[int]:
        """Host pids of this pool's running workers, so callers (and tests) can audit them."""
        return [w.proc.pid for w in list(self._mine) if w.alive]

    async def run(self, job: dict[str, Any]) -> dict[int, dict[str, Any]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self._run_blocking, job)

    def _run_blocking(self, job: dict[str, Any]) -> dict[int, dict[str, Any]]:
        for attempt in range(2):
            try:
                worker = self.idle.get_nowait()
            except queue.Empty:
                worker = self._new()
            if worker.proc.poll() is not None:
                worker.kill()
                worker = self._new()
            records = worker.run({**job, "id": next(self._ids)})
            if worker.alive and worker.proc.poll() is None:
                self.idle.put(worker)
                return records
            worker.kill()
            if records or attempt:
                return records
            # A worker that died before reporting anything may have been sabotaged by the
            # previous candidate; one retry on a fresh worker keeps that from hurting this one.
        return records

    def _new(self) -> Worker:
        worker = self.factory()
        self._mine.add(worker)
        return worker


@atexit.register
def _kill_all() -> None:
    with _live_lock:
        workers = list(_live)
    for worker in workers:
        worker.kill()
