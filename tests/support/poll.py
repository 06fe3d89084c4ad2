"""Counting rows of a run's database many times a second while other processes write it.

The fault and scale-out tests wait for "N problems done" or "worker W holds a problem" by asking
every 20 ms. A new connection per question (a whole PostgreSQL backend each time) and reading
every result's JSON to count them cost the suite CPU that the runs under test need; one
connection kept open, asking for a count in SQL, answers the same question.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any


class Poller:
    """One open read connection to a SQLite file or PostgreSQL URL, reopened after an error
    (a restarting server, dropped connections, a file not created yet)."""

    def __init__(self, db: str | Path) -> None:
        self.db = str(db)
        self.pg = self.db.startswith("postgresql://")
        self._conn: Any = None

    def _connect(self) -> Any:
        if self.pg:
            import psycopg

            return psycopg.connect(self.db, autocommit=True, connect_timeout=5)
        if not Path(self.db).exists():
            raise FileNotFoundError(self.db)  # not created yet: opening it must not create it
        uri = f"file:{Path(self.db).resolve()}?mode=ro"
        # autocommit: each SELECT reads the latest committed state, no snapshot is kept open
        return sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)

    def count(self, query: str, params: tuple[Any, ...] = (), default: int = 0) -> int:
        """`SELECT count(*) ...` with `?` placeholders; `default` while it cannot be answered
        (no file, no table, the server restarting)."""
        try:
            if self._conn is None:
                self._conn = self._connect()
            sql = query.replace("?", "%s") if self.pg else query
            return int(self._conn.execute(sql, params).fetchone()[0])
        except Exception:
            self.close()
            return default

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> Poller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
