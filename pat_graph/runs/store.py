"""The `runs` and `results` tables, kept in the same SQLite file as the checkpoints.

Why the same file and connection: a run's settings, its final results and its resumable threads
must travel together (copy one file, keep everything), and sharing the checkpointer's connection
and lock serialises every write in the process, so a result is committed in one statement and
never races a checkpoint write.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Required, TypedDict, Unpack

import aiosqlite

from pat_graph.errors import ConfigError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    name TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    generator TEXT NOT NULL,
    planner TEXT,
    budgets TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    seed INTEGER,
    problems INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run TEXT NOT NULL,
    task_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('done', 'errored')),
    result TEXT,
    base INTEGER,
    plus INTEGER,
    error TEXT,
    finished REAL NOT NULL,
    PRIMARY KEY (run, task_id)
);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL,
    task_id TEXT NOT NULL,
    entry TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_by_run ON calls (run);
"""

# Shared by both backends: how many runs and results, the newest finish time, the last request.
DATA_VERSION = (
    "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM results), "
    "(SELECT coalesce(max(finished), 0) FROM results), (SELECT coalesce(max(id), 0) FROM calls)"
)

# Tables pat-graph (or LangGraph's saver inside the same file) creates: a database holding other
# tables and none of these belongs to something else, and `run` must not write into it.
OWN_TABLES = frozenset({"runs", "results", "calls", "claims", "checkpoints", "writes"})

# What makes two invocations "the same run": everything that changes the numbers, but not the
# server address (a model server may move ports between a crash and the resume).
_MODEL_IDENTITY = ("name", "model", "api", "input_price", "output_price", "max_tokens")


@dataclass(frozen=True)
class RunRecord:
    name: str
    policy: str
    generator: dict[str, Any]
    planner: dict[str, Any] | None
    budgets: dict[str, Any]
    benchmark: str
    data_hash: str
    seed: int | None = None
    problems: int = 0
    created: float = 0.0

    def identity(self) -> dict[str, Any]:
        def model(spec: Mapping[str, Any] | None) -> dict[str, Any] | None:
            return None if spec is None else {k: spec.get(k) for k in _MODEL_IDENTITY}

        return {
            "policy": self.policy,
            "generator": model(self.generator),
            "planner": model(self.planner),
            "budgets": self.budgets,
            "benchmark": self.benchmark,
            "data_hash": self.data_hash,
            "seed": self.seed,
        }


@dataclass(frozen=True)
class ResultRow:
    run: str
    task_id: str
    status: str
    result: dict[str, Any] | None
    base: bool | None
    plus: bool | None
    error: str | None


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


class Outcome(TypedDict, total=False):
    """How one problem ended, as the keywords of `write_result` and of the claims' `finish`
    on either backend (one definition, so the two cannot drift apart)."""

    status: Required[str]
    result: Mapping[str, Any] | None
    base: bool | None
    plus: bool | None
    error: str | None


def result_values(
    run: str,
    task_id: str,
    status: str,
    result: Mapping[str, Any] | None = None,
    base: bool | None = None,
    plus: bool | None = None,
    error: str | None = None,
) -> tuple[Any, ...]:
    """A result as the parameters of an insert into `results`, in its column order, for both
    backends: SQLite binds a bool as 0/1, PostgreSQL's columns are BOOLEAN."""
    payload = None if result is None else json.dumps(result)
    return (run, task_id, status, payload, base, plus, error, time.time())


def result_row(values: Iterable[Any]) -> ResultRow:
    """A `results` row (run, task_id, status, result, base, plus, error) read back from either
    backend: the JSON decoded, SQLite's 0/1 turned back into bools."""
    run, task_id, status, result, base, plus, error = values
    payload = None if result is None else json.loads(result)
    return ResultRow(run, task_id, status, payload, _bool(base), _bool(plus), error)


def call_entry(task_id: str, entry: str) -> dict[str, Any]:
    """A ledger entry as stored in `calls`, with the task it was spent on."""
    return {**json.loads(entry), "task_id": task_id}


class Store:
    """Runs and results on an open aiosqlite connection; `lock` serialises writes."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        lock: asyncio.Lock | None = None,
        *,
        readonly: bool = False,
    ) -> None:
        self.conn = conn
        self.lock = lock or asyncio.Lock()
        self.readonly = readonly  # opened by `open_db(readonly=True)`: its tables are ready

    async def setup(self) -> None:
        if self.readonly:
            return
        async with self.lock:
            await self.conn.execute("PRAGMA busy_timeout=10000")
            await self.conn.executescript(SCHEMA)
            await self.conn.commit()

    async def stand_ins(self) -> set[str]:
        """Tables this read-only connection stands in for with empty TEMP tables, because the
        file lacked them when it was opened (an older database, or one still being made): they
        shadow the file's own tables for as long as the connection lives."""
        sql = "SELECT name FROM temp.sqlite_master WHERE type = 'table'"
        async with self.lock, self.conn.execute(sql) as c:
            return {row[0] for row in await c.fetchall()}

    async def get_run(self, name: str) -> RunRecord | None:
        async with self.lock, self.conn.execute("SELECT * FROM runs WHERE name = ?", (name,)) as c:
            row = await c.fetchone()
            cols = [d[0] for d in c.description]
        return None if row is None else _run_from_row(dict(zip(cols, row, strict=True)))

    async def list_runs(self) -> list[RunRecord]:
        async with self.lock, self.conn.execute("SELECT * FROM runs ORDER BY created") as c:
            rows = await c.fetchall()
            cols = [d[0] for d in c.description]
        return [_run_from_row(dict(zip(cols, r, strict=True))) for r in rows]

    async def register_run(self, record: RunRecord) -> RunRecord:
        """Create the run, or check that an existing one has the same settings."""
        old = await self.get_run(record.name)
        if old is not None:
            diff = _differences(old.identity(), record.identity())
            if diff:
                raise ConfigError(
                    f"run {record.name!r} already exists in this database with different "
                    f"settings ({'; '.join(diff)}); resume it with its original settings or "
                    "choose a new --run name"
                )
        async with self.lock:
            if old is None:
                # OR IGNORE: two processes starting the same new run at once (issue 13); the
                # check below then compares with whichever got in first.
                await self.conn.execute(
                    "INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.name,
                        record.policy,
                        json.dumps(record.generator),
                        None if record.planner is None else json.dumps(record.planner),
                        json.dumps(record.budgets),
                        record.benchmark,
                        record.data_hash,
                        record.seed,
                        record.problems,
                        time.time(),
                    ),
                )
            else:
                await self.conn.execute(
                    "UPDATE runs SET problems = MAX(problems, ?) WHERE name = ?",
                    (record.problems, record.name),
                )
            await self.conn.commit()
        stored = await self.get_run(record.name) if old is None else None
        if stored is not None and stored.identity() != record.identity():
            return await self.register_run(record)  # another process's run: says how it differs
        return await self.get_run(record.name) or record

    async def statuses(self, run: str) -> dict[str, str]:
        async with (
            self.lock,
            self.conn.execute("SELECT task_id, status FROM results WHERE run = ?", (run,)) as c,
        ):
            return {task_id: status for task_id, status in await c.fetchall()}

    async def write_result(self, run: str, task_id: str, **outcome: Unpack[Outcome]) -> None:
        """One statement, one commit: a result is either fully there or not at all."""
        async with self.lock:
            await self.conn.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                result_values(run, task_id, **outcome),
            )
            await self.conn.commit()

    async def record_call(self, run: str, task_id: str, entry: Mapping[str, Any]) -> None:
        """One request's usage, written as soon as its answer arrived: the whole bill survives a
        node that fails later, an errored problem and a crash, where node state would not."""
        async with self.lock:
            await self.conn.execute(
                "INSERT INTO calls (run, task_id, entry, created) VALUES (?, ?, ?, ?)",
                (run, task_id, json.dumps(dict(entry)), time.time()),
            )
            await self.conn.commit()

    async def calls(self, run: str) -> list[dict[str, Any]]:
        """Every request recorded for the run, in order (task id added to each entry)."""
        query = "SELECT task_id, entry FROM calls WHERE run = ? ORDER BY id"
        async with self.lock, self.conn.execute(query, (run,)) as c:
            rows = await c.fetchall()
        return [call_entry(task_id, entry) for task_id, entry in rows]

    async def calls_after(self, run: str, after: int) -> list[tuple[int, float, dict[str, Any]]]:
        """(id, time, entry with task id) of the run's requests after call `after`, in order:
        what a follower of the run (the --log-json event log) has not seen yet."""
        query = "SELECT id, created, task_id, entry FROM calls WHERE run = ? AND id > ? ORDER BY id"
        async with self.lock, self.conn.execute(query, (run, after)) as c:
            rows = await c.fetchall()
        return [(i, float(t), call_entry(task, e)) for i, t, task, e in rows]

    async def results_after(self, run: str, after: float) -> list[tuple[float, ResultRow]]:
        """(finished, row) of the run's results written after time `after`, oldest first."""
        query = (
            "SELECT finished, run, task_id, status, result, base, plus, error FROM results "
            "WHERE run = ? AND finished > ? ORDER BY finished"
        )
        async with self.lock, self.conn.execute(query, (run, after)) as c:
            rows = await c.fetchall()
        return [(float(r[0]), result_row(r[1:])) for r in rows]

    async def data_version(self) -> tuple[Any, ...]:
        """Changes whenever a run, result or request is written: what a live view polls
        (`explore --watch`), three index lookups instead of reading the runs."""
        async with self.lock, self.conn.execute(DATA_VERSION) as c:
            return tuple(await c.fetchone() or ())

    async def delete_run(self, run: str) -> dict[str, int]:
        """Drop the run's settings, results and calls (checkpoints are the saver's to delete)."""
        counts: dict[str, int] = {}
        async with self.lock:
            for table, column in (("results", "run"), ("calls", "run"), ("runs", "name")):
                cursor = await self.conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (run,))
                counts[table] = cursor.rowcount
            await self.conn.commit()
        return counts

    async def results(self, run: str) -> list[ResultRow]:
        query = (
            "SELECT run, task_id, status, result, base, plus, error FROM results "
            "WHERE run = ? ORDER BY rowid"
        )
        async with self.lock, self.conn.execute(query, (run,)) as c:
            rows = await c.fetchall()
        return [result_row(r) for r in rows]


def _run_from_row(row: dict[str, Any]) -> RunRecord:
    return RunRecord(
        name=row["name"],
        policy=row["policy"],
        generator=json.loads(row["generator"]),
        planner=None if row["planner"] is None else json.loads(row["planner"]),
        budgets=json.loads(row["budgets"]),
        benchmark=row["benchmark"],
        data_hash=row["data_hash"],
        seed=row["seed"],
        problems=int(row["problems"] or 0),
        created=float(row["created"]),
    )


def _differences(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: was {a!r}, now {b!r}")
    return out


MAX_RUN_NAME = 200


def check_run_name(name: str) -> str:
    """A name a new run may take: one line a person can type and read in a report, short
    enough for a terminal, and without `::`, which separates FILE::RUN (--replay) and run from
    task in checkpoint ids (`delete` of run "a" would otherwise reach run "a::b")."""
    if not name.strip():
        raise ConfigError("--run: the run name is empty; name the run, e.g. --run pat-qwen")
    if len(name) > MAX_RUN_NAME:
        raise ConfigError(
            f"--run: the run name has {len(name)} characters; use at most {MAX_RUN_NAME}"
        )
    control = sorted({f"U+{ord(c):04X}" for c in name if unicodedata.category(c) == "Cc"})
    if control:
        raise ConfigError(
            f"--run {name!r}: control characters ({', '.join(control)}) are not allowed in a "
            "run name; use letters, digits, '-', '_', '.'"
        )
    if "::" in name:
        raise ConfigError(
            f"--run {name!r}: '::' is not allowed in a run name (it separates FILE::RUN and a "
            "run from its task ids); use '-' or '_'"
        )
    return name


def check_db_path(path: str | Path, *, create: bool = True) -> Path:
    """The checks that need no connection: not a URL, not a directory nor a device, and present
    unless `create`. Nothing is created or opened here."""
    if "://" in str(path):  # a URL would otherwise become a directory named "postgresql:"
        raise ConfigError(
            f"--db {path}: pass the path of an SQLite file or a postgresql:// URL; other URLs "
            "are not supported"
        )
    file = Path(path)
    if file.is_dir():
        raise ConfigError(f"--db {file} is a directory; pass the path of a database file")
    if file.exists() and not file.is_file():  # never read a FIFO's head (it blocks) nor a device
        raise ConfigError(
            f"--db {file} is not a regular file (a device, FIFO or socket); pass the path of a "
            "database file"
        )
    # Whether the file is an SQLite database is left to SQLite (db_error_message): reading its
    # head here with a plain open() would drop, at close(), every POSIX lock this process holds
    # on the file, SQLite's included, and another process could then checkpoint and delete the
    # WAL under a connection of this one (a follower beside the runner: lost results).
    if not file.exists() and not create:
        raise ConfigError(f"no database at {file}; run `pat-graph run` first or pass --db")
    return file


async def open_db(
    path: str | Path, *, create: bool = True, readonly: bool = False
) -> aiosqlite.Connection:
    """Open (or, with `create`, make) a run database; every failure is one ConfigError.

    `readonly` is for commands that only read (report, export, explore, a replay's source): they
    work on a read-only file system, a file or folder the user may not write, and never change
    the file (see `reader_uri`). A command that writes is told at once that the database is
    read-only, instead of SQLite's "unable to open database file".

    Why so careful: aiosqlite runs each connection on its own thread, and a connection left open
    on an error path keeps the process alive forever. Anything that fails after connecting
    closes the connection before raising.
    """
    file = check_db_path(path, create=create and not readonly)
    if readonly:
        return await _open_reader(file)
    check_writable(file)
    if not file.exists() and not file.parent.exists():
        try:
            file.parent.mkdir(parents=True)
        except OSError as exc:
            raise ConfigError(f"--db {file}: cannot create {file.parent} ({exc})") from exc
    try:
        conn = await aiosqlite.connect(str(file))
    except sqlite3.Error as exc:
        raise ConfigError(f"--db {file}: cannot open the database ({exc})") from exc
    try:
        await conn.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL still survives a killed process (only a power cut can lose the last
        # commits, which resume redoes); FULL's fsync per checkpoint tripled the graph's overhead.
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA busy_timeout=10000")
        await _check_ours(conn, file)
    except BaseException as exc:
        await conn.close()
        if isinstance(exc, sqlite3.Error):
            raise ConfigError(db_error_message(exc, file)) from exc
        raise
    return conn


def check_writable(file: Path) -> None:
    """SQLite needs the file and its folder (for the -wal file) writable; say so plainly."""
    if file.exists() and not (os.access(file, os.W_OK) and os.access(file.parent, os.W_OK)):
        raise ConfigError(
            f"the database {file} is read-only (a read-only file system, or a file or folder "
            "you may not write) and this command writes to it; make both writable or copy the "
            "database elsewhere (report, export and explore can read it as it is)"
        )
    folder = next((p for p in (file.parent, *file.parent.parents) if p.exists()), None)
    if not file.exists() and folder is not None and not os.access(folder, os.W_OK):
        raise ConfigError(f"cannot create the database {file}: {folder} is read-only")


async def _check_ours(conn: aiosqlite.Connection, file: Path) -> set[str]:
    """The file's tables; ConfigError when they belong to something else."""
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as c:
        tables = {row[0] for row in await c.fetchall()}
    foreign = tables - OWN_TABLES - {"sqlite_sequence"}
    if foreign and not tables & {"runs", "checkpoints"}:
        raise ConfigError(
            f"--db {file} is an SQLite database that pat-graph did not create (tables: "
            f"{', '.join(sorted(foreign))}); pass another --db"
        )
    return tables


def reader_uri(path: str | Path) -> str:
    """The URI a command that only reads opens `path` with (sqlite3 or aiosqlite, uri=True).

    A file and folder it may write: the plain file (so SQLite tidies its -wal file on close as
    usual; readers set `query_only`). Otherwise `mode=ro`; and where even that cannot open (a
    WAL database whose folder is read-only: SQLite cannot create the -shm file), `immutable=1`,
    which is exact as long as no -wal file holds changes: when one does, ConfigError says so."""
    file = Path(path).resolve()
    base = file.as_uri()
    if os.access(file, os.W_OK) and os.access(file.parent, os.W_OK):
        return base
    uri = f"{base}?mode=ro"
    try:
        probe = sqlite3.connect(uri, uri=True)
        try:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return uri
        finally:
            probe.close()
    except sqlite3.Error as exc:
        # CANTOPEN on a read-only mount, READONLY_DIRECTORY in a folder the user may not write
        name = getattr(exc, "sqlite_errorname", "")
        if name != "SQLITE_CANTOPEN" and not name.startswith("SQLITE_READONLY"):
            raise
    wal = file.with_name(file.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ConfigError(
            f"the database {path} is read-only and its last changes are still in {wal.name}, "
            "which SQLite cannot read without writing beside it; copy the database with its "
            "-wal file to a writable folder and read the copy"
        )
    return f"{base}?immutable=1"


def connect_reader(path: str | Path) -> sqlite3.Connection:
    """A plain sqlite3 connection for reading only (the explorer's checkpoint reads)."""
    conn = sqlite3.connect(reader_uri(path), uri=True)
    conn.execute("PRAGMA query_only=1")
    return conn


async def _open_reader(file: Path) -> aiosqlite.Connection:
    """A connection that cannot change the file: tables an older database lacks are empty TEMP
    tables (so readers need no schema checks), then `query_only`."""
    from pat_graph.models.responses import SCHEMA as RESPONSES_SCHEMA

    try:
        conn = await aiosqlite.connect(reader_uri(file), uri=True)
    except sqlite3.Error as exc:
        raise ConfigError(db_error_message(exc, file)) from exc
    try:
        await conn.execute("PRAGMA busy_timeout=10000")
        tables = await _check_ours(conn, file)
        for statement in f"{SCHEMA};{RESPONSES_SCHEMA}".split(";"):
            head = statement.split("(", 1)[0].split()
            if head[:5] == ["CREATE", "TABLE", "IF", "NOT", "EXISTS"] and head[5] not in tables:
                await conn.execute(statement.replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
        await conn.execute("PRAGMA query_only=1")
    except BaseException as exc:
        await conn.close()
        if isinstance(exc, sqlite3.Error):
            raise ConfigError(db_error_message(exc, file)) from exc
        raise
    return conn


def db_error_message(exc: sqlite3.Error, file: str | Path) -> str:
    """One line that says what happened to the database and what to do about it."""
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith("SQLITE_READONLY") or "readonly" in str(exc):
        return (
            f"the database {file} is read-only ({exc}); make it and its directory writable "
            "or pass another --db"
        )
    if name == "SQLITE_FULL" or "is full" in str(exc):
        return f"the disk holding {file} is full ({exc}); free some space and run again"
    if name == "SQLITE_NOTADB" or "not a database" in str(exc):
        return f"--db {file} is not an SQLite database{_starts_with(file)}; pass the run database"
    return f"the database {file} failed: {type(exc).__name__}: {exc}"


def _starts_with(file: str | Path) -> str:
    """What the file starts with, for the message about a file SQLite refused (no lock of this
    process can be on a file that is not a database)."""
    try:
        with Path(file).open("rb") as fh:
            head = fh.read(12)
    except OSError:
        return ""
    return f" (it starts with {head!r})" if head else " (it is empty)"
