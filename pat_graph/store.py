"""The `runs` and `results` tables, kept in the same SQLite file as the checkpoints.

Why the same file and connection: a run's settings, its final results and its resumable threads
must travel together (copy one file, keep everything), and sharing the checkpointer's connection
and lock serialises every write in the process, so a result is committed in one statement and
never races a checkpoint write.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
"""

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


class Store:
    """Runs and results on an open aiosqlite connection; `lock` serialises writes."""

    def __init__(self, conn: aiosqlite.Connection, lock: asyncio.Lock | None = None) -> None:
        self.conn = conn
        self.lock = lock or asyncio.Lock()

    async def setup(self) -> None:
        async with self.lock:
            await self.conn.execute("PRAGMA busy_timeout=10000")
            await self.conn.executescript(SCHEMA)
            await self.conn.commit()

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
                await self.conn.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        return await self.get_run(record.name) or record

    async def statuses(self, run: str) -> dict[str, str]:
        async with (
            self.lock,
            self.conn.execute("SELECT task_id, status FROM results WHERE run = ?", (run,)) as c,
        ):
            return {task_id: status for task_id, status in await c.fetchall()}

    async def write_result(
        self,
        run: str,
        task_id: str,
        *,
        status: str,
        result: Mapping[str, Any] | None = None,
        base: bool | None = None,
        plus: bool | None = None,
        error: str | None = None,
    ) -> None:
        """One statement, one commit: a result is either fully there or not at all."""
        async with self.lock:
            await self.conn.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run,
                    task_id,
                    status,
                    None if result is None else json.dumps(result),
                    None if base is None else int(base),
                    None if plus is None else int(plus),
                    error,
                    time.time(),
                ),
            )
            await self.conn.commit()

    async def results(self, run: str) -> list[ResultRow]:
        query = (
            "SELECT run, task_id, status, result, base, plus, error FROM results "
            "WHERE run = ? ORDER BY rowid"
        )
        async with self.lock, self.conn.execute(query, (run,)) as c:
            rows = await c.fetchall()
        return [
            ResultRow(
                r[0],
                r[1],
                r[2],
                None if r[3] is None else json.loads(r[3]),
                _bool(r[4]),
                _bool(r[5]),
                r[6],
            )
            for r in rows
        ]


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


async def open_db(path: str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path)
    await conn.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL still survives a killed process (only a power cut can lose the last
    # commits, which resume redoes); FULL's fsync per checkpoint tripled the graph's overhead.
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute("PRAGMA busy_timeout=10000")
    return conn
