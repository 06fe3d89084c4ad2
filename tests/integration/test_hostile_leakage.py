# ruff: noqa: E501  (the searcher is a candidate program kept as data)
"""Issue 19, class 3: nothing of one candidate reaches the next one on the same warm worker.

A planting candidate leaves a fresh marker everywhere it can: its program text, a test sent with
it, its return value (relayed through the harness), a global, the environment, files in every
writable place. The next candidate on the same worker searches all of its own memory
(`/proc/self/mem`), every gc object, every file and fd it can see for that marker, knowing only
its hash (so its own program never holds the marker). A positive control plants a marker in the
searcher's own job (in memory and in a file) and checks that the same search finds it there.
"""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest

from pat_graph.sandbox import BwrapSandbox, ProcessSandbox, bwrap_available
from pat_graph.sandbox.compare import decode_value

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not bwrap_available(), reason="bwrap cannot start here"),
]

# The searcher reads every byte of its own memory and every file changed since the planter ran
# (seconds); a hang guard only, what is checked is what it finds.
SEARCH_S = 120

PLANTER = """
import os
MARK = {mark!r}
KEPT = [MARK * 2, MARK.encode()]
os.environ["PAT_PLANTED"] = MARK
for where in ("/tmp", "/dev/shm", os.getcwd(), os.environ.get("HOME", "/tmp")):
    try:
        with open(os.path.join(where, "planted.txt"), "w") as fh:
            fh.write(MARK)
    except OSError:
        pass
def f(x):
    return MARK + str(x)
"""

SEARCHER = r"""
import gc, hashlib, os, re
_PATTERN = re.compile(rb"PLANT-[0-9a-f]{32}")
def _hits(blob, want):
    return any(hashlib.sha256(m).hexdigest() == want for m in _PATTERN.findall(blob))
def _memory(want):
    # Every anonymous, heap and stack mapping, read in place (a non-dumpable process may not
    # open /proc/self/mem; file-backed mappings are program text, and could fault past EOF).
    import ctypes
    found = False
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            name = fields[5] if len(fields) > 5 else ""
            if "r" not in fields[1] or name not in ("", "[heap]", "[stack]"):
                continue
            lo, hi = (int(v, 16) for v in fields[0].split("-"))
            for pos in range(lo, hi, 1 << 24):
                blob = ctypes.string_at(pos, min(hi - pos, 1 << 24))
                if _hits(blob, want):
                    found = True
    return found
def _objects(want):
    for obj in gc.get_objects():
        try:
            for value in (obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else ()):
                if isinstance(value, (str, bytes)):
                    blob = value.encode("utf-8", "replace") if isinstance(value, str) else value
                    if _hits(blob, want):
                        return True
        except Exception:
            pass
    return False
def _files(want, since):
    # Only files whose inode changed since the planter started: writing, appending, renaming,
    # linking or utime() all set st_ctime to now, so nothing older can hold the fresh marker.
    # (On the process backend /tmp is the host's, full of other tests' files.)
    for root in ("/tmp", "/dev/shm", os.getcwd(), "/sandbox"):
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                path = os.path.join(dirpath, name)
                try:
                    if os.stat(path).st_ctime < since:
                        continue
                    with open(path, "rb") as fh:
                        if _hits(fh.read(1 << 20), want):
                            return True
                except OSError:
                    pass
    return False
def _env(want):
    return any(_hits(v.encode(), want) for v in os.environ.values())
def _fds():
    return sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
def plant_file(mark):
    with open("own-planted.txt", "w") as fh:
        fh.write(mark)
def search(want, since, *planted):
    return {"memory": _memory(want), "objects": _objects(want), "files": _files(want, since),
            "env": _env(want)}
"""


def _hash(mark: str) -> str:
    return hashlib.sha256(mark.encode()).hexdigest()


@pytest.fixture(params=["bwrap", "process"])
def box(request):
    # One worker: the searcher runs on the very worker (zygote) that served the planter.
    return BwrapSandbox(workers=1) if request.param == "bwrap" else ProcessSandbox(workers=1)


async def test_a_planted_marker_is_nowhere_in_the_next_candidate(box) -> None:
    mark = "PLANT-" + uuid.uuid4().hex
    planter = PLANTER.format(mark=mark)
    since = time.time() - 2.0  # ctime has the kernel's tick; a margin costs nothing
    outcomes = await box.run_calls(planter, ["f(1)", f"f({mark!r})"], timeout_s=5)
    assert [o.status for o in outcomes] == ["ok", "ok"]  # it ran, and its values went through
    report = await box.run_tests(planter, [f"x = f(2)\nassert x.startswith({mark!r})"])
    assert report.passed
    own = "PLANT-" + uuid.uuid4().hex  # positive control: in the searcher's own job
    (outcome, fds) = await box.run_calls(
        SEARCHER, [f"search({_hash(mark)!r}, {since!r}, {own!r})", "_fds()"], timeout_s=SEARCH_S
    )
    assert outcome.ok, outcome.message
    assert decode_value(outcome.value) == {
        "memory": False, "objects": False, "files": False, "env": False
    }  # fmt: skip
    assert decode_value(fds.value) == [0, 1, 2, *decode_value(fds.value)[3:]]
    assert len(decode_value(fds.value)) <= 5, decode_value(fds.value)  # stdio + result pipe
    (_, control) = await box.run_calls(
        SEARCHER,
        [f"plant_file({own!r})", f"search({_hash(own)!r}, {since!r}, {own!r})"],
        timeout_s=SEARCH_S,
    )
    found = decode_value(control.value)
    assert found["memory"] and found["objects"] and found["files"], found
