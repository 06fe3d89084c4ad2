"""Host-side comparison rules: tolerance, elementwise lists, whitespace-normalised stdio."""

from __future__ import annotations

import pytest

from pat_graph.sandbox.compare import decode_value, stdio_mismatch, value_mismatch, values_equal


@pytest.mark.parametrize(
    ("got", "expected", "equal"),
    [
        (1, 1, True),
        (1, 2, False),
        (0.1 + 0.2, 0.3, True),
        (0.31, 0.3, False),
        ([1, 2.0000000001], [1, 2], False),  # a float for an int must be exactly equal
        ([1, 2.0], [1, 2], True),
        (3, 3.0, True),
        (3, 3.0000001, False),
        (1.0000001, 1.0, True),
        (124999998, 124999999, False),
        (1e9 + 1000, 1e9, False),  # floats: 1e-6 + 1e-7 * |expected|, as EvalPlus
        ((1, 2), [1, 2], True),
        ({"a": 1.0000001}, {"a": 1.0}, True),
        ({1, 2}, {2, 1}, True),
        (float("nan"), float("nan"), False),
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
    assert value_mismatch([1, 2], (1, 2), exact_sequences=True) is not None
    assert value_mismatch({"__tuple__": [1, 2]}, (1, 2), exact_sequences=True) is None
    assert value_mismatch({"__set__": [1, 2]}, {2, 1}) is None
    assert value_mismatch({"__dict__": [["b", 2], ["a", 1]]}, {"a": 1, "b": 2}) is None
    assert value_mismatch({"__dict__": [["a", 2]]}, {"a": 1}) == "expected {'a': 1}, got {'a': 2}"
    assert value_mismatch({"__bogus__": 1}, 1) is not None


def test_decode_value_round_trips_tags() -> None:
    tagged = {"__dict__": [[{"__tuple__": [1, {"__set__": [2]}]}, {"__float__": "inf"}]]}
    assert decode_value(tagged) == {(1, frozenset({2})): float("inf")}
    assert decode_value({"__int__": "ff"}) == 255
    assert decode_value({"__complex__": [1.0, 2.0]}) == 1 + 2j


def test_stdio_normalises_whitespace_and_numbers() -> None:
    assert stdio_mismatch("1  2\n3\n\n", "1 2\n3") is None
    assert stdio_mismatch("0.3333333333\n", "0.333333333") is None
    assert stdio_mismatch("yes\r\n", "yes\n") is None


@pytest.mark.parametrize(
    ("got", "expected", "equal"),
    [
        ("124999998", "124999999", False),  # integers are exact, however large
        ("1000000100", "1000000000", False),
        ("007", "7", True),
        ("3.0", "3", True),  # a float for an int: exactly equal passes
        ("3.0000001", "3", False),
        ("0.30000001", "0.3", True),  # tolerance only for a float expected token
        ("0.31", "0.3", False),
        ("3", "3.0", True),
        ("True", "1", False),
        ("Yes", "YES", False),
        ("1e9", "1000000000", True),
    ],
)
def test_stdio_tokens(got: str, expected: str, equal: bool) -> None:
    assert (stdio_mismatch(got, expected) is None) is equal


def test_stdio_mismatch_messages_are_short_and_specific() -> None:
    assert stdio_mismatch("1\n2\n", "1\n3\n") == "line 2: expected '3', got '2'"
    msg = stdio_mismatch("1\n", "1\n2\n")
    assert msg is not None and msg.startswith("expected 2 lines, got 1")
    long = stdio_mismatch("x" * 1000, "y")
    assert long is not None and len(long) < 300
