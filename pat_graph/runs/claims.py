"""Claims with leases: how many worker processes share one run without doing a problem twice.

Every problem of a run has a row in `claims`: its state (todo, done, errored), the worker that
holds it and until when (`expires`, seconds since the epoch). A worker claims the first todo row
whose lease is free or expired, renews its leases every third of the lease time while it works,
and finishes a problem by flipping its row to done *and* writing the result in one transaction,
only while the row is still its own (a worker that lost its lease, say after a long stall,
throws its late result away instead of overwriting the new holder's). A killed worker stops
renewing; when its leases expire another worker claims those problems and `_solve_one` continues
them from their last checkpoint. Every claim bumps `attempts`, and each request's ledger entry
carries the worker and the attempt, so calls repeated after a death stay visible as repeated.

Why this mechanism and not a job-queue library: the queue must live in the run database itself
(one file or one PostgreSQL database holds checkpoints, results, the bill and the queue, so a run
is copied, resumed or deleted as one thing), and both backends already give the one primitive a
lease queue needs: SQLite serialises writers, so a single `UPDATE ... RETURNING` on a subselect is
an atomic claim; PostgreSQL's `SELECT ... FOR UPDATE SKIP LOCKED` lets many machines claim
different rows at once without blocking each other (the pattern that PostgreSQL-backed queues
such as procrastinate and pgqueuer are built on). A broker (Redis, Celery) would be a second
service to run and a second place where state lives, for no gain at these rates (a claim per
problem, a renewal per worker every few seconds).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Unpack

from pat_graph.runs.store import Outcome, Store, call_entry, result_values

DEFAULT_LEASE_S = 30.0

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    run TEXT NOT NULL,
    task_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'todo' CHECK (state IN ('todo', 'done', 'errored')),
    worker TEXT,
    expires REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run, task_id)
);
CREATE INDEX IF NOT EXISTS claims_todo ON claims (run, state, seq);
"""


def lease_seconds() -> float:
    """The lease time; PAT_GRAPH_LEASE_S shortens it in tests (a dead worker's problems wait one
    lease before another worker takes them)."""
    raw = os.environ.get("PAT_GRAPH_LEASE_S")
    try:
        return max(0.5, float(raw)) if raw else DEFAULT_LEASE_S
    except ValueError:
        return DEFAULT_LEASE_S


def new_worker_id() -> str:
    """host:pid:random; the host and pid let a worker on the same machine see that a lease's
    holder is dead (`dead_here`) instead of waiting a whole lease after a crash."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def dead_here(worker: str) -> bool:
    """True for a worker id of this machine whose process no longer exists."""
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Claim:
    task_id: str
    attempt: int


@dataclass(frozen=True)
class Pending:
    """What is left of a run: claimable now, held by a live lease, finished."""

    free: int
    held: int
    done: int
    errored: int


class SqliteClaims:
    """The claims protocol on the run's SQLite file (one machine, any number of processes).

    Every statement runs under the store's lock (the process's single connection) and SQLite's
    file lock (the other processes): an `UPDATE ... RETURNING` is atomic, so two processes can
    never claim the same row."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def setup(self) -> None:
        async with self.store.lock:
            await self.store.conn.executescript(SQLITE_SCHEMA)
            await self.store.conn.commit()

    async def add(self, run: str, task_ids: Iterable[str], *, retry_errored: bool) -> None:
        """Make sure every problem has a row; rows of finished results are done; with
        `retry_errored`, errored problems become todo again (a new `run` retries them)."""
        conn = self.store.conn
        async with self.store.lock:
            async with conn.execute(
                "SELECT COALESCE(MAX(seq), -1) FROM claims WHERE run = ?", (run,)
            ) as c:
                start = (await c.fetchone())[0] + 1
            await conn.executemany(
                "INSERT OR IGNORE INTO claims (run, task_id, seq) VALUES (?, ?, ?)",
                [(run, t, start + i) for i, t in enumerate(task_ids)],
            )
            await conn.execute(
                "UPDATE claims SET state = 'done' WHERE run = ? AND state <> 'done' AND task_id "
                "IN (SELECT task_id FROM results WHERE run = ? AND status = 'done')",
                (run, run),
            )
            if retry_errored:
                await conn.execute(
                    "UPDATE claims SET state = 'todo' WHERE run = ? AND state = 'errored' AND "
                    "task_id NOT IN (SELECT task_id FROM results WHERE run = ? AND "
                    "status = 'done')",
                    (run, run),
                )
            await conn.commit()

    async def claim(self, run: str, worker: str, lease_s: float) -> Claim | None:
        now = time.time()
        query = (
            "UPDATE claims SET worker = ?, expires = ?, attempts = attempts + 1 "
            "WHERE run = ? AND task_id = (SELECT task_id FROM claims WHERE run = ? AND "
            "state = 'todo' AND (expires IS NULL OR expires < ?) ORDER BY seq LIMIT 1) "
            "RETURNING task_id, attempts"
        )
        async with self.store.lock:
            async with self.store.conn.execute(query, (worker, now + lease_s, run, run, now)) as c:
                row = await c.fetchone()
            await self.store.conn.commit()
        return None if row is None else Claim(row[0], int(row[1]))

    async def renew(self, run: str, worker: str, lease_s: float) -> set[str]:
        """Extend every lease this worker holds; returns the problems it still holds."""
        async with self.store.lock:
            await self.store.conn.execute(
                "UPDATE claims SET expires = ? WHERE run = ? AND worker = ? AND state = 'todo'",
                (time.time() + lease_s, run, worker),
            )
            async with self.store.conn.execute(
                "SELECT task_id FROM claims WHERE run = ? AND worker = ? AND state = 'todo'",
                (run, worker),
            ) as c:
                held = {row[0] for row in await c.fetchall()}
            await self.store.conn.commit()
        return held

    async def release(self, run: str, worker: str, task_ids: Iterable[str] | None = None) -> None:
        """Give leases back at once (an orderly stop), so others need not wait for expiry;
        `task_ids` None gives back every lease `worker` holds in `run`."""
        sql = (
            "UPDATE claims SET worker = NULL, expires = NULL WHERE run = ? AND worker = ? "
            "AND state = 'todo'"
        )
        async with self.store.lock:
            if task_ids is None:
                await self.store.conn.execute(sql, (run, worker))
            else:
                await self.store.conn.executemany(
                    sql + " AND task_id = ?", [(run, worker, t) for t in task_ids]
                )
            await self.store.conn.commit()

    async def finish(self, run: str, task_id: str, worker: str, **outcome: Unpack[Outcome]) -> bool:
        """Write the result and close the claim in one transaction, only while this worker
        still holds it; False when another worker took it over (the result is dropped)."""
        conn = self.store.conn
        async with self.store.lock:
            cursor = await conn.execute(
                "UPDATE claims SET state = ?, expires = NULL WHERE run = ? AND task_id = ? "
                "AND worker = ? AND state = 'todo'",
                (outcome["status"], run, task_id, worker),
            )
            if cursor.rowcount != 1:
                await conn.rollback()
                return False
            await conn.execute(
                "INSERT INTO results (run, task_id, status, result, base, plus, error, finished) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run, task_id) "
                "DO UPDATE SET status = excluded.status, result = excluded.result, "
                "base = excluded.base, plus = excluded.plus, error = excluded.error, "
                "finished = excluded.finished WHERE results.status <> 'done'",
                result_values(run, task_id, **outcome),
            )
            await conn.commit()
        return True

    async def pending(self, run: str) -> Pending:
        now = time.time()
        query = (
            "SELECT SUM(state = 'todo' AND (expires IS NULL OR expires < ?)), "
            "SUM(state = 'todo' AND expires >= ?), "
            "SUM(state = 'done'), SUM(state = 'errored') FROM claims WHERE run = ?"
        )
        async with self.store.lock, self.store.conn.execute(query, (now, now, run)) as c:
            row = await c.fetchone()
        return Pending(*(int(v or 0) for v in row))

    async def reap(self, run: str) -> int:
        """Free the leases of this machine's workers that died (SIGKILL, OOM)."""
        dead = [w for w in await self.live_workers(run) if dead_here(w)]
        if not dead:
            return 0
        async with self.store.lock:
            await self.store.conn.executemany(
                "UPDATE claims SET expires = NULL WHERE run = ? AND worker = ? AND state = 'todo'",
                [(run, w) for w in dead],
            )
            await self.store.conn.commit()
        return len(dead)

    async def live_workers(self, run: str) -> set[str]:
        async with (
            self.store.lock,
            self.store.conn.execute(
                "SELECT DISTINCT worker FROM claims WHERE run = ? AND state = 'todo' AND "
                "expires >= ?",
                (run, time.time()),
            ) as c,
        ):
            return {row[0] for row in await c.fetchall()}

    async def task_ids(self, run: str) -> list[str]:
        async with (
            self.store.lock,
            self.store.conn.execute(
                "SELECT task_id FROM claims WHERE run = ? ORDER BY seq", (run,)
            ) as c,
        ):
            return [row[0] for row in await c.fetchall()]

    async def calls_since(self, run: str, after: int) -> list[tuple[int, dict[str, Any]]]:
        """New ledger entries (id, entry with task id) for a progress display of many workers."""
        query = "SELECT id, task_id, entry FROM calls WHERE run = ? AND id > ? ORDER BY id"
        async with self.store.lock, self.store.conn.execute(query, (run, after)) as c:
            rows = await c.fetchall()
        return [(i, call_entry(t, e)) for i, t, e in rows]

    async def results_since(self, run: str, after: float) -> list[tuple[float, str, str, Any]]:
        """(finished, task id, status, base) of results written after `after`."""
        query = (
            "SELECT finished, task_id, status, base FROM results WHERE run = ? AND finished > ? "
            "ORDER BY finished"
        )
        async with self.store.lock, self.store.conn.execute(query, (run, after)) as c:
            return [tuple(r) for r in await c.fetchall()]

    async def delete(self, run: str) -> int:
        async with self.store.lock:
            cursor = await self.store.conn.execute("DELETE FROM claims WHERE run = ?", (run,))
            await self.store.conn.commit()
        return cursor.rowcount


def claims_of(store: Any) -> Any:
    """The claims protocol for a store: PostgreSQL stores implement it themselves."""
    return store if hasattr(store, "claim") else SqliteClaims(store)
