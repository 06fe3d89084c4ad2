"""The embedded model loads only when this process will ask it something: `run` repeated after
every problem was done (README: "run it again: finished problems are skipped") and the parent of
`--workers N` ask nothing, so they must not wait for llama.cpp to load."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from pat_graph.models import local
from pat_graph.models.config import LOCAL, load_config
from pat_graph.runs.claims import claims_of
from pat_graph.runs.database import open_database
from pat_graph.runs.setup import NOT_SERVED, _role_models, nothing_to_solve
from pat_graph.runs.store import RunRecord


async def _run_with(db: Path, statuses: dict[str, str]) -> None:
    async with open_database(db) as (_saver, store):
        claims = claims_of(store)
        await claims.setup()
        await store.register_run(RunRecord("r", "standard", {"name": "m"}, None, {}, "b", "h"))
        await claims.add("r", list(statuses), retry_errored=True)
        for _ in statuses:
            got = await claims.claim("r", "h:1:w", 60)
            assert got is not None
            status = statuses[got.task_id]
            await claims.finish("r", got.task_id, "h:1:w", status=status, base=True)


async def test_nothing_to_solve_only_when_every_selected_problem_is_done(tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    assert not await nothing_to_solve(str(db), "r", ["a"])  # no database yet
    await _run_with(db, {"a": "done", "b": "done", "c": "errored"})
    assert await nothing_to_solve(str(db), "r", ["a", "b"])
    assert not await nothing_to_solve(str(db), "r", ["a", "c"])  # errored: a new run retries it
    assert not await nothing_to_solve(str(db), "r", ["a", "d"])  # never started
    assert not await nothing_to_solve(str(db), "other", ["a"])
    assert not await nothing_to_solve(str(db), "r", [])
    (tmp_path / "junk.sqlite").write_text("not a database")
    assert not await nothing_to_solve(str(tmp_path / "junk.sqlite"), "r", ["a"])


async def test_a_local_role_without_requests_starts_no_server(monkeypatch) -> None:
    started = []

    class Refused:
        def __init__(self, **_kwargs) -> None:
            started.append(True)
            raise AssertionError("the embedded model's server was started")

    monkeypatch.setattr(local, "LocalServer", Refused)
    chosen = {"generator": load_config(None)[LOCAL]}
    async with contextlib.AsyncExitStack() as stack:
        models = await _role_models(stack, chosen, None, serve_local=False)
    assert not started
    assert models["generator"].chat.base_url == NOT_SERVED  # asked nothing, answers nothing
    async with contextlib.AsyncExitStack() as stack:
        with pytest.raises(AssertionError, match="was started"):
            await _role_models(stack, chosen, None)
    assert started == [True]
