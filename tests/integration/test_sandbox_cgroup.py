"""The per-worker pids cgroup: a hard process cap that binds root too, removed with its worker."""

from __future__ import annotations

import pytest

from pat_graph.sandbox import BwrapSandbox, Limits, ProcessSandbox, bwrap_available, cgroup
from pat_graph.sandbox.runner import WORKER_OVERHEAD_PIDS

pytestmark = pytest.mark.integration

FORKS = """import os, time
made = 0
for _ in range(300):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(3)
        os._exit(0)
    made += 1
assert False, made
"""


def _backends():
    yield "process", ProcessSandbox
    if bwrap_available():
        yield "bwrap", BwrapSandbox


@pytest.mark.parametrize(("name", "backend"), list(_backends()))
async def test_fork_count_is_capped_and_the_group_goes_away(name, backend):
    probe = cgroup.create(10)
    if probe is None:
        pytest.skip("this machine does not let us create a pids cgroup")
    cgroup.kill_and_remove(probe)
    assert not probe.exists()

    limits = Limits(nproc=20)
    box = backend(limits=limits, workers=1)
    report = await box.run_tests("", [FORKS], timeout_s=10)
    made = int(report.outcomes[0].message.split(":")[1].split(" at ")[0])
    assert 0 < made <= limits.nproc + WORKER_OVERHEAD_PIDS
    [worker] = list(box.pool._mine)
    group = worker.cgroup
    assert group is not None and group.exists()
    assert int((group.path / "pids.max").read_text()) == limits.nproc + WORKER_OVERHEAD_PIDS
    assert worker.proc.pid in group.pids()
    worker.kill()
    assert not group.exists()
