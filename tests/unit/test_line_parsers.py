"""The line-by-line readers of CodeT's asserts and FunCoder's inputs: a bad line loses only
itself, repeats count once, `limit` caps (0: no cap), fenced blocks are read when there are any."""

from __future__ import annotations

from pat_graph.graph.nodes.codet import parse_asserts
from pat_graph.graph.nodes.consensus import parse_calls

REPLY = """Here are some:
```python
assert f(1) == 2
assert f(1)==2
assert f(2) == 3, "message dropped"
assert f(3 ==
assert g(1) == 1
assert f(4) == 5; x = 1
f(5)
f(5)
f(6
f (7)
f(8).real
```
outside the fence: assert f(9) == 10
"""


def test_asserts_are_read_line_by_line_deduplicated_without_messages() -> None:
    assert parse_asserts(REPLY, "f") == ["assert f(1) == 2", "assert f(2) == 3"]
    assert parse_asserts(REPLY, "f", limit=1) == ["assert f(1) == 2"]
    assert parse_asserts("assert f(0) == 0\nassert f(1) == 1", "f") == [
        "assert f(0) == 0",
        "assert f(1) == 1",
    ]  # no fence: the whole reply


def test_calls_are_read_line_by_line_deduplicated() -> None:
    assert parse_calls(REPLY, "f") == ["f(5)"]
    text = "```\nf(1)\nf(2, k=3)\nf(1)\nf(4)\n```"
    assert parse_calls(text, "f") == ["f(1)", "f(2, k=3)", "f(4)"]
    assert parse_calls(text, "f", limit=2) == ["f(1)", "f(2, k=3)"]
    assert parse_calls("g(1)\n  f([1, 2])  ", "f") == ["f([1, 2])"]
