"""In CI bubblewrap is installed by .ci/run, so the strong sandbox must be the one in use: a
silent fallback would turn the whole hostile-code suite into skips."""

from __future__ import annotations

import os

import pytest

from pat_graph.sandbox import bwrap_available, get_sandbox

pytestmark = pytest.mark.integration


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="only CI promises bubblewrap")
def test_ci_runs_the_bwrap_sandbox():
    assert bwrap_available(), "bwrap is installed by .ci/run but cannot run here"
    assert get_sandbox("auto").name == "bwrap"
