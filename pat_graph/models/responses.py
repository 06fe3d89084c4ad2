"""The response store: every model answer a run receives, kept so the run can be replayed.

Why not only LangChain's cache: `BaseCache` maps (prompt, llm string) to one list of generations.
A run asks the same question many times on purpose (repeated sampling at temperature > 0; the same
helper re-implemented in another round) and each ask must get its own answer, and answers belong
to a problem (two problems asking the same thing must not share samples in one run, or a replay
would change which problem paid). So the store is a wrapper around `llm.sample`, through which
every request goes, and keys each *sample* by:

- the request identity (`request_key`): model id and endpoint host, the messages, temperature,
  max tokens and the run's seed; `n` is recorded with each request but is not part of the key;
- the problem (task id), and
- the position: the k-th sample asked for with this key in this problem.

A request for n samples reserves the next n positions. Keeping `n` out of the key is what lets
`--pair-with` share samples between policies that ask for different numbers at once (PaT's five
trials are the first five of Best-of-N's ten when the prompts are the same); for a replay of the
same run every request maps to exactly the recorded one, tokens included.

A `ProblemBook` (one per problem, installed with `scope` like `llm.record_calls`) answers from
the sources (a replayed run, a paired run) where it can and records every answer, live or
replayed, in the run's own `responses` rows, so a replayed run is itself a complete, shareable
record.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from pat_graph.errors import PatError

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL,
    task_id TEXT NOT NULL,
    key TEXT NOT NULL,
    position INTEGER NOT NULL,
    n INTEGER NOT NULL,
    texts TEXT NOT NULL,
    usage TEXT NOT NULL,
    request TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_by_run ON responses (run, task_id);
CREATE TABLE IF NOT EXISTS run_notes (
    run TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run, key)
);
"""

_BOOK: ContextVar[ProblemBook | None] = ContextVar("pat_graph_problem_book", default=None)
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


class ReplayMiss(PatError):
    """A replay without the endpoint's key needed an answer that the store does not hold."""


@dataclass(frozen=True)
class Request:
    """One request as the store sees it (its `key` without the positions)."""

    key: str
    identity: dict[str, Any]
    n: int


@dataclass(frozen=True)
class Served:
    texts: list[str]
    usage: dict[str, Any]  # input/output/cached/reasoning tokens, usage_reported
    source: str  # the run the answer came from


def endpoint_identity(chat: Any) -> str:
    """The server's host: the same model id at two providers is two models, but a local server
    that came back on another port is the same one (ports change between a crash and a resume)."""
    for attr in ("openai_api_base", "base_url"):
        value = getattr(chat, attr, None)
        if isinstance(value, str) and value:
            host = urlparse(value).hostname or value
            return "loopback" if host in _LOOPBACK else host
    return "in-process"


def request_identity(
    model: Any, messages: Sequence[Any], *, temperature: float, seed: int | None
) -> dict[str, Any]:
    """What determines an answer, except `n` and the position (see the module docstring)."""
    from pat_graph.models.roles import model_name

    chat = model.chat
    max_tokens = getattr(chat, "max_tokens", None)
    if max_tokens is None:
        max_tokens = getattr(chat, "max_completion_tokens", None)
    return {
        "model": model_name(chat),
        "endpoint": endpoint_identity(chat),
        "messages": [[getattr(m, "type", "?"), str(m.content)] for m in messages],
        "temperature": temperature,
        "max_tokens": max_tokens,
        "seed": seed,
    }


def key_of(identity: Mapping[str, Any]) -> str:
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def derived_seed(seed: int, task_id: str, key: str, position: int) -> int:
    """The seed sent with one request: a function of the run's seed, the problem, the request and
    its position only, so a rerun (or a resume) sends the same seed for the same request."""
    digest = hashlib.sha256(f"{seed}:{task_id}:{key}:{position}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass
class _Row:
    position: int
    texts: list[str]
    usage: dict[str, Any]


@dataclass
class Source:
    """A recorded run's samples in memory: (task, key) -> position -> (text, row)."""

    run: str
    where: str
    pools: dict[tuple[str, str], dict[int, tuple[str, _Row]]] = field(default_factory=dict)

    def add(self, task_id: str, key: str, row: _Row) -> None:
        pool = self.pools.setdefault((task_id, key), {})
        for i, text in enumerate(row.texts):
            pool.setdefault(row.position + i, (text, row))

    def take(self, task_id: str, key: str, start: int, want: int) -> Served | None:
        """The recorded samples at positions start.. (the contiguous prefix, at most `want`)."""
        pool = self.pools.get((task_id, key))
        if not pool:
            return None
        got: list[tuple[str, _Row]] = []
        while len(got) < want and start + len(got) in pool:
            got.append(pool[start + len(got)])
        if not got:
            return None
        rows = list({id(r): r for _, r in got}.values())
        return Served([t for t, _ in got], _usage_of(rows, got, start), self.run)

    @property
    def samples(self) -> int:
        return sum(len(p) for p in self.pools.values())


def _usage_of(rows: list[_Row], got: list[tuple[str, _Row]], start: int) -> dict[str, Any]:
    """The recorded usage when the samples are exactly one recorded request (a replay); else the
    prompt counted once and each sample's share of its request's output (a pairing)."""
    if len(rows) == 1 and rows[0].position == start and len(rows[0].texts) == len(got):
        return dict(rows[0].usage)
    first = rows[0].usage
    usage: dict[str, Any] = {
        "input_tokens": int(first.get("input_tokens") or 0),
        "cached_tokens": int(first.get("cached_tokens") or 0),
        "usage_reported": all(r.usage.get("usage_reported", True) for r in rows),
    }
    for name in ("output_tokens", "reasoning_tokens"):
        usage[name] = round(sum(int(r.usage.get(name) or 0) / max(1, len(r.texts)) for _, r in got))
    return usage


async def setup(conn: Any, lock: asyncio.Lock) -> None:
    async with lock:
        await conn.executescript(SCHEMA)
        await conn.commit()


async def load_source(conn: Any, lock: asyncio.Lock, run: str, where: str) -> Source:
    source = Source(run, where)
    query = "SELECT task_id, key, position, texts, usage FROM responses WHERE run = ? ORDER BY id"
    async with lock, conn.execute(query, (run,)) as cursor:
        rows = await cursor.fetchall()
    for task_id, key, position, texts, usage in rows:
        source.add(task_id, key, _Row(int(position), json.loads(texts), json.loads(usage)))
    return source


@dataclass
class Library:
    """A run's sources and where to record: makes one `ProblemBook` per problem."""

    conn: Any
    lock: asyncio.Lock
    run: str
    seed: int | None = None
    sources: list[Source] = field(default_factory=list)
    offline: str | None = None  # why live calls are impossible (no key), or None

    async def book(self, task_id: str) -> ProblemBook:
        """Positions continue after what this run already recorded for the problem, so a
        resumed problem does not take its earlier answers' places again."""
        cursors: dict[str, int] = {}
        query = "SELECT key, position, n FROM responses WHERE run = ? AND task_id = ?"
        async with self.lock, self.conn.execute(query, (self.run, task_id)) as cursor:
            for key, position, n in await cursor.fetchall():
                cursors[key] = max(cursors.get(key, 0), int(position) + int(n))
        return ProblemBook(self, task_id, cursors)


@dataclass
class ProblemBook:
    library: Library
    task_id: str
    cursors: dict[str, int]
    spent: float = 0.0  # this problem's real spend, every invocation (replays are free)
    limit: float | None = None  # max_problem_cost_usd

    def request(
        self, model: Any, messages: Sequence[Any], *, n: int, temperature: float
    ) -> Request:
        identity = request_identity(
            model, messages, temperature=temperature, seed=self.library.seed
        )
        return Request(key_of(identity), identity, n)

    def reserve(self, request: Request, count: int) -> int:
        """Positions start..start+count-1 for this request (synchronous: concurrent identical
        requests get distinct positions in the order they asked)."""
        start = self.cursors.get(request.key, 0)
        self.cursors[request.key] = start + count
        return start

    def lookup(self, request: Request, start: int, want: int) -> Served | None:
        for source in self.library.sources:
            served = source.take(self.task_id, request.key, start, want)
            if served is not None:
                return served
        return None

    def seed_for(self, request: Request, position: int) -> int | None:
        seed = self.library.seed
        return None if seed is None else derived_seed(seed, self.task_id, request.key, position)

    def check_live(self, request: Request, purpose: str) -> None:
        if self.library.offline:
            where = ", ".join(s.run for s in self.library.sources) or "the store"
            raise ReplayMiss(
                f"problem {self.task_id} needed a {purpose} call to {request.identity['model']} "
                f"that {where} did not record ({self.library.offline}); run with the key set to "
                "pay for it"
            )
        from pat_graph.models.spend import check_problem

        check_problem(self.spent, self.limit, self.task_id)

    async def record(
        self, request: Request, position: int, texts: list[str], usage: Mapping[str, Any]
    ) -> None:
        lib = self.library
        async with lib.lock:
            await lib.conn.execute(
                "INSERT INTO responses (run, task_id, key, position, n, texts, usage, request, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    lib.run,
                    self.task_id,
                    request.key,
                    position,
                    len(texts),
                    json.dumps(texts),
                    json.dumps(dict(usage)),
                    json.dumps({**request.identity, "n": request.n}),
                    time.time(),
                ),
            )
            await lib.conn.commit()


def current_book() -> ProblemBook | None:
    return _BOOK.get()


@contextmanager
def scope(book: ProblemBook | None) -> Iterator[None]:
    """Answer and record the requests made inside this block (this task and its children)."""
    token = _BOOK.set(book)
    try:
        yield
    finally:
        _BOOK.reset(token)


async def set_note(conn: Any, lock: asyncio.Lock, run: str, key: str, value: Any) -> None:
    """Facts about a run that are not its settings (replayed from, paired with, budget stop)."""
    async with lock:
        if value is None:
            await conn.execute("DELETE FROM run_notes WHERE run = ? AND key = ?", (run, key))
        else:
            await conn.execute(
                "INSERT OR REPLACE INTO run_notes VALUES (?, ?, ?)", (run, key, json.dumps(value))
            )
        await conn.commit()


async def notes(conn: Any, lock: asyncio.Lock, run: str) -> dict[str, Any]:
    query = "SELECT key, value FROM run_notes WHERE run = ?"
    async with lock, conn.execute(query, (run,)) as cursor:
        return {k: json.loads(v) for k, v in await cursor.fetchall()}


async def forget(conn: Any, lock: asyncio.Lock, run: str) -> int:
    """Drop a run's recorded answers and notes (`pat-graph delete`); returns the answers dropped."""
    await setup(conn, lock)
    async with lock:
        cursor = await conn.execute("DELETE FROM responses WHERE run = ?", (run,))
        await conn.execute("DELETE FROM run_notes WHERE run = ?", (run,))
        await conn.commit()
    return int(cursor.rowcount)
