"""Issue 14 through the real client stack (the OpenAI stub): replay at $0, a changed knob pays only
for new calls, paired runs share samples, and dollar budgets stop where they should."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.graph.prompts import TRIAL_TASK
from pat_graph.models.config import ModelSpec, make_chat_model
from pat_graph.models.roles import RoleModel
from pat_graph.reporting.report import load_summaries
from pat_graph.runs.research import ResearchOptions
from pat_graph.runs.runner import run_benchmark
from tests.support.fake_server import body_reply, write_benchmark
from tests.support.openai_stub import OpenAIStub

pytestmark = pytest.mark.integration
BUDGETS = {"n_samples": 2, "plan_rounds": 2, "max_depth": 1, "profile": "strict"}
# Fields that say how a run was made rather than what it found.
HOW = {"run", "cost_paid_usd", "replayed_calls", "replayed_from", "paired_with"}


@pytest.fixture
def bench(tmp_path: Path):
    return load_benchmark(write_benchmark(tmp_path / "fake.jsonl", 4))


def model(stub: OpenAIStub) -> RoleModel:
    spec = ModelSpec(name="fake", base_url=stub.base_url, model="fake-model", input_price=1.0,
                     output_price=2.0, max_tokens=300, max_retries=0)  # fmt: skip
    return RoleModel(make_chat_model(spec), "fake", 1.0, 2.0)


async def run(
    bench, db: Path, name: str, *, policy="pat", budgets=None, honour_n=True, **research: Any
):
    with OpenAIStub([body_reply], honour_n=honour_n) as stub:
        outcome = await run_benchmark(
            run=name, benchmark=bench, policy=policy, generator=model(stub), db_path=db,
            budgets=budgets or BUDGETS, progress=False, research=ResearchOptions(**research),
        )  # fmt: skip
        return outcome, [r.body for r in stub.requests]


async def summary(db: Path, name: str) -> dict[str, Any]:
    [s] = await load_summaries(db, [name])
    return s


def without(s: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in s.items() if k not in keys}


async def test_replay_makes_no_request_and_reports_the_same(bench, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    first, sent = await run(bench, db, "orig")
    assert first.done == 4 and len(sent) > 0
    again, resent = await run(bench, db, "again", replay="orig")
    assert again.done == 4
    assert resent == []  # every answer came from the store
    orig, replay = await summary(db, "orig"), await summary(db, "again")
    assert json.dumps(without(orig, HOW), sort_keys=True) == json.dumps(
        without(replay, HOW), sort_keys=True
    )
    assert replay["cost_paid_usd"] == 0.0 and orig["cost_paid_usd"] == orig["cost_usd"] > 0
    assert replay["replayed_calls"] == sum(orig["llm_calls"].values())
    assert replay["replayed_from"]["run"] == "orig"
    # the replay is itself a full record: replaying *it* from another file also needs nothing
    other = tmp_path / "copy.sqlite"
    third, sent3 = await run(bench, other, "third", replay=str(db) + "::again", offline="no key")
    assert third.done == 4 and sent3 == []
    assert (await summary(other, "third"))["pass_at_1"] == orig["pass_at_1"]


async def test_replay_of_topped_up_requests_counts_them_as_the_original(bench, tmp_path) -> None:
    # a server that ignores `n`: the client tops each request up with more requests
    db = tmp_path / "runs.sqlite"
    _, sent = await run(bench, db, "orig", honour_n=False)
    _, resent = await run(bench, db, "again", replay="orig")
    orig, again = await summary(db, "orig"), await summary(db, "again")
    assert resent == [] and sum(orig["llm_calls"].values()) == len(sent)
    assert again["llm_calls"] == orig["llm_calls"] and again["tokens"] == orig["tokens"]
    assert again["replayed_calls"] == len(sent)


async def test_changed_knob_pays_only_for_new_samples(bench, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    await run(bench, db, "n2")
    more = {**BUDGETS, "n_samples": 3}
    outcome, sent = await run(bench, db, "n3", budgets=more, replay="n2")
    assert outcome.done == 4
    assert sent, "the third trial sample of each trial request is new"
    # only the new samples went over the wire: one per trial request, the first two replayed
    assert all(str(b["messages"][-1]["content"]).startswith(TRIAL_TASK) for b in sent)
    assert all(int(b.get("n") or 1) == 1 for b in sent)
    rows = sqlite3.connect(db).execute("SELECT entry FROM calls WHERE run = 'n3'").fetchall()
    entries = [json.loads(r[0]) for r in rows]
    replayed_trials = [e for e in entries if e.get("replayed") and e["purpose"] == "trial"]
    assert len(sent) == len(replayed_trials)
    assert all(e["samples"] == 2 for e in replayed_trials)


async def test_offline_replay_names_the_problem_that_needed_a_call(bench, tmp_path) -> None:
    db = tmp_path / "runs.sqlite"
    await run(bench, db, "n2")
    more = {**BUDGETS, "n_samples": 3}
    outcome, sent = await run(bench, db, "n3", budgets=more, replay="n2", offline="no API key")
    assert sent == [] and outcome.errored == 4
    message = outcome.errors["fake/0"]
    assert "problem fake/0 needed a trial call" in message and "no API key" in message


async def test_paired_runs_share_the_trial_samples(bench, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    _, bon_sent = await run(bench, db, "bon", policy="best-of-n")
    _, pat_sent = await run(bench, db, "pat", pair_with="bon")
    conn = sqlite3.connect(db)

    def trials(name: str) -> dict[str, list[str]]:
        rows = conn.execute(
            "SELECT task_id, request, texts FROM responses WHERE run = ? ORDER BY id", (name,)
        ).fetchall()
        out: dict[str, list[str]] = {}
        for task_id, request, texts in rows:
            last = json.loads(request)["messages"][-1][1]
            if last.startswith(TRIAL_TASK) and f"`add_{task_id[-1]}`" in last.splitlines()[0]:
                out.setdefault(task_id, []).extend(json.loads(texts))
        return out

    bon, pat = trials("bon"), trials("pat")
    assert set(pat) == set(bon) == {f"fake/{k}" for k in range(4)}
    for task_id, samples in pat.items():
        assert samples == bon[task_id][: len(samples)]
    # PaT paid only for what Best-of-N never asked (tests, plans, helpers)
    assert not [b for b in pat_sent if "`add_" in str(b["messages"][-1]["content"]).split("\n")[0]
                and str(b["messages"][-1]["content"]).startswith(TRIAL_TASK)]  # fmt: skip
    s = await summary(db, "pat")
    assert s["paired_with"]["run"] == "bon"
    entries = [json.loads(r[0]) for r in conn.execute("SELECT entry FROM calls WHERE run = 'pat'")]
    shared = [e for e in entries if e.get("replayed")]
    assert len([e for e in shared if e["purpose"] == "trial"]) == 4  # one root trial a problem
    assert s["replayed_calls"] == len(shared)
    assert len(pat_sent) + s["replayed_calls"] == sum(s["llm_calls"].values())
    assert bon_sent


async def test_run_budget_stops_new_problems_and_a_higher_one_goes_on(bench, tmp_path) -> None:
    db = tmp_path / "runs.sqlite"
    outcome, _ = await run(bench, db, "cheap", max_cost_usd=1e-9)
    # the first problem starts at $0 spent; after it the budget is gone, so no other starts
    assert outcome.done == 1 and outcome.budget_stopped >= 1
    s = await summary(db, "cheap")
    assert s["budget_stop"]["not_started"] == 3 and s["unfinished"] == 3
    outcome, _ = await run(bench, db, "cheap", max_cost_usd=1.0)
    assert (outcome.skipped, outcome.done) == (1, 3)
    assert (await summary(db, "cheap"))["budget_stop"] is None


async def test_problem_budget_finalizes_with_the_best_so_far(bench, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    capped = {**BUDGETS, "max_problem_cost_usd": 1e-9}
    outcome, sent = await run(bench, db, "capped", budgets=capped)
    assert outcome.done == 4 and outcome.errored == 0
    _, uncapped = await run(bench, db, "free")
    # the cap is checked before each request: the requests a problem starts at $0 spent (its
    # trial and, in the strict profile, its tests at the same time) go out, no later one does
    conn = sqlite3.connect(db)
    per_task = dict(
        conn.execute("SELECT task_id, count(*) FROM calls WHERE run = 'capped' GROUP BY task_id")
    )
    assert per_task and all(count <= 2 for count in per_task.values())
    assert len(sent) == sum(per_task.values()) < len(uncapped)
    s = await summary(db, "capped")
    # add_2's trial passes its test after those two calls (done, nothing capped); the others
    # wanted a plan and were finalized with their best program so far: right for even k only
    assert s["budget_capped"] == 3
    assert s["pass_at_1"] == 0.5
    # `delete` drops the run's recorded answers too, and only that run's
    from pat_graph.runs.housekeeping import delete_run

    counts = await delete_run(db, "capped", force=True)
    assert counts["responses"] == len(sent)
    left = dict(conn.execute("SELECT run, count(*) FROM responses GROUP BY run"))
    assert "capped" not in left and left["free"] > 0
