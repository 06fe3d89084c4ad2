"""`pat-graph run --json`: the run's summary, as one `report --json` entry, plus what this
invocation did, so a script needs no second `report` call (and cannot pick up another run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pat_graph.reporting.report import load_summaries


async def run_json(
    db: str | Path, run: str, outcome: Any, *, exit_code: int, workers: int = 1
) -> dict[str, Any]:
    """`report --json`'s entry for `run`, with `invocation`: problems solved, skipped (done
    earlier) and errored by this invocation, whether --max-cost-usd stopped it, and its exit
    code. With `run --workers N` the workers' own counts are in the summary, not here."""
    [summary] = await load_summaries(db, [run])
    invocation: dict[str, Any] = {"exit_code": exit_code, "workers": workers}
    if outcome is not None:
        left = outcome.total - outcome.skipped - outcome.done - outcome.errored
        invocation.update(
            solved=outcome.done,
            skipped=outcome.skipped,
            errored=outcome.errored,
            not_started=left,
            budget_stopped=bool(getattr(outcome, "budget_stopped", 0)) and left > 0,
            spent_usd=getattr(outcome, "spent_usd", None),
        )
    return {**summary, "invocation": invocation}
