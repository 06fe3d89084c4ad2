"""`run --log-json FILE`: one JSON line per finished request and per finished problem.

Why the events are read back from the run database instead of being written by the solve loop:
the database is where a request or a result becomes real (written the moment it happened, by
this process, by `--workers` processes, or by workers on other machines), so following it gives
one log for all of them, and each event carries the database's own key (the call's id, the
result's finish time). On resume the log is read first and only what it lacks is appended, so
an interrupted run continued with the same command never repeats an event, and anything a crash
kept from the log (written to the database, not yet to the log) is caught up.

The schema is documented in docs/usage.md ("Event log"); `SCHEMA_VERSION` changes only when a
key changes meaning.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

from pat_graph.errors import ConfigError

SCHEMA_VERSION = 1
LATE_OPEN_ATTEMPTS = 5  # after the run ended, before giving up with a warning
POLL_S = 0.25
# Rows can become visible slightly out of key order: a finish time is taken before its commit
# waits for the write lock (and on other machines' clocks), and PostgreSQL transactions take call
# ids before they commit. Each poll looks this far back and skips what it already logged (SQLite
# gives call ids inside its one write lock, in commit order: no look back needed there).
CALL_LOOKBACK = 64
_READ = {"runs", "calls", "results"}  # the tables a follower reads
FINISH_LOOKBACK_S = 30.0
_REQUEST_KEYS = (
    "role", "model", "purpose", "depth", "samples", "requests", "input_tokens", "output_tokens",
    "cost_usd", "usage_reported", "duration_s", "attempts", "retries", "rate_limited",
    "server_errors", "connection_errors", "failed", "error", "replayed", "cached_tokens",
    "reasoning_tokens", "worker", "attempt",
)  # fmt: skip


def looks_like_event_log(path: Path) -> bool:
    """Empty, or JSON lines whose first line is one of our events."""
    with path.open("rb") as fh:
        first = fh.readline(65536).decode("utf-8", errors="replace").strip()
    if not first:
        return True
    try:
        row = json.loads(first)
    except json.JSONDecodeError:
        return False
    return isinstance(row, dict) and row.get("event") in ("request", "problem")


def check_log_path(path: str, db: str) -> str:
    """Refuse a --log-json that is not ours (a samples file, the database); `-` is stdout."""
    if path == "-":
        return path
    from pat_graph.files.outputs import check_output

    check_output(
        path, purpose="an event log", ours=looks_like_event_log, protect=[db],
        option="--log-json",
    )  # fmt: skip
    return path


class EventLog:
    """The log file of one or more runs: what it holds already, and appending to it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.calls: dict[str, set[int]] = {}
        self.results: dict[str, set[tuple[str, float]]] = {}
        self._fh: IO[str] | None = None
        if path != "-" and Path(path).exists():
            self._read(Path(path))

    def _read(self, path: Path) -> None:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by a crash: its event is written again below
                if not isinstance(event, dict):
                    continue
                run = str(event.get("run"))
                if event.get("event") == "request" and isinstance(event.get("call_id"), int):
                    self.calls.setdefault(run, set()).add(event["call_id"])
                elif event.get("event") == "problem":
                    key = (str(event.get("task_id")), float(event.get("finished") or 0.0))
                    self.results.setdefault(run, set()).add(key)

    def write(self, events: list[dict[str, Any]]) -> None:
        """Append and flush at once: a reader tailing the file sees each event as it lands."""
        if not events:
            return
        if self._fh is None:
            if self.path == "-":
                self._fh = sys.stdout
            else:
                self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
                if self._fh.tell() and not _ends_with_newline(Path(self.path)):
                    self._fh.write("\n")  # a line cut by a crash stays a line of its own
        self._fh.write("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events))
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None and self._fh is not sys.stdout:
            self._fh.close()
        self._fh = None


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"


def request_event(run: str, call_id: int, created: float, entry: Mapping[str, Any]) -> dict:
    event: dict[str, Any] = {
        "event": "request", "v": SCHEMA_VERSION, "time": created, "run": run,
        "task_id": entry.get("task_id"), "call_id": call_id,
    }  # fmt: skip
    event.update({k: entry[k] for k in _REQUEST_KEYS if k in entry})
    return event


def problem_event(run: str, finished: float, row: Any, cost: float | None, calls: int) -> dict:
    result = row.result or {}
    done = row.status == "done"
    return {
        "event": "problem",
        "v": SCHEMA_VERSION,
        "time": finished,
        "finished": finished,
        "run": run,
        "task_id": row.task_id,
        "status": row.status,
        "verdict": {"base": row.base, "plus": row.plus} if done else None,
        "pass": bool(done and row.base),
        "pass_plus": None if row.plus is None else bool(done and row.plus),
        "verified": result.get("verified") if done else None,
        "planner_calls": result.get("planner_calls") if done else None,
        "cost_usd": cost,
        "requests": calls,
        "error": row.error,
    }


class _Follower:
    """Turns the run's new calls and results into events, keeping per-problem cost totals."""

    def __init__(self, store: Any, run: str, log: EventLog, *, pg: bool) -> None:
        self.store = store
        self.run = run
        self.log = log
        self.call_lookback = CALL_LOOKBACK if pg else 0
        self.finish_lookback = FINISH_LOOKBACK_S
        self.seen_calls = log.calls.setdefault(run, set())
        self.seen_results = log.results.setdefault(run, set())
        self.last_call = 0
        self.last_finish = 0.0
        self.counted: set[int] = set()  # calls added to the per-problem totals
        self.cost: dict[str, float | None] = {}
        self.count: dict[str, int] = {}

    async def poll(self) -> None:
        events: list[dict[str, Any]] = []
        after = max(0, self.last_call - self.call_lookback)
        for call_id, created, entry in await self.store.calls_after(self.run, after):
            if call_id in self.counted:
                continue
            self.counted.add(call_id)
            self.last_call = max(self.last_call, call_id)
            task = str(entry.get("task_id"))
            self.count[task] = self.count.get(task, 0) + int(entry.get("requests", 1))
            cost, known = self.cost.get(task, 0.0), entry.get("cost_usd")
            self.cost[task] = None if cost is None or known is None else cost + float(known)
            if call_id not in self.seen_calls:
                self.seen_calls.add(call_id)
                events.append(request_event(self.run, call_id, created, entry))
        since = max(0.0, self.last_finish - self.finish_lookback)
        for finished, row in await self.store.results_after(self.run, since):
            self.last_finish = max(self.last_finish, finished)
            key = (row.task_id, finished)
            if key in self.seen_results:
                continue
            self.seen_results.add(key)
            cost = self.cost.get(row.task_id, 0.0)
            events.append(
                problem_event(self.run, finished, row, cost, self.count.get(row.task_id, 0))
            )
        self.log.write(events)


@asynccontextmanager
async def follow_run(db: str, run: str, path: str | None) -> AsyncIterator[None]:
    """Log `run`'s events to `path` while the block runs (nothing when `path` is None); a last
    poll after the block catches everything the run finished. The database is opened once it
    exists (a first run creates it), so a run refused for bad input leaves nothing behind."""
    if not path:
        yield
        return
    log = EventLog(path)
    stop = asyncio.Event()
    task = asyncio.create_task(_follow(db, run, log, stop))
    try:
        yield
    finally:
        stop.set()
        try:
            await task
        except Exception as exc:  # the run's own outcome is what the command reports
            print(f"warning: --log-json {path}: events not written ({exc})", file=sys.stderr)
        finally:
            log.close()


async def _follow(db: str, run: str, log: EventLog, stop: asyncio.Event) -> None:
    from pat_graph.runs.pgstore import is_postgres_url, open_run_store

    # In this process the runner has the SQLite file open: a second connection through SQLite
    # shares its locks (store.check_db_path says why nothing else may open the file).
    pg = is_postgres_url(db)
    late = 0  # attempts to open after the run ended
    while True:
        opened = False
        ended = stop.is_set()  # before opening: the run made all it was going to make
        try:
            async with open_run_store(db, readonly=True) as store:
                if _READ & await store.stand_ins():
                    if ended:
                        return  # the run stopped before making its tables: nothing to log
                    # Opened while the run was still making its tables (SQLite): empty stand-ins
                    # would hide the real ones from this connection for good. Open again later.
                    await _pause(stop)
                    continue
                opened = True
                follower = _Follower(store, run, log, pg=pg)
                while not stop.is_set():
                    with contextlib.suppress(Exception):  # busy or briefly gone: next poll
                        await follower.poll()
                    await _pause(stop)
                await follower.poll()  # the last one, after the run ended: errors surface
                return
        except ConfigError:
            if opened:
                raise
            if stop.is_set():
                if not pg and not Path(db).exists():
                    return  # the run stopped before making its database: nothing to log
                # The run ended between two polls, before this follower got the database
                # open (a short run on a busy machine): it must still log what the run did.
                late += 1
                if late > LATE_OPEN_ATTEMPTS:
                    raise
                await asyncio.sleep(POLL_S)
                continue
            await _pause(stop)  # no database (or no run tables) yet: the run makes them


async def _pause(stop: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), POLL_S)
