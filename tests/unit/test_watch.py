"""`explore --watch` without a browser: the server, its state, the rewrite on change, the
temporary folder and the flags' errors (issue 22). The browser test is in
tests/integration/test_explore_watch.py."""

from __future__ import annotations

import asyncio
import json
import tempfile
import urllib.request
from pathlib import Path

import pytest

from pat_graph.benchmarks import load_benchmark
from pat_graph.cli import main
from pat_graph.models.roles import RoleModel
from pat_graph.reporting.explore import watch as live
from pat_graph.runs.runner import run_benchmark
from tests.support.fake_server import scripted_model, write_benchmark


async def solve(db: Path, bench_file: Path, n: int) -> None:
    bench = load_benchmark(str(bench_file))
    await run_benchmark(
        run="w", benchmark=bench, tasks=bench.tasks[:n], policy="standard", db_path=db,
        generator=RoleModel(scripted_model(), "fake-gen", 1.0, 2.0), progress=False,
    )  # fmt: skip


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


async def wait_for(check, timeout: float = 60.0):
    for _ in range(int(timeout / 0.1)):
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.parametrize("keep", [False, True])
async def test_watch_rewrites_the_site_when_results_land(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: bool
) -> None:
    bench_file = write_benchmark(tmp_path / "b.jsonl", 3)
    db = tmp_path / "runs.sqlite"
    await solve(db, bench_file, 1)
    made: list[Path] = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(**kw) -> str:
        made.append(Path(real_mkdtemp(dir=tmp_path, **kw)))
        return str(made[-1])

    monkeypatch.setattr(live.tempfile, "mkdtemp", mkdtemp)
    lines: list[str] = []
    stop = asyncio.Event()
    out = tmp_path / "site" if keep else None
    folder = None if out is None else str(out)
    watching = live.watch(str(db), None, folder, interval=0.1, announce=lines.append, stop=stop)
    task = asyncio.create_task(watching)
    await wait_for(lambda: asyncio.sleep(0, bool(lines)))
    url = lines[0].split(" at ", 1)[1].split()[0]
    assert url.startswith("http://127.0.0.1:")
    page = await asyncio.to_thread(get, url)
    assert b'<script src="/__live/live.js" data-generation="1"></script></body>' in page
    state = json.loads(await asyncio.to_thread(get, url + "__live/state"))
    assert (state["generation"], state["runs"][0]["done"]) == (1, 1)
    assert b"fetch(" in await asyncio.to_thread(get, url + "__live/live.js")
    css = await asyncio.to_thread(get, url + "assets/explore.css")
    assert css and b"__live" not in css  # assets are served as written

    await solve(db, bench_file, 3)  # two more results land

    async def rewritten() -> dict | None:
        data = json.loads(await asyncio.to_thread(get, url + "__live/state"))
        return data if data["runs"][0]["done"] == 3 else None

    state = await wait_for(rewritten)
    assert state["generation"] >= 2
    page = await asyncio.to_thread(get, url)
    assert b"<td>3</td>" in page  # the runs table now says 3 done
    stop.set()
    assert await task == 0
    assert lines[-1] == "stopped watching"
    if keep:
        assert made == [] and (out / "index.html").is_file()  # the user's folder stays
        assert b"__live" not in (out / "index.html").read_bytes()  # the static pages
    else:
        assert len(made) == 1 and not made[0].exists()  # its own folder is removed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "explore needs --out DIR"),
        (["--watch", "--port", "70000"], "--port must be between 0"),
        (["--watch", "--interval", "0"], "--interval must be a positive number"),
    ],
)
def test_watch_flags_get_one_clear_line(tmp_path: Path, capsys, args, message) -> None:
    db = tmp_path / "runs.sqlite"
    asyncio.run(solve(db, write_benchmark(tmp_path / "b.jsonl", 1), 1))
    assert main(["explore", "--db", str(db), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err


def test_a_taken_port_is_one_clear_line(tmp_path: Path, capsys) -> None:
    import socket

    db = tmp_path / "runs.sqlite"
    asyncio.run(solve(db, write_benchmark(tmp_path / "b.jsonl", 1), 1))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["explore", "--db", str(db), "--watch", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"--port {port}: cannot listen on 127.0.0.1:{port}" in err
