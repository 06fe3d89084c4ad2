"""`pat-graph explore --watch` in headless Chromium while a run is going (issue 22).

A real `pat-graph run` (subprocess) solves problems against a slow loopback model server and
writes its event log; a real `pat-graph explore --watch` (subprocess) serves the explorer; the
browser opens the runs page once and the test only reads it: the done count must grow by
itself, the page reloading when the site was rewritten. Both run stores: SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.browser import Browser
from tests.support.fake_server import GatedStub, write_benchmark, write_config

pytestmark = pytest.mark.integration

PROBLEMS = 8
DONE_CELL = "document.querySelector('tr.run-row td:nth-child(7)').textContent"


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "runs.sqlite")
    return request.getfixturevalue("pg_url")


def _cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pat_graph.cli", *args], stdin=subprocess.DEVNULL, **kw
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait(what: str, check, timeout: float = 90.0, step: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def _events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_watch_page_counts_results_as_they_land(db: str, tmp_path: Path, browser: Browser) -> None:
    bench = write_benchmark(tmp_path / "b.jsonl", PROBLEMS)
    log = tmp_path / "events.jsonl"
    with GatedStub(delay_s=1.2) as stub:  # each answer takes a while: results land one by one
        config = write_config(tmp_path / "pat.toml", stub.base_url)
        run = _cli(
            "run", "--benchmark", str(bench), "--policy", "standard", "--generator", "fake",
            "--run", "live", "--db", db, "--config", str(config), "--sandbox", "process",
            "--no-progress", "--log-json", str(log), cwd=tmp_path,
        )  # fmt: skip
        watch = None
        try:
            # The live view needs the run to exist; the first problem event says it does.
            _wait("the first result", lambda: any(e["event"] == "problem" for e in _events(log)))
            watch = _cli("explore", "--db", db, "--watch", "--interval", "0.3",
                         stdout=subprocess.PIPE, text=True, cwd=tmp_path)  # fmt: skip
            assert watch.stdout is not None
            line = watch.stdout.readline()
            assert "serving the live explorer at http://127.0.0.1:" in line, line
            url = line.split(" at ", 1)[1].split()[0]
            state = json.loads(urllib.request.urlopen(url + "__live/state").read())
            assert state["runs"][0]["run"] == "live"

            browser.errors.clear()
            browser.open(url)
            first = int(browser.eval(DONE_CELL))
            assert first < PROBLEMS, "the run finished before the page was opened"
            # No navigation from here on: the page itself must notice new results.
            try:
                grown = _wait(
                    "the page's done count to grow",
                    lambda: _read_done(browser) > first and _read_done(browser),
                    timeout=120,
                )
            except AssertionError:
                state = urllib.request.urlopen(url + "__live/state").read()
                badge = browser.eval("document.getElementById('live-badge').textContent")
                raise AssertionError(f"{first=} {badge=} {state=} {browser.errors=}") from None
            assert grown > first
            assert int(browser.eval("sessionStorage.getItem('pat-graph-live-reloads')")) >= 1
            # the page may be reloading again as more results land: wait for the badge to be back
            _wait("the live badge", lambda: _badge_shown(browser))
            assert run.wait(timeout=300) in (0, 1)
            _wait("the page to show the whole run", lambda: _read_done(browser) == PROBLEMS)
            _wait("the badge to say live", lambda: "live" in _badge_text(browser))
            assert browser.errors == [], browser.errors
        finally:
            browser.open("about:blank")  # leave no page polling a server about to stop
            _stop(run)
            if watch is not None:
                _stop(watch)
    assert watch.returncode == 0  # SIGTERM stops the watch cleanly
    problems = [e for e in _events(log) if e["event"] == "problem"]
    assert sorted(e["task_id"] for e in problems) == [f"fake/{k}" for k in range(PROBLEMS)]


def _badge_shown(browser: Browser) -> bool:
    try:
        return bool(browser.eval("document.getElementById('live-badge') !== null"))
    except Exception:  # between a reload's unload and load
        return False


def _badge_text(browser: Browser) -> str:
    try:
        return str(browser.eval("document.getElementById('live-badge').textContent") or "")
    except Exception:  # between a reload's unload and load
        return ""


def _read_done(browser: Browser) -> int:
    """The runs table's done cell; 0 while the page is between a reload's unload and load."""
    try:
        return int(browser.eval(DONE_CELL) or 0)
    except Exception:
        return 0


def test_static_site_never_loads_the_live_script(tmp_path: Path) -> None:
    """`explore --out` pages stay as they were: no script that would poll a server."""
    from pat_graph.reporting.explore.watch import LIVE_JS, _with_live_script

    page = b"<html><body><main>x</main></body></html>"
    served = _with_live_script(page, 7)
    assert served.endswith(b'<script src="/__live/live.js" data-generation="7"></script>'
                           b"</body></html>")  # fmt: skip
    assert LIVE_JS.is_file() and "fetch(" in LIVE_JS.read_text()
    assert not (Path(__file__).resolve().parents[2] / "pat_graph/reporting/explore/assets"
                / "live.js").exists()  # fmt: skip


def _shape(runs) -> dict:
    """What the pages show of each problem: verdicts, the solve tree's functions and stages,
    and the bill."""
    out = {}
    for r in runs:
        for p in r.problems:
            functions = p.tree.functions() if p.tree else []
            out[(r.name, p.task_id)] = (
                p.status, p.base, len(p.ledger),
                sorted((f.name, f.depth, tuple(s["kind"] for s in f.stages), f.final is not None)
                       for f in functions),
            )  # fmt: skip
    return out


async def test_explore_reads_a_postgresql_run_store_as_it_reads_sqlite(
    tmp_path: Path, pg_url: str
) -> None:
    from pat_graph.reporting.explore.data import load_runs
    from pat_graph.reporting.explore.site import write_site
    from tests.support.explore_runs import EXPECTED_PAT, RUN_PAT, build_runs

    sqlite_db = await build_runs(tmp_path)
    await build_runs(tmp_path, pg_url)
    lite, pg = await load_runs(sqlite_db), await load_runs(pg_url)
    assert _shape(pg) == _shape(lite)
    plan = next(p for r in pg if r.name == RUN_PAT for p in r.problems if p.task_id == "ex/plan")
    assert len(plan.tree.functions()) == EXPECTED_PAT["ex/plan"]["function"]
    index, _ = await write_site(pg_url, tmp_path / "site")
    page = index.read_text()
    assert "postgresql://postgres@" in page and RUN_PAT in page
