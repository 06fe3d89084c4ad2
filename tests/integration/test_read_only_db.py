"""Issue 22, item 4: a run database that cannot be written can still be read.

How it is made read-only for real (the tests run as root, whom file modes do not stop):
- a read-only bind mount: the command runs under `bwrap --dev-bind / / --ro-bind DIR DIR`, so
  the kernel answers EROFS for every write in DIR, as on a read-only disk or a `:ro` volume;
- file modes for a user they do stop: the command runs as `nobody` (setpriv) on a 0444 file in a
  0555 folder.
Commands that only read (report, report --compare, export, explore) must answer as usual and
change nothing; commands that write (run, prune, delete, worker) must say "read-only" in one line
(exit 2). Both the usual database (closed cleanly: no -wal file, which SQLite cannot read from a
read-only folder without `immutable=1`) and one a crash left with changes in its -wal file are
tried.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pat_graph.cli import main
from tests.support.fake_server import GatedStub, write_benchmark
from tests.unit.test_cli_errors import config, run_args

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534


@pytest.fixture(scope="module")
def world() -> Iterator[Path]:
    """A folder every user may enter (pytest's tmp dirs are root's only), with a finished run
    `r` and a second run `s` in `ro/runs.sqlite`."""
    top = Path(tempfile.mkdtemp(prefix="pat-ro-"))
    top.chmod(0o755)
    ro = top / "ro"
    ro.mkdir()
    write_benchmark(top / "bench.jsonl", 3)
    try:
        with GatedStub() as stub, pytest.MonkeyPatch.context() as patch:
            patch.chdir(top)
            config(top / "pat.toml", stub.base_url)
            assert main(run_args(db="ro/runs.sqlite")) == 0
            assert main(run_args(db="ro/runs.sqlite", run="s")) == 0
        yield top
    finally:
        shutil.rmtree(top)  # our own temp folder, nothing else


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def cli(args: list[str], cwd: Path, wrap: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*wrap, sys.executable, "-m", "pat_graph.cli", *args], cwd=cwd, capture_output=True,
        text=True, timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )  # fmt: skip


def read_only_mount(folder: Path) -> list[str]:
    if shutil.which("bwrap") is None:
        pytest.skip("bwrap is not installed")
    probe = subprocess.run(["bwrap", "--dev-bind", "/", "/", "--ro-bind", str(folder),
                            str(folder), "true"], capture_output=True)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"bwrap cannot bind-mount here: {probe.stderr.decode()[:200]}")
    return ["bwrap", "--dev-bind", "/", "/", "--ro-bind", str(folder), str(folder)]


def as_nobody(folder: Path) -> list[str]:
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to nobody")
    folder.chmod(0o555)
    for f in folder.iterdir():
        f.chmod(0o444)
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def leave_changes_in_the_wal(db: Path) -> None:
    """What a crash leaves: a committed change still in the -wal file, not in the database."""
    script = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1])\n"
        "c.execute('PRAGMA wal_autocheckpoint=0')\n"
        "c.execute(\"UPDATE runs SET problems = 7 WHERE name = 'r'\")\n"
        "c.commit()\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(db)], check=True)
    assert (db.parent / "runs.sqlite-wal").stat().st_size > 0


@pytest.fixture(params=["mount", "nobody"])
def setting(request, world: Path, tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """A copy of the database in its own folder, made read-only one of the two ways."""
    folder = world / f"ro-{request.param}-{tmp_path.name}"
    shutil.copytree(world / "ro", folder)
    try:
        wrap = read_only_mount(folder) if request.param == "mount" else as_nobody(folder)
        yield folder, wrap
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


@pytest.mark.parametrize("crashed", [False, True], ids=["clean", "wal-left"])
def test_readers_work_on_a_read_only_database_and_change_nothing(
    world: Path, setting: tuple[Path, list[str]], crashed: bool
) -> None:
    folder, wrap = setting
    db = folder / "runs.sqlite"
    if crashed:
        folder.chmod(0o755)
        leave_changes_in_the_wal(db)
        if "setpriv" in wrap:
            as_nobody(folder)
    before = digest(folder)
    out = Path(tempfile.mkdtemp(prefix="out-", dir=world))
    out.chmod(0o777)
    try:
        rel = os.path.relpath(db, world)
        done = cli(["report", "--db", rel, "--json"], world, wrap)
        assert done.returncode == 0, done.stderr
        runs = {r["run"]: r for r in json.loads(done.stdout)}
        assert sorted(runs) == ["r", "s"] and runs["s"]["done"] == 3
        assert runs["r"]["problems"] == (7 if crashed else 3)  # the -wal's change is read
        for args in (
            ["report", "--db", rel, "--compare", "r", "s"],
            ["export", "--db", rel, "--run", "r", "--out", str(out / "s.jsonl")],
            ["explore", "--db", rel, "--out", str(out / "site")],
        ):
            done = cli(args, world, wrap)
            assert done.returncode == 0, (args, done.stderr)
        assert len((out / "s.jsonl").read_text().splitlines()) == 3
        assert (out / "site" / "index.html").is_file()
    finally:
        shutil.rmtree(out)
    assert digest(folder) == before  # not a byte changed, no -wal or -shm file added


def test_commands_that_write_say_read_only(world: Path, setting: tuple[Path, list[str]]) -> None:
    folder, wrap = setting
    before = digest(folder)
    rel = os.path.relpath(folder / "runs.sqlite", world)
    for args in (
        run_args(db=rel, run="new"),
        ["prune", "--db", rel, "--run", "r"],
        ["delete", "--db", rel, "--run", "r", "--force"],
        ["worker", "--db", rel, "--run", "r"],
    ):
        done = cli(args, world, wrap)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2, (args, done.stderr)
        assert len(lines) == 1 and "is read-only" in lines[0], (args, done.stderr)
    done = cli(run_args(db=os.path.relpath(folder / "new.sqlite", world)), world, wrap)
    assert done.returncode == 2 and "cannot create the database" in done.stderr
    assert "is read-only" in done.stderr
    assert digest(folder) == before


def test_wal_changes_that_cannot_be_read_are_named(world: Path, tmp_path: Path) -> None:
    """-wal holds changes but the -shm file is gone and the folder is read-only: SQLite cannot
    read them, and `immutable=1` would silently show the older data; say what to do instead."""
    folder = world / f"ro-wal-{tmp_path.name}"
    shutil.copytree(world / "ro", folder)
    try:
        leave_changes_in_the_wal(folder / "runs.sqlite")
        (folder / "runs.sqlite-shm").unlink()
        done = cli(["report", "--db", str(folder / "runs.sqlite")], world, read_only_mount(folder))
        assert done.returncode == 2
        assert "its last changes are still in runs.sqlite-wal" in done.stderr
        assert "copy the database with its -wal file" in done.stderr
    finally:
        shutil.rmtree(folder)


def test_a_reader_leaves_no_wal_files_beside_a_writable_database(world: Path) -> None:
    db = world / "ro" / "runs.sqlite"
    before = sorted(p.name for p in db.parent.iterdir())
    done = cli(["report", "--db", str(db)], world, [])
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in db.parent.iterdir()) == before
    with sqlite3.connect(db) as conn:  # and the file still takes writes afterwards
        conn.execute("SELECT count(*) FROM results").fetchone()
