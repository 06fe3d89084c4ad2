"""Issue 22 item 12: processes on one machine keep one model's `rpm` together (as the workers of
`run --workers N` do), through the window file under the user cache dir (pat_graph.models.limits).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.counting_stub import CountingStub

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
WINDOW, SLACK = 2.0, 0.5

SENDER = textwrap.dedent(
    """
    import asyncio, sys
    from langchain_core.messages import HumanMessage
    import pat_graph.models.limits as limits
    from pat_graph.models.config import ModelSpec, make_chat_model

    limits.WINDOW_S = float(sys.argv[2])
    spec = ModelSpec(name="m", base_url=sys.argv[1], model="stub-model", input_price=0,
                     output_price=0, max_tokens=4, max_retries=0, rpm=2)

    async def main():
        model = make_chat_model(spec)
        await asyncio.gather(*(model.agenerate([[HumanMessage(f"q {i}")]]) for i in range(3)))

    asyncio.run(main())
    """
)


def test_two_processes_share_one_rpm_window(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    with CountingStub(["ok"]) as stub:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", SENDER, stub.base_url, str(WINDOW)],
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], errors
        assert len(stub.arrivals) == 6
        # Each process alone would send 2 at once and 1 a window later; together they may send
        # only 2 per window, so the 6 requests span at least two windows.
        assert stub.most_in_window(WINDOW - SLACK)[0] <= 2
        assert stub.span >= 2 * WINDOW - SLACK
    assert len(list((tmp_path / "cache" / "pat-graph" / "limits").glob("*.json"))) == 1
