"""The batch runner in-process: results once, resume skips, errors recorded, settings checked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.errors import ConfigError
from pat_graph.models.roles import RoleModel
from pat_graph.reporting.report import load_summaries
from pat_graph.runs.runner import prune_run, run_benchmark
from pat_graph.testing import ScriptedChatModel
from tests.support.fake_server import scripted_model, write_benchmark

pytestmark = pytest.mark.integration


@pytest.fixture
def bench(tmp_path: Path):
    return load_benchmark(write_benchmark(tmp_path / "fake.jsonl", 4))


async def _run(bench, db: Path, chat=None, **kw):
    chat = chat or scripted_model()
    model = RoleModel(chat, "fake-gen", 1.0, 2.0)
    kw.setdefault("policy", "pat")
    # The fake model's scenario (assert tests, one of them a false positive) is the strict
    # profile's; the paper profile's call tests are covered in tests/unit/test_fidelity_pat.py.
    kw.setdefault(
        "budgets", {"n_samples": 2, "plan_rounds": 2, "max_depth": 1, "profile": "strict"}
    )
    outcome = await run_benchmark(
        run=kw.pop("run", "r1"), benchmark=bench, generator=model, db_path=db,
        concurrency=2, progress=False, **kw,
    )  # fmt: skip
    return outcome, chat


async def test_run_records_judges_and_resume_skips(bench, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    outcome, chat = await _run(bench, db)
    assert (outcome.done, outcome.errored, outcome.skipped) == (4, 0, 0)
    [summary] = await load_summaries(db)
    # Odd k: wrong trial, then a plan whose helper returns k; k=0: a right trial rejected by
    # its own wrong generated test, so it plans too. Every final program is right.
    assert summary["pass_at_1"] == 1.0
    assert summary["planner_invocation_rate"] == 0.75
    # Ledger integrity: the report's tokens are the sums of what the model reported.
    usage = chat.usage_by_request()
    tokens = summary["tokens"]
    assert tokens["generator"]["input"] + tokens["planner"]["input"] == sum(u[0] for u in usage)
    assert tokens["generator"]["output"] + tokens["planner"]["output"] == sum(u[1] for u in usage)
    assert summary["llm_calls"]["generator"] + summary["llm_calls"]["planner"] == len(usage)
    expected_cost = sum(u[0] * 1.0 + u[1] * 2.0 for u in usage) / 1e6
    assert summary["cost_usd"] == pytest.approx(expected_cost)
    # add_0's generated test contradicts the canonical solution; the others agree with it.
    assert summary["generated_false_positives"] == 1
    assert summary["generated_tests_checked"] == 4

    again, chat2 = await _run(bench, db)
    assert (again.done, again.skipped) == (0, 4)
    assert chat2.calls == []  # nothing was solved twice
    rows = sqlite3.connect(db).execute("SELECT count(*) FROM results").fetchone()
    assert rows == (4,)


async def test_transport_failure_marks_errored_and_retry_fixes_it(bench, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    broken = scripted_model()
    broken.fail_times = 10**6
    outcome, _ = await _run(bench, db, chat=broken)
    assert outcome.errored == 4 and outcome.done == 0
    assert all("scripted transport failure" in m for m in outcome.errors.values())
    [summary] = await load_summaries(db)
    # Pass@1 is over every selected problem: all errored is 0.0, not "no data" (issue 10).
    assert summary["errored"] == 4 and summary["pass_at_1"] == 0.0
    assert summary["complete"] is False

    retry, _ = await _run(bench, db)
    assert (retry.done, retry.errored) == (4, 0)
    [summary] = await load_summaries(db)
    assert (summary["done"], summary["errored"], summary["pass_at_1"]) == (4, 0, 1.0)


def planner_down(purpose, messages):
    """The fake model, with the planner's endpoint down."""
    from pat_graph.testing import target_of
    from tests.support.fake_server import reply

    if purpose == "plan":
        raise ConnectionError("planner endpoint down")
    return reply(purpose, target_of(messages))


async def test_errored_problem_resumes_from_its_checkpoint_keeping_paid_calls(
    bench, tmp_path: Path
) -> None:
    db = tmp_path / "runs.sqlite"
    first, chat1 = await _run(bench, db, chat=ScriptedChatModel(respond=planner_down))
    assert first.done == 1 and first.errored == 3  # every problem but add_2 needs the planner
    retry, chat2 = await _run(bench, db)
    assert (retry.done, retry.errored) == (3, 0)
    # the trials paid for before the error are not bought again
    roots = {"add_0", "add_1", "add_3"}
    assert not [c for c in chat2.calls if c.purpose == "trial" and c.target in roots]
    # ...and they are in the report exactly once: every successful request of both invocations
    [summary] = await load_summaries(db)
    usage = chat1.usage_by_request() + chat2.usage_by_request()
    tokens = summary["tokens"]
    assert tokens["generator"]["input"] + tokens["planner"]["input"] == sum(u[0] for u in usage)
    assert summary["llm_calls"]["generator"] + summary["llm_calls"]["planner"] == len(usage)


@pytest.mark.parametrize("verbose", [False, True])
async def test_the_run_passes_its_models_as_context_on_resume_too(
    bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verbose: bool
) -> None:
    """Context is not checkpointed: a resumed problem must get the run's models again. The
    graph's own defaults are poisoned here, so only the context can supply a working model."""
    from pat_graph.runs import runner

    db = tmp_path / "runs.sqlite"
    first, _ = await _run(bench, db, chat=ScriptedChatModel(respond=planner_down))
    assert first.errored == 3  # interrupted at `plan`, checkpoints kept

    poison = ScriptedChatModel(respond=["never asked"], model_name="poison")
    defaults = runner.graph_defaults
    monkeypatch.setattr(
        runner,
        "graph_defaults",
        lambda policy, **kw: defaults(policy, **{**kw, "generator": poison}),
    )
    retry, chat = await _run(bench, db, verbose=verbose)
    assert (retry.done, retry.errored) == (3, 0)
    assert poison.calls == []
    assert {c.target for c in chat.calls if c.purpose == "plan"} >= {"add_0", "add_1", "add_3"}


async def test_one_bad_problem_does_not_stop_the_run(bench, tmp_path: Path) -> None:
    def respond(purpose, messages):
        from pat_graph.testing import target_of
        from tests.support.fake_server import reply

        if target_of(messages) == "add_2":
            raise ConnectionError("server went away")
        return reply(purpose, target_of(messages))

    outcome, _ = await _run(bench, tmp_path / "db.sqlite", chat=ScriptedChatModel(respond=respond))
    assert outcome.done == 3
    assert list(outcome.errors) == ["fake/2"]
    assert "server went away" in outcome.errors["fake/2"]


async def test_reusing_a_run_name_with_other_settings_is_refused(bench, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    await _run(bench, db, tasks=bench.tasks[:1])
    with pytest.raises(ConfigError, match=r"policy: was 'pat', now 'standard'"):
        await _run(bench, db, policy="standard", budgets={})
    with pytest.raises(ConfigError, match=r"budgets\.n_samples: was 2, now 3"):
        await _run(bench, db, budgets={"n_samples": 3, "plan_rounds": 2, "max_depth": 1})
    [summary] = await load_summaries(db)
    assert summary["done"] == 1  # the refused invocations changed nothing


async def test_prune_keeps_results_and_ledgers(bench, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    await _run(bench, db)
    before = await load_summaries(db)
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM checkpoints").fetchone()[0] > 0
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.close()
    assert await prune_run(db, "r1") == 4
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA page_count").fetchone()[0] < pages  # vacuumed, not just freed
    assert con.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM writes").fetchone()[0] == 0
    assert await load_summaries(db) == before


async def test_run_prune_option_drops_threads_as_they_finish(bench, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    await _run(bench, db, prune=True)
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM results WHERE status='done'").fetchone()[0] == 4
