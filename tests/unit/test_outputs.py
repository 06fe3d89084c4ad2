"""Issue 22, items 1-3: outputs never harm what is at the path, and follow the umask.

Every command that writes an output (export --out, graph --out, report --plot, explore --out)
is tried against every kind of thing a path can name that is not a regular file: a character
device (an `mknod` copy of /dev/null or /dev/full in the test's own tmp dir, never a real /dev
node), a block device (an `mknod` node with a major number no driver has, so not even a mistake
could reach a disk), a FIFO, a socket, and symlinks to each. A device or FIFO is written as a
stream and stays what it was; a block device, a socket or a directory is refused, `--force` or
not.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pat_graph.cli import main
from pat_graph.errors import ConfigError
from pat_graph.files.outputs import check_output_dir, output_kind, write_atomic
from tests.support.fake_server import GatedStub, write_benchmark
from tests.unit.test_cli_errors import config, one_error_line, run_args

NULL, FULL = os.makedev(1, 3), os.makedev(1, 7)
NO_DRIVER = os.makedev(241, 7)  # a block major no driver registers: opening it could only fail


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one finished run `r` (3 problems), shared by the module's tests."""
    folder = tmp_path_factory.mktemp("outputs")
    write_benchmark(folder / "bench.jsonl", 3)
    with GatedStub() as stub, pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        config(folder / "pat.toml", stub.base_url)
        assert main(run_args()) == 0
    return folder / "runs.sqlite"


@pytest.fixture
def here(finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    os.link(finished, tmp_path / "runs.sqlite")  # the same database, read only by these tests
    return tmp_path


def node(path: Path, kind: int, device: int = 0) -> Path:
    try:
        os.mknod(path, kind | 0o666, device)
    except PermissionError:
        pytest.skip("mknod needs root (CAP_MKNOD)")
    return path


def kind_of(path: Path) -> str:
    mode = os.lstat(path).st_mode
    kinds = {
        "link": stat.S_ISLNK, "chr": stat.S_ISCHR, "blk": stat.S_ISBLK, "fifo": stat.S_ISFIFO,
        "sock": stat.S_ISSOCK, "reg": stat.S_ISREG,
    }  # fmt: skip
    return next((name for name, test in kinds.items() if test(mode)), "other")


@contextlib.contextmanager
def unix_socket(path: Path) -> Iterator[Path]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))
        yield path


@contextlib.contextmanager
def fifo_reader(path: Path) -> Iterator[list[bytes]]:
    """A FIFO with a reader thread collecting what arrives."""
    os.mkfifo(path)
    got: list[bytes] = []
    ready = threading.Event()

    def read() -> None:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opens at once; the writer finds it
        ready.set()
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:  # a writer is there, nothing written yet
                    chunk = None
                if chunk:
                    got.append(chunk)
                elif chunk == b"" and got:  # the writer closed after writing
                    return
                else:  # no writer yet (reads as end of file) or nothing yet
                    time.sleep(0.005)
        finally:
            os.close(fd)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    ready.wait(5)
    yield got
    thread.join(10)


# The commands that write an output, each as a function of the output path and extra flags.
COMMANDS: dict[str, Callable[[str, list[str]], list[str]]] = {
    "export": lambda out, extra: ["export", "--run", "r", "--out", out, *extra],
    "graph": lambda out, extra: ["graph", "--policy", "pat", "--out", out, *extra],
    "report --plot": lambda out, extra: ["report", "--plot", out, *extra],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize("via_link", [False, True])
def test_a_character_device_is_written_as_a_stream_and_stays_a_device(
    here: Path, capsys, command: str, force: list[str], via_link: bool
) -> None:
    dev = node(here / "null", stat.S_IFCHR, NULL)
    out = dev
    if via_link:
        out = here / "link"
        out.symlink_to(dev)
    assert main(COMMANDS[command](out.name, force)) == 0, capsys.readouterr().err
    assert kind_of(dev) == "chr" and os.stat(dev).st_rdev == NULL
    assert kind_of(out) == ("link" if via_link else "chr")
    assert sorted(p.name for p in here.iterdir() if p.name.endswith(".tmp")) == []


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_full_device_fails_with_one_line_and_stays_a_device(here: Path, capsys, command) -> None:
    dev = node(here / "full", stat.S_IFCHR, FULL)
    capsys.readouterr()
    assert main(COMMANDS[command]("full", ["--force"])) == 2
    assert "No space left on device" in one_error_line(capsys.readouterr().err)
    assert kind_of(dev) == "chr" and os.stat(dev).st_rdev == FULL


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("what", ["block device", "socket", "directory"])
@pytest.mark.parametrize("via_link", [False, True])
def test_block_devices_sockets_and_directories_are_refused_even_with_force(
    here: Path, capsys, command: str, what: str, via_link: bool
) -> None:
    with contextlib.ExitStack() as stack:
        if what == "block device":
            target = node(here / "disk", stat.S_IFBLK, NO_DRIVER)
        elif what == "socket":
            target = stack.enter_context(unix_socket(here / "sock"))
        else:
            target = here / "folder"
            target.mkdir()
        before = kind_of(target)
        out = target
        if via_link:
            out = here / "link"
            out.symlink_to(target)
        for force in ([], ["--force"]):
            capsys.readouterr()
            assert main(COMMANDS[command](out.name, force)) == 2
            assert f"is a {what}" in one_error_line(capsys.readouterr().err)
        assert kind_of(target) == before
        assert kind_of(out) == ("link" if via_link else before)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_fifo_gets_the_output_as_a_stream(here: Path, capsys, command: str) -> None:
    with fifo_reader(here / "pipe") as got:
        assert main(COMMANDS[command]("pipe", [])) == 0, capsys.readouterr().err
    data = b"".join(got)
    assert data, "the reader got nothing"
    if command == "report --plot":
        assert data.startswith(b"\x89PNG")
    elif command == "export":
        assert data.count(b'"task_id"') == 3
    else:
        assert data.startswith(b"---") or data.startswith(b"graph")
    assert kind_of(here / "pipe") == "fifo"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_fifo_nobody_reads_is_refused_not_waited_on(here: Path, capsys, command: str) -> None:
    os.mkfifo(here / "pipe")
    capsys.readouterr()
    assert main(COMMANDS[command]("pipe", [])) == 2
    assert "FIFO (named pipe) nobody reads" in one_error_line(capsys.readouterr().err)
    assert kind_of(here / "pipe") == "fifo"


def test_a_symlink_to_a_samples_file_keeps_the_link_and_updates_its_target(here: Path) -> None:
    (here / "real").mkdir()
    target = here / "real" / "samples.jsonl"
    target.write_text("")
    (here / "latest.jsonl").symlink_to(target)
    assert main(["export", "--run", "r", "--out", "latest.jsonl"]) == 0
    assert kind_of(here / "latest.jsonl") == "link"
    assert len(target.read_text().splitlines()) == 3


def test_a_symlink_to_a_foreign_file_is_refused_like_the_file(here: Path, capsys) -> None:
    notes = here / "notes.txt"
    notes.write_text("mine\n")
    (here / "link.jsonl").symlink_to(notes)
    assert main(["export", "--run", "r", "--out", "link.jsonl"]) == 2
    assert "is not a samples file pat-graph wrote" in one_error_line(capsys.readouterr().err)
    assert notes.read_text() == "mine\n"


@pytest.mark.parametrize("what", ["chr", "fifo", "blk", "sock"])
def test_run_db_that_is_not_a_regular_file_is_refused_without_reading_it(
    here: Path, capsys, what: str
) -> None:
    path = here / "db"
    with contextlib.ExitStack() as stack:
        if what == "chr":
            node(path, stat.S_IFCHR, NULL)
        elif what == "blk":
            node(path, stat.S_IFBLK, NO_DRIVER)
        elif what == "fifo":
            os.mkfifo(path)  # reading its first bytes would block for ever
        else:
            stack.enter_context(unix_socket(path))
        for command in (["report"], ["export", "--run", "r", "--out", "s.jsonl"],
                        ["explore", "--out", "site"], ["prune", "--run", "r"]):  # fmt: skip
            capsys.readouterr()
            assert main([*command, "--db", "db"]) == 2
            assert "is not a regular file" in one_error_line(capsys.readouterr().err)
        assert kind_of(path) == what
        assert not (here / "s.jsonl").exists() and not (here / "site").exists()


# ---- explore --out DIR (item 2) ----------------------------------------------------------------


def test_explore_refuses_a_folder_of_foreign_files_and_force_writes_beside_them(
    here: Path, capsys
) -> None:
    site = here / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>my own page</p>")
    (site / "notes.txt").write_text("keep me")
    assert main(["explore", "--out", "site"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "holds files pat-graph did not write (index.html, notes.txt)" in line
    assert "--force" in line
    assert (site / "index.html").read_text() == "<p>my own page</p>"
    assert main(["explore", "--out", "site", "--force"]) == 0
    assert "pat-graph explorer" in (site / "index.html").read_text()
    assert (site / "notes.txt").read_text() == "keep me"  # --force overwrites, never deletes


def test_explore_rewrites_its_own_site_and_recognises_one_written_before_the_marker(
    here: Path, capsys
) -> None:
    assert main(["explore", "--out", "site"]) == 0
    assert (here / "site" / ".pat-graph-site").is_file()
    assert main(["explore", "--out", "site"]) == 0  # its own: no --force needed
    (here / "site" / ".pat-graph-site").unlink()  # as an older version left it
    assert main(["explore", "--out", "site"]) == 0
    (here / "empty").mkdir()
    assert main(["explore", "--out", "empty"]) == 0


@pytest.mark.parametrize("what", ["chr", "fifo", "blk"])
def test_explore_never_replaces_a_device_inside_its_folder(here: Path, capsys, what) -> None:
    assert main(["explore", "--out", "site"]) == 0
    index = here / "site" / "index.html"
    index.unlink()
    if what == "chr":
        node(index, stat.S_IFCHR, NULL)
        assert main(["explore", "--out", "site"]) == 0
    elif what == "blk":
        node(index, stat.S_IFBLK, NO_DRIVER)
        assert main(["explore", "--out", "site", "--force"]) == 2
        assert "is a block device" in capsys.readouterr().err
    else:
        with fifo_reader(index) as got:
            assert main(["explore", "--out", "site"]) == 0
        assert b"pat-graph explorer" in b"".join(got)
    assert kind_of(index) == what


def test_explore_out_that_is_a_device_is_refused(here: Path, capsys) -> None:
    node(here / "null", stat.S_IFCHR, NULL)
    assert main(["explore", "--out", "null"]) == 2
    assert "is a file" in one_error_line(capsys.readouterr().err)
    assert kind_of(here / "null") == "chr"


# ---- modes follow the umask (item 3) -----------------------------------------------------------


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_every_output_follows_the_umask(here: Path, capsys, umask_022) -> None:
    assert main(["export", "--run", "r", "--out", "out/s.jsonl"]) == 0
    assert main(["export", "--run", "r", "--out", "out/s.jsonl"]) == 0  # replaced: still 0644
    assert main(["graph", "--policy", "pat", "--format", "png", "--out", "g.png"]) == 0
    assert main(["report", "--plot", "plot.png"]) == 0
    assert main(["explore", "--out", "site"]) == 0
    files = [here / "out/s.jsonl", here / "g.png", here / "plot.png"]
    files += [p for p in (here / "site").rglob("*") if p.is_file()]
    assert len(files) > 6
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {"0o644"}
    folders = [here / "out", here / "site"] + [p for p in (here / "site").rglob("*") if p.is_dir()]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in folders} == {"0o755"}
    os.umask(0o077)
    assert main(["export", "--run", "r", "--out", "private.jsonl"]) == 0
    assert stat.S_IMODE((here / "private.jsonl").stat().st_mode) == 0o600


# ---- the library functions themselves ----------------------------------------------------------


def test_write_atomic_decides_at_write_time(tmp_path: Path) -> None:
    """Whatever a caller checked earlier, write_atomic itself never renames over a non-file."""
    dev = node(tmp_path / "null", stat.S_IFCHR, NULL)
    write_atomic(dev, "x" * 100_000)
    assert kind_of(dev) == "chr"
    blk = node(tmp_path / "disk", stat.S_IFBLK, NO_DRIVER)
    with pytest.raises(ConfigError, match="block device"):
        write_atomic(blk, "x")
    assert kind_of(blk) == "blk"
    assert output_kind(tmp_path / "missing") == "missing"
    assert output_kind(dev) == "stream"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_check_output_dir_marks_a_new_folder_at_once(tmp_path: Path) -> None:
    folder = check_output_dir(tmp_path / "a" / "b", marker=".mine")
    assert (folder / ".mine").is_file()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("")
    with pytest.raises(ConfigError, match=r"holds files pat-graph did not write \(x\)"):
        check_output_dir(tmp_path / "c", marker=".mine")
    assert not (tmp_path / "c" / ".mine").exists()
