"""`run --log-json` and `report`'s retry/429/error counts, through the CLI against a loopback
server that answers 429 with Retry-After and intermittent 500s (issue 22)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pat_graph.cli import main
from tests.support.fake_server import reply, write_benchmark
from tests.support.faulty_server import FaultyServer


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    with FaultyServer(
        reply, fault_rate=0.3, seed=2, faults=("http429", "http500"), retry_after_s=1
    ) as s:
        yield s


def setup_files(tmp_path: Path, base_url: str) -> dict[str, Path]:
    config = tmp_path / "pat.toml"
    config.write_text(
        "[models.fake]\n"
        f'base_url = "{base_url}"\nmodel = "fake-model"\n'
        "input_price = 1.0\noutput_price = 2.0\nmax_retries = 6\ntimeout = 30\n"
    )
    return {
        "config": config,
        "bench": write_benchmark(tmp_path / "b.jsonl", 4),
        "db": tmp_path / "runs.sqlite",
        "log": tmp_path / "events.jsonl",
    }


def run(files: dict[str, Path], *extra: str) -> int:
    return main([
        "run", "--benchmark", str(files["bench"]), "--policy", "standard", "--generator", "fake",
        "--run", "r", "--db", str(files["db"]), "--config", str(files["config"]),
        "--sandbox", "process", "--no-progress", "--log-json", str(files["log"]), *extra,
    ])  # fmt: skip


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_event_log_has_every_request_and_problem_once_across_a_resume(
    tmp_path: Path, server: FaultyServer, capsys
) -> None:
    files = setup_files(tmp_path, server.base_url)
    assert run(files, "--limit", "2") in (0, 1)
    first = events(files["log"])
    assert {e["event"] for e in first} == {"request", "problem"}
    assert sorted(e["task_id"] for e in first if e["event"] == "problem") == ["fake/0", "fake/1"]
    # Continuing the run (two more problems) appends; nothing logged before comes again.
    assert run(files, "--limit", "4") in (0, 1)
    log = events(files["log"])
    assert log[: len(first)] == first
    problems = [e for e in log if e["event"] == "problem"]
    assert Counter(e["task_id"] for e in problems) == {f"fake/{k}": 1 for k in range(4)}
    requests = [e for e in log if e["event"] == "request"]
    assert len({e["call_id"] for e in requests}) == len(requests)
    # Every answered request the server sent is one request event, with its usage.
    usable = [x for x in server.exchanges if x.usable]
    assert len(requests) == len(usable)
    assert sum(e["output_tokens"] for e in requests) == sum(x.usage["completion_tokens"]
                                                            for x in usable)  # fmt: skip
    for e in requests:
        assert {"role", "model", "purpose", "input_tokens", "output_tokens", "cost_usd",
                "duration_s", "task_id", "time"} <= set(e)  # fmt: skip
        assert e["role"] == "generator" and e["model"] == "fake" and e["duration_s"] >= 0
    for p in problems:  # the trial is right for even k (fake_server.reply)
        k = int(p["task_id"].split("/")[1])
        assert p["status"] == "done" and p["pass"] is (k % 2 == 0)
        assert p["verdict"] == {"base": k % 2 == 0, "plus": None}
        mine = [e for e in requests if e["task_id"] == p["task_id"]]
        assert p["cost_usd"] == pytest.approx(sum(e["cost_usd"] for e in mine))
        assert p["requests"] == len(mine)
    # The retries, 429s and 500s the server sent are in the events and in `report`.
    faults = Counter(x.fault for x in server.exchanges)
    assert sum(e.get("rate_limited", 0) for e in requests) == faults["http429"]
    assert sum(e.get("server_errors", 0) for e in requests) == faults["http500"]
    assert faults["http429"] and faults["http500"]  # the seed's draw has both
    capsys.readouterr()
    assert main(["report", "--db", str(files["db"]), "--json"]) == 0
    [summary] = json.loads(capsys.readouterr().out)
    http = summary["http"]["generator"]
    assert http["rate_limited"] == faults["http429"]
    assert http["server_errors"] == faults["http500"]
    assert http["retries"] == faults["http429"] + faults["http500"]
    assert http["failed_requests"] == 0
    assert summary["http"]["planner"]["retries"] == 0
    assert main(["report", "--db", str(files["db"])]) == 0
    text = capsys.readouterr().out
    assert f"{faults['http429']} rate-limited (429)" in text


def test_events_a_crash_kept_from_the_log_are_caught_up_without_repeats(
    tmp_path: Path, server: FaultyServer
) -> None:
    server.fault_rate = 0.0
    files = setup_files(tmp_path, server.base_url)
    assert run(files, "--limit", "3") in (0, 1)
    full = events(files["log"])
    # As if the process died after the database had the last results but before the log did,
    # leaving half a line.
    lines = files["log"].read_text().splitlines(keepends=True)
    files["log"].write_text("".join(lines[:-3]) + lines[-3][:10])
    assert run(files, "--limit", "3") in (0, 1)
    again = events_tolerant(files["log"])
    assert Counter(json.dumps(e, sort_keys=True) for e in again) == Counter(
        json.dumps(e, sort_keys=True) for e in full
    )


def events_tolerant(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # the cut line stays; readers skip it
    return out


def test_log_json_refuses_a_file_that_is_not_an_event_log(tmp_path: Path, capsys) -> None:
    files = setup_files(tmp_path, "http://127.0.0.1:9/v1")
    files["log"].write_text('{"task_id": "x", "solution": "pass"}\n')
    assert run(files) == 2
    err = capsys.readouterr().err
    assert "--log-json" in err and "not an event log" in err
    assert not files["db"].exists()  # refused before anything was created


def test_the_documented_event_examples_are_what_the_log_writes() -> None:
    """docs/usage.md's example lines use exactly the keys the event log writes."""
    from pat_graph.runs.eventlog import _REQUEST_KEYS, problem_event, request_event
    from pat_graph.runs.store import ResultRow

    doc = (Path(__file__).resolve().parents[2] / "docs" / "usage.md").read_text()
    examples = [json.loads(line) for line in doc.splitlines() if line.startswith('{"event":')]
    assert {e["event"] for e in examples} == {"request", "problem"}
    written = {
        "request": set(request_event("r", 1, 0.0, dict.fromkeys(_REQUEST_KEYS, 1))),
        "problem": set(
            problem_event("r", 0.0, ResultRow("r", "t", "done", {}, True, None, None), 0.0, 1)
        ),
    }
    for example in examples:
        assert set(example) <= written[example["event"]], example
        if example["event"] == "problem":
            assert set(example) == written["problem"]
    for key in written["request"] | written["problem"]:
        assert f"`{key}`" in doc, f"{key} is not documented"


async def test_a_log_opened_while_the_run_makes_its_tables_still_sees_them(tmp_path: Path) -> None:
    """The follower may open the database between the checkpointer's tables and the run's own
    (a busy machine): a read-only connection then stands in empty TEMP tables for the missing
    ones, which would hide the real tables for good and log nothing (a CI flake)."""
    import asyncio
    import sqlite3

    from pat_graph.runs import eventlog
    from pat_graph.runs.database import open_database
    from pat_graph.runs.store import RunRecord

    db = tmp_path / "runs.sqlite"
    with sqlite3.connect(db) as con:  # the moment the follower must not be fooled by
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE checkpoints (thread_id TEXT)")
    log = tmp_path / "events.jsonl"
    async with eventlog.follow_run(str(db), "r", str(log)):
        await asyncio.sleep(eventlog.POLL_S * 3)  # the follower has looked at the partial file
        async with open_database(db) as (_saver, store):
            await store.register_run(RunRecord("r", "standard", {}, None, {}, "fake", "h"))
            await store.record_call("r", "fake/0", {"role": "generator", "output_tokens": 7})
        await asyncio.sleep(eventlog.POLL_S * 3)
    logged = events(log)
    assert [(e["event"], e["task_id"], e["output_tokens"]) for e in logged] == [
        ("request", "fake/0", 7)
    ]
