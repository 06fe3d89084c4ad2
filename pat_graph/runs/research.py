"""What `run --replay/--pair-with/--seed/--max-cost-usd` adds to a batch run (issue 14).

The runner calls `prepare` once after registering the run, `Extras.book` once per problem and
`Extras.finish` at the end; everything else (the response store, the budget guard) lives in
pat_graph.models.responses and pat_graph.models.spend, so the runner's own code stays small.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pat_graph.errors import ConfigError
from pat_graph.graph.nodes.finalize import final_answer
from pat_graph.models.responses import (
    Library,
    ProblemBook,
    Source,
    load_source,
    scope,
    set_note,
    setup,
)
from pat_graph.models.spend import ProblemBudgetReached, SpendGuard, paid
from pat_graph.runs.store import Store, open_db

__all__ = ["ProblemBudgetReached", "ResearchOptions", "capped_state", "prepare", "scope"]


async def open_source(spec: str, db_path: str | Path, run: str) -> Source:
    """`--replay DB_OR_RUN` / `--pair-with RUN`: a run name in this run's database, or a path to
    another database (then its run named like this one, or its only run; `FILE::RUN` picks one).
    """
    path, _, wanted = spec.partition("::")
    own = not Path(path).is_file() or Path(path).resolve() == Path(db_path).resolve()
    file = Path(db_path) if own and not wanted else Path(path)
    name = spec if own and not wanted else wanted
    if own and not wanted and not Path(db_path).is_file():
        raise ConfigError(f"--replay/--pair-with {spec}: no run database at {db_path}")
    conn = await open_db(file, readonly=True)  # only read: another run's file may be read-only
    try:
        store = Store(conn, readonly=True)
        runs = [r.name for r in await store.list_runs()]
        if not name:
            name = run if run in runs else (runs[0] if len(runs) == 1 else "")
            if not name:
                raise ConfigError(
                    f"{file} holds runs {', '.join(runs) or 'none'}; name one as {file}::RUN"
                )
        if name not in runs:
            raise ConfigError(
                f"no run {name!r} in {file} to answer from; known: {', '.join(runs) or 'none'}"
            )
        source = await load_source(conn, store.lock, name, str(file))
    finally:
        await conn.close()
    return source


@dataclass(frozen=True)
class ResearchOptions:
    replay: str | None = None  # DB_OR_RUN whose answers are reused (same run, other place)
    pair_with: str | None = None  # RUN whose samples identical requests share (another policy)
    max_cost_usd: float | None = None  # no new problem starts once real spend reaches this
    offline: str | None = None  # why no live call can be made (no key): a miss names its problem
    record: bool = True  # keep every answer in the run's response store


@dataclass
class Extras:
    library: Library | None
    guard: SpendGuard
    store: Any
    run: str
    problem_limit: float | None
    task_spent: dict[str, float] = field(default_factory=dict)

    async def book(self, task_id: str) -> ProblemBook | None:
        if self.library is None:
            return None
        book = await self.library.book(task_id)
        book.spent = self.task_spent.get(task_id, 0.0)
        book.limit = self.problem_limit
        return book

    async def finish(self, outcome: Any, todo: int) -> None:
        """Record whether the run stopped at its budget (and how many problems it left)."""
        outcome.budget_stopped = self.guard.stopped
        outcome.spent_usd = self.guard.spent
        note = None
        left = outcome.total - outcome.skipped - outcome.done - outcome.errored
        if self.guard.stopped and left > 0:
            note = {"max_cost_usd": self.guard.limit, "spent_usd": self.guard.spent,
                    "not_started": left}  # fmt: skip
        if hasattr(self.store, "conn"):
            await set_note(self.store.conn, self.store.lock, self.run, "budget_stop", note)


async def prepare(
    options: ResearchOptions | None,
    store: Any,
    run: str,
    seed: int | None,
    budgets: Any,
    db_path: str | Path,
) -> Extras:
    options = options or ResearchOptions()
    if not hasattr(store, "conn"):  # the PostgreSQL backend: no response store there yet
        if options.replay or options.pair_with:
            raise ConfigError("--replay and --pair-with need an SQLite --db for now")
        return Extras(None, SpendGuard(options.max_cost_usd), store, run, None)
    await setup(store.conn, store.lock)
    calls = await store.calls(run)
    task_spent: dict[str, float] = defaultdict(float)
    for entry in calls:
        task_spent[entry["task_id"]] += paid(entry)
    sources = []
    for flag, spec in (("replayed_from", options.replay), ("paired_with", options.pair_with)):
        if spec:
            source = await open_source(spec, db_path, run)
            sources.append(source)
            await set_note(
                store.conn, store.lock, run, flag, {"run": source.run, "db": source.where}
            )
    library = None
    if options.record or sources:
        library = Library(store.conn, store.lock, run, seed, sources, options.offline)
    limit = getattr(budgets, "max_problem_cost_usd", None)
    return Extras(
        library,
        SpendGuard(options.max_cost_usd, sum(task_spent.values())),
        store,
        run,
        limit,
        dict(task_spent),
    )


async def capped_state(graph: Any, config: dict[str, Any]) -> dict[str, Any]:
    """The problem's last checkpoint, finalized as the finalize node would: its best program."""
    values = dict((await graph.aget_state(config)).values or {})
    values["final"] = final_answer(values)
    values["budget_capped"] = True
    return values
