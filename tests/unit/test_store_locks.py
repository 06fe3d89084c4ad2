"""Opening a run database never opens its file outside SQLite.

Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
included: another process may then take itself for the last user, checkpoint and delete the
WAL under a writer of this one, whose later commits are lost (seen with `run --log-json`, whose
follower reads the database in the runner's process). So the path checks only `stat` the file,
and SQLite alone says whether it is a database.
"""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path

import pytest

from pat_graph.errors import ConfigError
from pat_graph.runs.pgstore import open_run_store
from pat_graph.runs.store import check_db_path, open_db


def spy_on_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path opened through Python (open, Path.open, os.open) from now on."""
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file, *args, **kwargs):
        seen.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(path, *args, **kwargs):
        seen.append(str(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)  # what Path.open calls
    monkeypatch.setattr(os, "open", spy_os_open)
    return seen


async def test_readers_and_writers_open_the_file_only_through_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "runs.sqlite"
    async with open_run_store(str(db), create=True) as store:  # a real run database, in WAL
        await store.list_runs()
    opened = spy_on_opens(monkeypatch)
    check_db_path(db)
    await (await open_db(db, create=False)).close()
    async with open_run_store(str(db), readonly=True) as store:
        await store.list_runs()
    assert not [p for p in opened if Path(p).name.startswith("runs.sqlite")]


async def test_a_file_that_is_not_a_database_is_still_named_so(tmp_path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello, not a database\n")
    for readonly in (False, True):
        with pytest.raises(ConfigError, match=r"not an SQLite database \(it starts with b'hello"):
            await open_db(notes, create=False, readonly=readonly)
    assert notes.read_text() == "hello, not a database\n"
