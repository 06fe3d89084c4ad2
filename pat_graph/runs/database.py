"""The run database as one pair (checkpointer, run tables), for SQLite or PostgreSQL.

Apart from the runner so the commands that only maintain a database (prune, delete) open it
without importing the graph and its model layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from pat_graph.runs.pgstore import is_postgres_url, open_postgres
from pat_graph.runs.store import Store, open_db


def thread_id(run: str, task_id: str) -> str:
    """The checkpoint thread of one problem of one run."""
    return f"{run}::{task_id}"


@asynccontextmanager
async def open_database(
    db_path: str | Path, *, create: bool = True, pool_size: int = 8
) -> AsyncIterator[tuple[Any, Any]]:
    """The run database: one connection shared by the checkpointer and the results store, whose
    writes the saver's lock serialises; or, for a postgresql:// URL, one pool of `pool_size`
    connections shared by AsyncPostgresSaver and the run tables (pgstore.py)."""
    if is_postgres_url(db_path):
        async with open_postgres(str(db_path), create=create, pool_size=pool_size) as pair:
            yield pair
        return
    conn = await open_db(db_path, create=create)
    try:
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        store = Store(conn, saver.lock)
        await store.setup()
        yield saver, store
    finally:
        await conn.close()
