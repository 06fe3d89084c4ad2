# ruff: noqa: E501  (the script run as nobody is data; wrapping it hurts reading)
"""The bwrap backend when pat-graph runs as an ordinary user (a user namespace instead of a uid
of its own per candidate): it still starts, candidates have no capabilities, the kernel knobs
stay read-only and writable places are fresh per candidate.

Run from root by dropping to `nobody` with setpriv and the system python3 (which that uid can
read); skipped where that is not possible.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCRIPT = """
import asyncio, json, os, sys
sys.path.insert(0, {repo!r})
from pat_graph.sandbox.bwrap import BwrapSandbox, bwrap_available

async def main():
    out = {{"uid": os.getuid(), "available": bwrap_available()}}
    box = BwrapSandbox(workers=1)
    honest = await box.run_tests("def f():\\n    return 42\\n", ["assert f() == 42", "import queue\\nassert f() == 42"])
    out["honest"] = honest.passed
    probe = ("import os\\ndef f():\\n    st = dict(l.split(':', 1) for l in open('/proc/self/status') if ':' in l)\\n"
             "    return [st['CapEff'].strip(), st['CapPrm'].strip(), st['NoNewPrivs'].strip()]\\n")
    [caps] = await box.run_calls(probe, ["f()"])
    out["caps"] = caps.value
    knob = "def f():\\n    open('/proc/sys/kernel/hostname', 'w').write(open('/proc/sys/kernel/hostname').read())\\n"
    [write] = await box.run_calls(knob, ["f()"])
    out["knob"] = [write.status, write.message]
    await box.run_tests("open('/tmp/left', 'w').write('1')\\nopen('/sandbox/left', 'w').write('1')\\n", ["assert 1"])
    fresh = await box.run_tests("import os\\n", ["assert not os.path.exists('/tmp/left') and os.listdir('.') == []"])
    out["fresh"] = fresh.passed
    print(json.dumps(out))

asyncio.run(main())
"""


def test_bwrap_as_an_unprivileged_user():
    setpriv, python = shutil.which("setpriv"), "/usr/bin/python3"
    if os.geteuid() != 0 or not setpriv or not os.path.exists(python) or not shutil.which("bwrap"):
        pytest.skip("needs root (to drop to nobody), setpriv, bwrap and /usr/bin/python3")
    probe = subprocess.run(
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python, "-c",
         f"import sys; sys.path.insert(0, {str(REPO)!r}); import pat_graph.sandbox.bwrap"],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot import pat_graph here: {probe.stderr[-300:]}")
    with tempfile.TemporaryDirectory(prefix="pat-unpriv-", dir="/tmp") as tmp:
        os.chmod(tmp, 0o755)
        script = Path(tmp) / "run.py"
        script.write_text(SCRIPT.format(repo=str(REPO)))
        script.chmod(0o644)
        done = subprocess.run(
            [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python, str(script)],
            capture_output=True, text=True, timeout=300, cwd=tmp,
            env={"PATH": "/usr/bin:/bin", "HOME": tmp},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if not out["available"]:
        pytest.skip("unprivileged user namespaces are not allowed here")
    assert out["uid"] == 65534
    assert out["honest"] is True
    assert out["caps"] == ["0000000000000000", "0000000000000000", "1"], out
    assert out["knob"][0] == "error" and "Read-only" in out["knob"][1], out
    assert out["fresh"] is True
