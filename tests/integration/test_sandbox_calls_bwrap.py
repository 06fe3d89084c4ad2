"""run_calls on the real bwrap sandbox: outputs come back per call, crashes and hangs stay local."""

from __future__ import annotations

import pytest

from pat_graph.sandbox import BwrapSandbox, bwrap_available
from pat_graph.sandbox.compare import decode_value, same_output

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not bwrap_available(), reason="bwrap cannot start here"),
]


@pytest.fixture(scope="module")
def box() -> BwrapSandbox:
    return BwrapSandbox(workers=1)


async def test_function_calls_on_bwrap(box: BwrapSandbox) -> None:
    code = (
        "import os\ndef f(x):\n    if x == 2:\n        os.abort()\n"
        "    if x == 3:\n        while True: pass\n    return [x, (x,), {x}]\n"
    )
    out = await box.run_calls(
        code, ["f(1)", "f(2)", "f(3)", {"args": [4]}], entry_point="f", timeout_s=0.5
    )
    assert [o.status for o in out] == ["ok", "error", "timeout", "ok"]
    assert decode_value(out[0].value) == [1, (1,), {1}]
    assert decode_value(out[3].value) == [4, (4,), {4}]


async def test_consensus_inputs_on_bwrap(box: BwrapSandbox) -> None:
    a = await box.run_calls("def f(x):\n    return sorted(x)\n", ["f([3, 1])", "f([])"])
    b = await box.run_calls("def f(x):\n    return list(sorted(x))\n", ["f([3, 1])", "f([])"])
    c = await box.run_calls("def f(x):\n    return tuple(sorted(x))\n", ["f([3, 1])", "f([])"])
    assert all(same_output(x, y) for x, y in zip(a, b, strict=True))
    assert not any(same_output(x, y) for x, y in zip(a, c, strict=True))


async def test_stdio_calls_on_bwrap(box: BwrapSandbox) -> None:
    code = "import sys\nn = int(input())\nif n < 0:\n    sys.exit(2)\nprint(n * n)\n"
    out = await box.run_calls(code, ["3\n", "-1\n", {"input": "12"}], kind="stdio")
    assert [o.status for o in out] == ["ok", "error", "ok"]
    assert out[0].value == "9\n" and out[2].value == "144\n"
