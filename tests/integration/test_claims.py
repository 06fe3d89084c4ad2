"""The claims protocol on SQLite and on a real PostgreSQL: never the same problem to two
workers, a dead worker's problem taken over when its lease expires, a late result fenced out,
and errored problems retried only by a new `run`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from pat_graph.runs.claims import claims_of
from pat_graph.runs.database import open_database
from pat_graph.runs.store import RunRecord

pytestmark = pytest.mark.integration

RUN = "c"
RECORD = RunRecord(RUN, "pat", {"name": "m"}, None, {}, "bench", "hash")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "claims.sqlite")
    return request.getfixturevalue("pg_url")


async def _setup(store: Any, ids: list[str]) -> Any:
    claims = claims_of(store)
    await claims.setup()
    await store.register_run(RECORD)
    await claims.add(RUN, ids, retry_errored=True)
    return claims


async def test_concurrent_claims_never_share_a_problem(db: str) -> None:
    ids = [f"t{i}" for i in range(30)]
    async with open_database(db) as (_s1, store1), open_database(db) as (_s2, store2):
        c1 = await _setup(store1, ids)
        c2 = claims_of(store2)

        async def take(claims: Any, worker: str) -> list[str]:
            got = []
            while (claim := await claims.claim(RUN, worker, 60)) is not None:
                got.append(claim.task_id)
                await asyncio.sleep(0.01)  # let the other worker in between claims
            return got

        a, b = await asyncio.gather(take(c1, "h:1:a"), take(c2, "h:2:b"))
    assert sorted(a + b) == sorted(ids)  # every problem once
    assert not set(a) & set(b)
    assert a and b  # both workers got work


async def test_expired_lease_is_taken_over_and_the_late_result_is_fenced(db: str) -> None:
    async with open_database(db) as (_saver, store):
        claims = await _setup(store, ["x", "y"])
        first = await claims.claim(RUN, "elsewhere:1:dead", 0.3)
        assert first is not None and first.task_id == "x" and first.attempt == 1
        live = await claims.claim(RUN, "elsewhere:2:live", 60)
        assert live is not None and live.task_id == "y"
        assert await claims.claim(RUN, "elsewhere:3:new", 60) is None  # both leased
        left = await claims.pending(RUN)
        assert (left.free, left.held) == (0, 2)
        await asyncio.sleep(0.6)  # the first worker stopped renewing: its lease expires
        again = await claims.claim(RUN, "elsewhere:3:new", 60)
        assert again is not None and again.task_id == "x" and again.attempt == 2
        # The dead worker comes back late: its result is thrown away, the new holder's kept.
        assert not await claims.finish(RUN, "x", "elsewhere:1:dead", status="done", result={"a": 1})
        assert await claims.finish(RUN, "x", "elsewhere:3:new", status="done", result={"a": 2},
                                   base=True)  # fmt: skip
        assert await claims.renew(RUN, "elsewhere:2:live", 60) == {"y"}
        rows = {r.task_id: r for r in await store.results(RUN)}
        assert rows["x"].result == {"a": 2} and rows["x"].base is True
        assert "y" not in rows


async def test_errored_problems_are_retried_by_a_new_run_not_by_a_joining_worker(db: str) -> None:
    async with open_database(db) as (_saver, store):
        claims = await _setup(store, ["x"])
        claim = await claims.claim(RUN, "h:1:w", 60)
        assert claim is not None
        assert await claims.finish(RUN, "x", "h:1:w", status="errored", error="boom")
        await claims.add(RUN, [], retry_errored=False)  # a `pat-graph worker` joining
        assert await claims.claim(RUN, "h:2:w", 60) is None
        await claims.add(RUN, ["x"], retry_errored=True)  # a new `pat-graph run`
        again = await claims.claim(RUN, "h:2:w", 60)
        assert again is not None and again.attempt == 2
        assert await claims.finish(RUN, "x", "h:2:w", status="done", result={}, base=False)
        assert (await claims.pending(RUN)).done == 1


async def test_a_stopping_worker_gives_back_every_lease_it_holds_and_only_its_own(db: str) -> None:
    """A stop can land while a claim commits, so the worker's own list of problems lacks one it
    holds: release without ids gives back all of that worker's leases, no one else's."""
    async with open_database(db) as (_saver, store):
        claims = await _setup(store, ["a", "b", "c", "d"])
        for worker in ("h:1:stopping", "h:1:stopping", "h:2:other"):
            assert await claims.claim(RUN, worker, 60) is not None
        await claims.release(RUN, "h:2:other", ["a", "b"])  # ids it does not hold: no change
        assert (await claims.pending(RUN)).held == 3
        await claims.release(RUN, "h:1:stopping")
        left = await claims.pending(RUN)
        assert (left.free, left.held) == (3, 1)
        assert await claims.renew(RUN, "h:2:other", 60) == {"c"}


async def test_processes_opening_a_new_postgres_database_at_once_do_not_wait_forever(
    pg_url: str,
) -> None:
    """The checkpointer's first setup builds an index CONCURRENTLY, which waits for every
    statement already running; a second opener waiting inside `pg_advisory_lock` for the
    setup lock was one, so a run and its event log's follower (or `--workers N`) starting on a
    new database could wait for each other forever."""
    from contextlib import AsyncExitStack

    async def open_one(stack: AsyncExitStack) -> Any:
        _saver, store = await stack.enter_async_context(open_database(pg_url, pool_size=2))
        return store

    async with AsyncExitStack() as stack:
        stores = await asyncio.wait_for(
            asyncio.gather(*(open_one(stack) for _ in range(4))), timeout=60
        )
        await stores[0].register_run(RECORD)
        assert [r.name for r in await stores[3].list_runs()] == [RUN]
