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
