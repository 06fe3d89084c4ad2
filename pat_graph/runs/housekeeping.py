"""Housekeeping on a run database: prune a run's finished checkpoints, delete a whole run."""

from __future__ import annotations

from pathlib import Path

from pat_graph.errors import ConfigError
from pat_graph.runs.claims import claims_of
from pat_graph.runs.database import open_database, thread_id
from pat_graph.runs.pgstore import is_postgres_url


async def prune_run(db_path: str | Path, run: str) -> int:
    """Delete the checkpoints of a run's finished problems; results and ledgers stay."""
    async with open_database(db_path, create=False) as (saver, store):
        if await store.get_run(run) is None:
            raise ConfigError(f"unknown run {run!r} in {db_path}")
        done = [t for t, s in (await store.statuses(run)).items() if s == "done"]
        for task_id in done:
            await saver.adelete_thread(thread_id(run, task_id))
        if is_postgres_url(db_path):  # autovacuum gives PostgreSQL's pages back
            return len(done)
        # Deleting frees pages inside the file; VACUUM gives them back to the disk.
        await store.conn.commit()
        await store.conn.execute("VACUUM")
        return len(done)


async def delete_run(db_path: str | Path, run: str, *, force: bool = False) -> dict[str, int]:
    """Remove one run: its settings, results, call ledger and every checkpoint thread.

    Other runs in the same file are untouched. Without `force`, a run with finished results is
    refused, because those results cost money to produce and cannot be recomputed for free.
    """
    async with open_database(db_path, create=False) as (saver, store):
        if await store.get_run(run) is None:
            known = ", ".join(r.name for r in await store.list_runs()) or "none"
            raise ConfigError(f"unknown run {run!r} in {db_path}; known: {known}")
        statuses = await store.statuses(run)
        done = sum(1 for s in statuses.values() if s == "done")
        if done and not force:
            raise ConfigError(
                f"run {run!r} has {done} finished result(s); pass --force to delete them, its "
                "checkpoints and its call ledger"
            )
        prefix = thread_id(run, "")
        if is_postgres_url(db_path):
            threads = await store.thread_ids(prefix)
        else:
            query = "SELECT DISTINCT thread_id FROM checkpoints WHERE substr(thread_id, 1, ?) = ?"
            async with store.lock, store.conn.execute(query, (len(prefix), prefix)) as cursor:
                threads = [row[0] for row in await cursor.fetchall()]
        for tid in threads:
            await saver.adelete_thread(tid)
        counts = await store.delete_run(run)  # PostgreSQL's also drops the claims
        counts["threads"] = len(threads)
        if is_postgres_url(db_path):
            return counts
        await claims_of(store).delete(run)
        from pat_graph.models.responses import forget  # issue 14: its recorded answers and notes

        counts["responses"] = await forget(store.conn, store.lock, run)
        await store.conn.commit()
        await store.conn.execute("VACUUM")
        return counts
