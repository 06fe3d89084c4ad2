"""Host-side comparison rules: tolerance, elementwise lists, whitespace-normalised stdio."""

from __future__ import annotations

import pytest

from pat_graph.sandbox.compare import stdio_mismatch, value_mismatch, values_equal


@pytest.mark.parametrize(
    ("got", "expected", "equal"),
    [
        (1, 1, True),
        (1, 2, False),
        (0.1 + 0.2, 0.3, True),
        (0.31, 0.3, False),
        ([1, 2.0000000001], [1, 2], True),
        ([1, 2], [1, 2, 3], False),
        (True, 1, False),
        ("a", "a", True),
        ("1", 1, False),
        (None, None, True),
        (None, 0, False),
    ],
)
def test_values_equal(got: object, expected: object, equal: bool) -> None:
    assert values_equal(got, expected) is equal


def test_atol_widens_tolerance() -> None:
    assert value_mismatch(1.05, 1.0) is not None
    assert value_mismatch(1.05, 1.0, atol=0.1) is None


def test_tuple_expected_matches_list_value_and_sets_ignore_order() -> None:
    assert value_mismatch([1, 2], (1, 2)) is None
    assert value_mismatch({"__set__": [1, 2]}, {2, 1}) is None
    assert value_mismatch({"__dict__": [["b", 2], ["a", 1]]}, {"a": 1, "b": 2}) is None
    assert value_mismatch({"__dict__": [["a", 2]]}, {"a": 1}) == "expected {'a': 1}, got {'a': 2}"


def test_stdio_normalises_whitespace_and_numbers() -> None:
    assert stdio_mismatch("1  2\n3\n\n", "1 2\n3") is None
    assert stdio_mismatch("0.3333333333\n", "0.333333333") is None
    assert stdio_mismatch("yes\r\n", "yes\n") is None


def test_stdio_mismatch_messages_are_short_and_specific() -> None:
    assert stdio_mismatch("1\n2\n", "1\n3\n") == "line 2: expected '3', got '2'"
    msg = stdio_mismatch("1\n", "1\n2\n")
    assert msg is not None and msg.startswith("expected 2 lines, got 1")
    long = stdio_mismatch("x" * 1000, "y")
    assert long is not None and len(long) < 300
