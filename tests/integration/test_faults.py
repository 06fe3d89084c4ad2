"""`pat-graph run` against a server that fails 20% of calls: every problem ends finished or
errored with a message, a second run finishes the errored ones, and the ledger counts each
answer the server returned at most once.

What "counted twice" means here (also in docs/benchmarks.md): the ledger of a finished problem
holds one entry per server answer that its final, successful attempt consumed. Failed attempts
of a request (HTTP 500, 429, timeout, reset) returned no usage and appear nowhere; the client
retries them, and only the attempt that returned an answer is billed. An errored problem's rerun
continues from its checkpoint, so answers its completed nodes received before the error stay in
its ledger, once; answers lost with the failed step are paid for but belong to no result.
With `usage_ids=True` every answer's completion_tokens is its own sequence number, so the test
can check the ledger answer by answer, not just in total.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tests.integration.fault_helpers import (
    cli,
    results,
    run_args,
    setup_run,
    synthetic_reply,
    task_index,
)
from tests.support.faulty_server import FAULTS, FaultyServer

pytestmark = pytest.mark.integration

N = 100
RUN = "faults"


def _index(task_id: str) -> int:
    return int(task_id.split("/")[1])


def test_faulty_server_then_rerun_finishes_everything_and_counts_each_answer_once(
    tmp_path: Path,
) -> None:
    db = tmp_path / "runs.sqlite"
    with FaultyServer(
        synthetic_reply, fault_rate=0.2, seed=11, usage_ids=True, hang_s=4.0
    ) as server:
        # One retry: a request that meets two faults in a row (about 4% of them) runs out of
        # retries, so the first run leaves errored problems for the second to finish. The
        # client waits 3 s: with 1 s, an answer the loaded machine (six test workers on two
        # cores) was slow to send counted as one more connection error than the server made.
        setup_run(tmp_path, server.base_url, N, max_retries=1, timeout_s=3.0)

        first = cli(run_args(tmp_path, db, RUN))
        after_first = results(db, RUN)
        kinds = Counter(e.fault for e in server.exchanges)
        # The faults really happened, every kind of them, at about the asked-for rate.
        assert set(FAULTS) <= set(kinds), kinds
        assert 0.12 < 1 - kinds[None] / len(server.exchanges) < 0.28
        assert len(after_first) == N, first.stderr[-2000:]
        errored = {t for t, r in after_first.items() if r["status"] == "errored"}
        assert all(after_first[t]["error"] for t in errored)  # errored, with a message
        assert set(after_first) - errored == {
            t for t, r in after_first.items() if r["status"] == "done"
        }
        assert errored, "with one retry, some requests must run out of retries"
        assert first.returncode == 1 and "re-run the same command" in first.stderr

        server.phase, server.fault_rate = "run2", 0.0  # the outage is over
        second = cli(run_args(tmp_path, db, RUN))
        assert second.returncode == 0, second.stderr[-2000:]
        final = results(db, RUN)
        report = json.loads(cli(["report", "--db", str(db), "--run", RUN, "--json"]).stdout)[0]

    assert {t: r["status"] for t, r in final.items()} == dict.fromkeys(after_first, "done")
    # The first run's results were written once and left alone by the second run.
    for task_id in set(after_first) - errored:
        assert final[task_id]["result"] == after_first[task_id]["result"]

    served: dict[tuple[str, int], set[int]] = defaultdict(set)
    for e in server.usable():
        served[(e.phase, task_index(e.target))].add(e.seq)
    ledger_ids: list[int] = []
    for task_id, row in final.items():
        ids = [entry["output_tokens"] for entry in row["result"]["ledger"]]
        ledger_ids += ids
        run1, run2 = served[("run1", _index(task_id))], served[("run2", _index(task_id))]
        if task_id in errored:
            # Resumed (or restarted): every answer of the rerun counts, earlier ones at most once.
            assert run2 <= set(ids) <= run1 | run2, task_id
        else:
            assert sorted(ids) == sorted(run1), task_id  # exactly its answers, each once
    assert len(ledger_ids) == len(set(ledger_ids))

    # The report's "used" adds up the final results' ledgers: exactly those answers.
    assert report["done"] == N and report["errored"] == 0
    roles = ("generator", "planner")
    used = report["used"]
    assert sum(used["llm_calls"][r] for r in roles) == len(ledger_ids)
    assert sum(used["tokens"][r]["output"] for r in roles) == sum(ledger_ids)
    # The whole bill (issue 12) is every answer the server delivered, each once, including
    # those received by attempts that errored and belong to no result.
    paid = [e.seq for e in server.usable()]
    assert report["bill"] == "calls"
    assert sum(report["llm_calls"][r] for r in roles) == len(paid)
    assert sum(report["tokens"][r]["output"] for r in roles) == sum(paid)
    # Answers in no ledger were all received by attempts that errored (paid, never used).
    errored_ids = {_index(t) for t in errored}
    unused = [e for e in server.usable() if e.seq not in set(ledger_ids)]
    assert all(e.phase == "run1" and task_index(e.target) in errored_ids for e in unused)
    assert report["cost_usd"] > used["cost_usd"] if unused else True
    # Every 429 and 500 the server sent, and every attempt it left unanswered, is counted on
    # the request it belonged to (issue 22), answered or failed after its retries.
    http = {k: sum(report["http"][r][k] for r in roles) for k in report["http"]["generator"]}
    assert http["rate_limited"] == kinds["http429"]
    assert http["server_errors"] == kinds["http500"]
    assert http["connection_errors"] == kinds["timeout"] + kinds["reset"]
    assert http["failed_requests"] >= 1  # the requests that ran out of retries in run 1
