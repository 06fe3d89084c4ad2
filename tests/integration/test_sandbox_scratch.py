"""bwrap's writable places are emptied between candidates, and the sandbox works wherever the
interpreter lives, /tmp included (CI may clone the project there)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pat_graph.sandbox import BwrapSandbox, bwrap_available

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not bwrap_available(), reason="bwrap cannot run on this machine"),
]

LEAVE = "open('/tmp/left', 'w').write('1')\nopen('/sandbox/left', 'w').write('1')\n"
CHECK = (
    "import os\nassert not os.path.exists('/tmp/left') and os.listdir('.') == [], os.listdir('.')"
)


async def test_tmp_and_work_dir_are_emptied_between_candidates():
    box = BwrapSandbox(workers=1)
    first = await box.run_tests(LEAVE, ["import os\nassert os.path.exists('/tmp/left')"])
    assert first.passed, first
    second = await box.run_tests("", [CHECK])
    assert second.passed, second


async def test_an_interpreter_under_tmp_runs_and_its_bind_survives_the_wipe():
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        venv = Path(tmp) / "clone" / ".venv"
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
        )
        box = BwrapSandbox(python=str(venv / "bin" / "python"), workers=1)
        for _ in range(3):  # the wipe after each candidate must leave the bound venv alone
            report = await box.run_tests(LEAVE, ["assert sum([1, 2]) == 3"])
            assert report.passed, report
        assert (venv / "bin" / "python").exists()
        clean = await box.run_tests("", [CHECK])
        assert clean.passed, clean


async def test_the_system_python3_runs_too():
    # A CI machine may build the venv from Debian's /usr/bin/python3 instead of a pyenv build:
    # the sandbox binds that base install, its stdlib imports, its dist-packages stay masked.
    if not Path("/usr/bin/python3").exists():
        pytest.skip("no /usr/bin/python3 here")
    box = BwrapSandbox(python="/usr/bin/python3", workers=1)
    code = "import queue, decimal, cmath, sqlite3\ndef f():\n    return 42\n"
    report = await box.run_tests(code, ["assert f() == 42"])
    assert report.passed, report
    [listing] = await box.run_calls("import os\n", ["os.listdir('/usr/lib/python3/dist-packages')"])
    assert listing.status in ("ok", "error") and not listing.value, listing
