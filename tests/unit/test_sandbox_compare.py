"""Host-side comparison rules: tolerance, elementwise lists, whitespace-normalised stdio."""

from __future__ import annotations

import pytest

from pat_graph.sandbox.compare import (
    decode_value,
    safe_repr,
    stdio_mismatch,
    value_mismatch,
    values_equal,
)


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


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        ({True: "a"}, {1: "a"}),  # issue 19, class 5: a bool key is not the int it equals
        ({1: "a"}, {True: "a"}),
        ({True}, {1}),
        ({False, 2}, {0, 2}),
        (frozenset({(1, True)}), frozenset({(1, 1)})),  # nested in a set element
        ({"k": {True: 1}}, {"k": {1: 1}}),  # nested in a dict value
        ({(True, 2): "x"}, {(1, 2): "x"}),  # inside a tuple key
        ([True, 2], [1, 2]),  # list elements where the expected uses ints
        ((1, False), (1, 0)),
    ],
)
def test_bools_are_never_the_ints_they_equal(got: object, expected: object) -> None:
    assert values_equal(got, expected) is False
    assert values_equal(expected, expected) is True  # control: the same value still equals


def test_numbers_in_keys_keep_python_equality() -> None:
    assert values_equal({1.0: "a"}, {1: "a"}) is True  # as EvalPlus's ==
    assert values_equal({1, 2.0}, {1, 2}) is True


@pytest.mark.parametrize(
    ("got", "expected", "ok"),
    [
        ("124999998.9999999999", "124999999", False),  # rounds to it as a float
        ("124999999.0", "124999999", True),
        ("3.0", "3", True),
        ("3.0000001", "3", False),
        ("1e3", "1000", True),
        ("1e99999999", "1", False),
        ("-0.0", "0", True),
    ],
)
def test_integer_expected_on_stdio_is_compared_exactly(got: str, expected: str, ok: bool) -> None:
    assert (stdio_mismatch(got + "\n", expected + "\n") is None) is ok


def test_messages_never_raise_on_huge_or_hostile_values() -> None:
    huge = 10**5000
    message = value_mismatch(huge, 1)
    assert message is not None and "bits" in message and len(message) < 300
    assert len(safe_repr(list(range(100_000)))) <= 120

    class Bad:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert "cannot be shown" in safe_repr(Bad())
