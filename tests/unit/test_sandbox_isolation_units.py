"""Host-side pieces of the sandbox's isolation that need no sandbox to check: what bwrap masks
(issue 11 class 6), and that reading a worker's output is bounded and linear (class 5)."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from pat_graph.sandbox import bwrap, worker
from pat_graph.sandbox.runner import Limits


def _tree(root: Path) -> dict[str, Path]:
    made = {
        "site": root / "lib/python3.11/site-packages",
        "dist": root / "lib/python3/dist-packages",
        "local": root / "local/lib/python3.11/dist-packages",
    }
    for path in made.values():
        (path / "pat_graph/benchmarks/data").mkdir(parents=True)
    (root / "lib/python3.11/os.py").write_text("")
    return made


def test_every_site_and_dist_packages_under_a_bound_dir_is_masked(tmp_path):
    made = _tree(tmp_path)
    masked = bwrap.masked_dirs([str(tmp_path)])
    assert set(masked) >= {str(p) for p in made.values()}
    assert str(tmp_path / "lib/python3.11") not in masked  # the stdlib itself stays readable


def test_the_argv_masks_them_with_read_only_empty_tmpfs(tmp_path, monkeypatch):
    made = _tree(tmp_path)
    monkeypatch.setattr(bwrap, "interpreter", lambda python: ("/usr/bin/python3", (str(tmp_path),)))
    argv = bwrap.bwrap_argv("python", Limits())
    for path in made.values():
        i = argv.index(str(path))
        assert argv[i - 1] == "--tmpfs" and argv[i + 1 : i + 3] == ["--remount-ro", str(path)]
    # A tmpfs over a dir is only a mask if it comes after the bind that brought the dir in.
    assert argv.index("--ro-bind", argv.index(str(tmp_path)) - 1) < argv.index(str(made["site"]))


def test_only_the_base_interpreter_is_bound_never_a_venv():
    real, _ = bwrap.interpreter(os.path.realpath(sys.executable))
    argv = bwrap.bwrap_argv(sys.executable, Limits())
    binds = [argv[i + 1] for i, a in enumerate(argv) if a == "--ro-bind"]
    venv = sys.prefix
    if venv != sys.base_prefix:
        assert not any(b == venv or b.startswith(venv + "/") for b in binds), binds
    assert any(real.startswith(b.rstrip("/") + "/") for b in binds)


def _reader(data_writer) -> tuple[worker.Worker, int]:
    r, w = os.pipe()
    threading.Thread(target=data_writer, args=(w,), daemon=True).start()
    fake = worker.Worker.__new__(worker.Worker)
    fake._buf = bytearray()
    fake._scanned = 0
    return fake, r


def test_a_newline_free_flood_stops_at_the_line_cap_in_linear_time(monkeypatch):
    monkeypatch.setattr(worker, "_LINE_CAP", 8 * 2**20)

    def flood(fd):
        chunk = b"x" * 65536
        try:
            while True:
                os.write(fd, chunk)
        except OSError:
            pass

    fake, fd = _reader(flood)
    cpu = time.process_time()
    assert fake._next_line(fd, time.monotonic() + 20) is None
    assert time.process_time() - cpu < 1.0
    assert len(fake._buf) <= 8 * 2**20 + (1 << 20)
    os.close(fd)


def test_lines_are_split_without_rescanning(monkeypatch):
    lines = [b"a" * 100_000 + b"\n", b"b\n", b"c" * 3 + b"\n"]

    def write(fd):
        for line in lines:
            for k in range(0, len(line), 1000):  # many small chunks of one long line
                os.write(fd, line[k : k + 1000])
        os.close(fd)

    fake, fd = _reader(write)
    got = [fake._next_line(fd, time.monotonic() + 10) for _ in range(3)]
    assert got == [line[:-1] for line in lines]
    assert fake._next_line(fd, time.monotonic() + 10) is None  # end of stream
    os.close(fd)


def test_seccomp_program_jumps_land_on_its_returns() -> None:
    """Issue 19, class 6: every jump of the filter lands on one of its four return instructions
    or the next instruction, and an unknown architecture gets no program (the docs say so)."""
    from pat_graph.sandbox.harness import seccomp

    for machine in ("x86_64", "aarch64"):
        prog = seccomp.program(machine)
        assert prog is not None
        rets = {i for i, ins in enumerate(prog) if ins[0] == 0x06}
        assert len(rets) == 4 and max(rets) == len(prog) - 1
        for pc, (code, jt, jf, _k) in enumerate(prog):
            if code in (0x15, 0x35, 0x45):
                for off in (jt, jf):
                    assert off == 0 or pc + 1 + off in rets
    assert seccomp.program("riscv64") is None
