"""The run tables (runs, results, calls, claims) on PostgreSQL, beside LangGraph's
`AsyncPostgresSaver` in the same database: what many machines share for one run.

The methods mirror `store.Store` (report, export, prune and delete call them unchanged) and
`claims.SqliteClaims` (the lease protocol), with `FOR UPDATE SKIP LOCKED` for claims so that
workers on many machines take different problems without waiting on each other. Lease times use
the database server's clock, so machines whose clocks disagree still agree on who holds what.

Connections come from one pool per process, shared with the saver and sized to the concurrency;
the pool checks a connection before lending it, so connections broken by a server restart are
replaced, and every statement here is retried on a connection error with backoff (up to
`RETRY_S`), so a dropped connection or a restarted server costs time, never a result.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar, Unpack

from pat_graph.errors import ConfigError
from pat_graph.runs.claims import Claim, Pending, dead_here
from pat_graph.runs.store import (
    DATA_VERSION,
    Outcome,
    ResultRow,
    RunRecord,
    _differences,
    _run_from_row,
    call_entry,
    result_row,
    result_values,
)

T = TypeVar("T")
RETRY_S = 120.0
SETUP_LOCK = 7_013_001  # pg_advisory_lock key: workers starting together create tables once

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    name TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    generator TEXT NOT NULL,
    planner TEXT,
    budgets TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    seed BIGINT,
    problems INTEGER NOT NULL DEFAULT 0,
    created DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run TEXT NOT NULL,
    task_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'errored')),
    result TEXT,
    base BOOLEAN,
    plus BOOLEAN,
    error TEXT,
    finished DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run, task_id)
);
CREATE TABLE IF NOT EXISTS calls (
    id BIGSERIAL PRIMARY KEY,
    run TEXT NOT NULL,
    task_id TEXT NOT NULL,
    entry TEXT NOT NULL,
    created DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_by_run ON calls (run);
CREATE TABLE IF NOT EXISTS claims (
    run TEXT NOT NULL,
    task_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'todo' CHECK (state IN ('todo', 'done', 'errored')),
    worker TEXT,
    expires DOUBLE PRECISION,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run, task_id)
);
CREATE INDEX IF NOT EXISTS claims_todo ON claims (run, state, seq);
"""

# Every table and index SCHEMA makes (names are unique within a schema in PostgreSQL).
SCHEMA_OBJECTS = tuple(
    line.split(" IF NOT EXISTS ", 1)[1].split()[0]
    for line in SCHEMA.splitlines()
    if line.startswith(("CREATE TABLE", "CREATE INDEX"))
)
NOW = "extract(epoch from clock_timestamp())"


async def take_setup_lock(conn: Any) -> None:
    """Take SETUP_LOCK, asking again every 50 ms rather than waiting inside the server: the
    checkpointer's first setup builds an index CONCURRENTLY, which waits for every statement
    already running, and a `pg_advisory_lock` waiting for the lock its builder holds is one
    such statement. Two processes opening a new database at once (a run and its event log's
    follower, or `run --workers N`) then waited for each other forever."""
    while True:
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (SETUP_LOCK,))
        if (await cur.fetchone())["got"]:  # the pool's rows are dicts
            return
        await asyncio.sleep(0.05)


def is_postgres_url(db: Any) -> bool:
    return str(db).startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    head, at, tail = str(url).rpartition("@")
    if not at or ":" not in head.split("//", 1)[-1]:
        return str(url)
    scheme, _, userinfo = head.partition("//")
    return f"{scheme}//{userinfo.split(':', 1)[0]}:***@{tail}"


def _imports() -> Any:
    try:
        import psycopg
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool
    except ImportError as exc:  # the optional extra is missing
        raise ConfigError(
            f"--db postgresql://... needs the postgres extra ({exc.name} is missing): "
            "pip install 'pat-graph[postgres]'"
        ) from exc
    return psycopg, AsyncPostgresSaver, dict_row, AsyncConnectionPool


def transient_errors() -> tuple[type[BaseException], ...]:
    """Errors that a retry can outlive (connection lost, server restarting). Ask once the run
    store is open: before a PostgreSQL store has loaded psycopg, none of its errors can occur,
    and a SQLite run does not pay for importing it."""
    if "psycopg" not in sys.modules:
        return ()
    try:
        import psycopg
        import psycopg_pool
    except ImportError:
        return ()
    return (psycopg.OperationalError, psycopg_pool.PoolTimeout)


class PgStore:
    """Runs, results, the calls ledger and the claims, on a psycopg async pool."""

    def __init__(self, pool: Any, url: str) -> None:
        self.pool = pool
        self.url = url

    async def _retry(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        transient = transient_errors()
        deadline = time.monotonic() + RETRY_S
        delay = 0.2
        while True:
            try:
                async with self.pool.connection() as conn:
                    return await fn(conn)
            except transient:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _all(self, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async def go(conn: Any) -> list[dict[str, Any]]:
            cur = await conn.execute(query, params)
            return list(await cur.fetchall())

        return await self._retry(go)

    async def _exec(self, query: str, params: tuple[Any, ...] = ()) -> int:
        async def go(conn: Any) -> int:
            async with conn.transaction():
                cur = await conn.execute(query, params)
                return cur.rowcount

        return await self._retry(go)

    async def setup(self) -> None:
        """Make the run tables, unless they are all there already: `CREATE INDEX IF NOT
        EXISTS` takes a SHARE lock on its table even when the index exists, waiting behind
        every open write and holding up every later one; a reader or a worker that opens a
        database in use would then stall the run that writes it (the event log's follower
        did, now and then, for the whole of a test's 90 s)."""
        present = await self._all(
            "SELECT count(*) AS n FROM pg_class WHERE relname = ANY(%s) "
            "AND relnamespace = to_regnamespace(current_schema())",
            (list(SCHEMA_OBJECTS),),
        )
        if present[0]["n"] == len(SCHEMA_OBJECTS):
            return

        async def go(conn: Any) -> None:
            await take_setup_lock(conn)
            try:
                for statement in SCHEMA.split(";"):  # prepared statements: one at a time
                    if statement.strip():
                        await conn.execute(statement)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))

        await self._retry(go)

    # --- the Store interface -------------------------------------------------------------
    async def stand_ins(self) -> set[str]:
        return set()  # setup makes every table before anything is read: none stands in

    async def get_run(self, name: str) -> RunRecord | None:
        rows = await self._all("SELECT * FROM runs WHERE name = %s", (name,))
        return _run_from_row(rows[0]) if rows else None

    async def list_runs(self) -> list[RunRecord]:
        return [_run_from_row(r) for r in await self._all("SELECT * FROM runs ORDER BY created")]

    async def register_run(self, record: RunRecord) -> RunRecord:
        await self._exec(
            "INSERT INTO runs VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (name) DO NOTHING",
            (
                record.name, record.policy, json.dumps(record.generator),
                None if record.planner is None else json.dumps(record.planner),
                json.dumps(record.budgets), record.benchmark, record.data_hash, record.seed,
                record.problems, time.time(),
            ),
        )  # fmt: skip
        old = await self.get_run(record.name)
        assert old is not None
        diff = _differences(old.identity(), record.identity())
        if diff:
            raise ConfigError(
                f"run {record.name!r} already exists in this database with different "
                f"settings ({'; '.join(diff)}); resume it with its original settings or "
                "choose a new --run name"
            )
        await self._exec(
            "UPDATE runs SET problems = GREATEST(problems, %s) WHERE name = %s",
            (record.problems, record.name),
        )
        return await self.get_run(record.name) or record

    async def statuses(self, run: str) -> dict[str, str]:
        rows = await self._all("SELECT task_id, status FROM results WHERE run = %s", (run,))
        return {r["task_id"]: r["status"] for r in rows}

    async def write_result(self, run: str, task_id: str, **outcome: Unpack[Outcome]) -> None:
        await self._exec(_UPSERT_RESULT, result_values(run, task_id, **outcome))

    async def record_call(self, run: str, task_id: str, entry: Mapping[str, Any]) -> None:
        await self._exec(
            "INSERT INTO calls (run, task_id, entry, created) VALUES (%s, %s, %s, %s)",
            (run, task_id, json.dumps(dict(entry)), time.time()),
        )

    async def calls(self, run: str) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT task_id, entry FROM calls WHERE run = %s ORDER BY id", (run,)
        )
        return [call_entry(r["task_id"], r["entry"]) for r in rows]

    async def calls_after(self, run: str, after: int) -> list[tuple[int, float, dict[str, Any]]]:
        rows = await self._all(
            "SELECT id, created, task_id, entry FROM calls WHERE run = %s AND id > %s ORDER BY id",
            (run, after),
        )
        return [(r["id"], float(r["created"]), call_entry(r["task_id"], r["entry"])) for r in rows]

    async def results_after(self, run: str, after: float) -> list[tuple[float, ResultRow]]:
        rows = await self._all(
            "SELECT finished, run, task_id, status, result, base, plus, error FROM results "
            "WHERE run = %s AND finished > %s ORDER BY finished",
            (run, after),
        )
        return [(float(r["finished"]), result_row(list(r.values())[1:])) for r in rows]

    async def data_version(self) -> tuple[Any, ...]:
        rows = await self._all(DATA_VERSION)
        return tuple(rows[0].values()) if rows else ()

    async def checkpoint_writes(self, low: str, high: str) -> list[tuple[Any, ...]]:
        """LangGraph's checkpoint writes of the threads in [low, high), in the order the
        explorer rebuilds trees from (thread, namespace, checkpoint, task, write index)."""
        rows = await self._all(
            "SELECT thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, channel, type, "
            "blob FROM checkpoint_writes WHERE thread_id >= %s AND thread_id < %s "
            "ORDER BY thread_id, checkpoint_ns, checkpoint_id, task_path, task_id, idx",
            (low, high),
        )
        return [tuple(r.values()) for r in rows]

    async def delete_run(self, run: str) -> dict[str, int]:
        async def go(conn: Any) -> dict[str, int]:
            counts: dict[str, int] = {}
            async with conn.transaction():
                for table, column in (
                    ("results", "run"), ("calls", "run"), ("claims", "run"), ("runs", "name")
                ):  # fmt: skip
                    cur = await conn.execute(f"DELETE FROM {table} WHERE {column} = %s", (run,))
                    counts[table] = cur.rowcount
            return counts

        return await self._retry(go)

    async def results(self, run: str) -> list[ResultRow]:
        rows = await self._all(
            "SELECT run, task_id, status, result, base, plus, error FROM results "
            "WHERE run = %s ORDER BY finished, task_id",
            (run,),
        )
        return [result_row(r.values()) for r in rows]

    async def thread_ids(self, prefix: str) -> list[str]:
        rows = await self._all(
            "SELECT DISTINCT thread_id FROM checkpoints WHERE starts_with(thread_id, %s)",
            (prefix,),
        )
        return [r["thread_id"] for r in rows]

    # --- the claims protocol (see claims.py) --------------------------------------------
    async def add(self, run: str, task_ids: Iterable[str], *, retry_errored: bool) -> None:
        ids = list(task_ids)

        async def go(conn: Any) -> None:
            async with conn.transaction():
                cur = await conn.execute(
                    "SELECT COALESCE(MAX(seq), -1) AS m FROM claims WHERE run = %s", (run,)
                )
                start = (await cur.fetchone())["m"] + 1
                async with conn.cursor() as c:
                    await c.executemany(
                        "INSERT INTO claims (run, task_id, seq) VALUES (%s, %s, %s) "
                        "ON CONFLICT DO NOTHING",
                        [(run, t, start + i) for i, t in enumerate(ids)],
                    )
                await conn.execute(
                    "UPDATE claims SET state = 'done' WHERE run = %s AND state <> 'done' AND "
                    "task_id IN (SELECT task_id FROM results WHERE run = %s AND "
                    "status = 'done')",
                    (run, run),
                )
                if retry_errored:
                    await conn.execute(
                        "UPDATE claims SET state = 'todo' WHERE run = %s AND state = 'errored' "
                        "AND task_id NOT IN (SELECT task_id FROM results WHERE run = %s AND "
                        "status = 'done')",
                        (run, run),
                    )

        await self._retry(go)

    async def claim(self, run: str, worker: str, lease_s: float) -> Claim | None:
        rows = await self._all(
            f"UPDATE claims SET worker = %s, expires = {NOW} + %s, attempts = attempts + 1 "
            "WHERE run = %s AND task_id = (SELECT task_id FROM claims WHERE run = %s AND "
            f"state = 'todo' AND (expires IS NULL OR expires < {NOW}) ORDER BY seq LIMIT 1 "
            "FOR UPDATE SKIP LOCKED) RETURNING task_id, attempts",
            (worker, lease_s, run, run),
        )
        return Claim(rows[0]["task_id"], int(rows[0]["attempts"])) if rows else None

    async def renew(self, run: str, worker: str, lease_s: float) -> set[str]:
        rows = await self._all(
            f"UPDATE claims SET expires = {NOW} + %s WHERE run = %s AND worker = %s AND "
            "state = 'todo' RETURNING task_id",
            (lease_s, run, worker),
        )
        return {r["task_id"] for r in rows}

    async def release(self, run: str, worker: str, task_ids: Iterable[str] | None = None) -> None:
        sql = (
            "UPDATE claims SET worker = NULL, expires = NULL WHERE run = %s AND worker = %s "
            "AND state = 'todo'"
        )
        if task_ids is None:
            await self._exec(sql, (run, worker))
            return
        for task_id in task_ids:
            await self._exec(sql + " AND task_id = %s", (run, worker, task_id))

    async def finish(self, run: str, task_id: str, worker: str, **outcome: Unpack[Outcome]) -> bool:
        async def go(conn: Any) -> bool:
            async with conn.transaction():
                cur = await conn.execute(
                    "UPDATE claims SET state = %s, expires = NULL WHERE run = %s AND "
                    "task_id = %s AND worker = %s AND state = 'todo'",
                    (outcome["status"], run, task_id, worker),
                )
                if cur.rowcount != 1:
                    return False
                await conn.execute(_UPSERT_RESULT, result_values(run, task_id, **outcome))
            return True

        return await self._retry(go)

    async def pending(self, run: str) -> Pending:
        rows = await self._all(
            "SELECT "
            f"count(*) FILTER (WHERE state = 'todo' AND (expires IS NULL OR expires < {NOW})) AS f,"
            f"count(*) FILTER (WHERE state = 'todo' AND expires >= {NOW})"
            " AS h, count(*) FILTER (WHERE state = 'done') AS d, "
            "count(*) FILTER (WHERE state = 'errored') AS e FROM claims WHERE run = %s",
            (run,),
        )
        r = rows[0]
        return Pending(int(r["f"]), int(r["h"]), int(r["d"]), int(r["e"]))

    async def reap(self, run: str) -> int:
        """Free the leases of this machine's workers that died (other machines' wait out
        their leases)."""
        dead = [w for w in await self.live_workers(run) if dead_here(w)]
        for w in dead:
            await self._exec(
                "UPDATE claims SET expires = NULL WHERE run = %s AND worker = %s AND "
                "state = 'todo'",
                (run, w),
            )
        return len(dead)

    async def live_workers(self, run: str) -> set[str]:
        rows = await self._all(
            "SELECT DISTINCT worker FROM claims WHERE run = %s AND state = 'todo' AND "
            f"expires >= {NOW}",
            (run,),
        )
        return {r["worker"] for r in rows}

    async def task_ids(self, run: str) -> list[str]:
        rows = await self._all("SELECT task_id FROM claims WHERE run = %s ORDER BY seq", (run,))
        return [r["task_id"] for r in rows]

    async def calls_since(self, run: str, after: int) -> list[tuple[int, dict[str, Any]]]:
        rows = await self._all(
            "SELECT id, task_id, entry FROM calls WHERE run = %s AND id > %s ORDER BY id",
            (run, after),
        )
        return [(r["id"], call_entry(r["task_id"], r["entry"])) for r in rows]

    async def results_since(self, run: str, after: float) -> list[tuple[float, str, str, Any]]:
        rows = await self._all(
            "SELECT finished, task_id, status, base FROM results WHERE run = %s AND "
            "finished > %s ORDER BY finished",
            (run, after),
        )
        return [(r["finished"], r["task_id"], r["status"], r["base"]) for r in rows]

    async def delete(self, run: str) -> int:
        return await self._exec("DELETE FROM claims WHERE run = %s", (run,))


_UPSERT_RESULT = (
    "INSERT INTO results (run, task_id, status, result, base, plus, error, finished) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (run, task_id) DO UPDATE SET "
    "status = excluded.status, result = excluded.result, base = excluded.base, "
    "plus = excluded.plus, error = excluded.error, finished = excluded.finished "
    "WHERE results.status <> 'done'"
)


@asynccontextmanager
async def open_postgres(
    url: str, *, create: bool = True, pool_size: int = 8
) -> AsyncIterator[tuple[Any, PgStore]]:
    """(AsyncPostgresSaver, PgStore) on one pool of `pool_size` connections."""
    psycopg, saver_cls, dict_row, pool_cls = _imports()
    pool = pool_cls(
        url,
        min_size=1,
        max_size=max(2, pool_size),
        open=False,
        check=pool_cls.check_connection,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    try:
        await pool.open(wait=True, timeout=30)
    except Exception as exc:
        await pool.close()
        raise ConfigError(f"--db {redact(url)}: cannot connect to PostgreSQL ({exc})") from exc
    try:
        store = PgStore(pool, url)
        if not create:
            cur_rows = await store._all("SELECT to_regclass('public.runs') AS t")
            if cur_rows[0]["t"] is None:
                raise ConfigError(
                    f"no pat-graph runs in {redact(url)}; run `pat-graph run` first or pass --db"
                )
        await store.setup()
        saver = saver_cls(pool)

        async def setup_saver(conn: Any) -> None:
            await take_setup_lock(conn)
            try:
                await saver.setup()
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))

        await store._retry(setup_saver)
        yield saver, store
    except psycopg.Error as exc:
        if isinstance(exc, transient_errors()):
            raise
        raise ConfigError(f"--db {redact(url)}: {type(exc).__name__}: {exc}") from exc
    finally:
        await pool.close()


@asynccontextmanager
async def open_run_store(
    db: Any, *, create: bool = False, readonly: bool = False
) -> AsyncIterator[Any]:
    """The run tables of `db`: a `Store` on the SQLite file, or a `PgStore` for a postgresql://
    URL, with the same methods. `readonly` (report, export): a connection that cannot change
    the file and works where it cannot be written (store.open_db)."""
    if is_postgres_url(db):
        async with open_postgres(str(db), create=create, pool_size=2) as (_saver, store):
            yield store
        return
    from pat_graph.runs.store import Store, open_db

    conn = await open_db(db, create=create, readonly=readonly)
    try:
        store = Store(conn, readonly=readonly)
        await store.setup()
        yield store
    finally:
        await conn.close()
