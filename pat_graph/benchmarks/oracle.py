"""EvalPlus's output comparison, re-implemented without numpy so it can run inside the sandbox.

This module must stay self-contained (stdlib only, no package imports): its source is embedded
into every differential judge harness and executed next to the candidate program.
"""

import math

# EvalPlus special cases, keyed by entry point within a dataset.
MBPP_SET_EQ = {
    "similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
    "larg_nnum", "intersection_array", "find_dissimilar", "Diff",
}  # fmt: skip
MBPP_NOT_NONE = {"check_str", "text_match_three", "text_starta_endb"}


def _poly(xs, x):
    return sum(c * math.pow(x, i) for i, c in enumerate(xs))


def _surface_area(base_edge, height):  # Mbpp/581: height is the pyramid's perpendicular height
    slant = math.sqrt((base_edge / 2) ** 2 + height**2)
    return round(base_edge**2 + 2 * base_edge * slant)


def _digit_distance(a, b):  # Mbpp/558: pad the shorter number with zeros
    sa, sb = str(a), str(b)
    width = max(len(sa), len(sb))
    return sum(abs(int(x) - int(y)) for x, y in zip(sa.zfill(width), sb.zfill(width), strict=True))


def is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, list | tuple) and x:
        return all(isinstance(i, float) for i in x)
    return False


def _close(out, exp, rtol, atol):
    """numpy.allclose for scalars and (nested) sequences of numbers, shapes must match."""
    if isinstance(exp, list | tuple):
        if not isinstance(out, list | tuple) or len(out) != len(exp):
            return False
        return all(_close(o, e, rtol, atol) for o, e in zip(out, exp, strict=True))
    numbers = (int, float, complex, bool)
    if not isinstance(out, numbers) or not isinstance(exp, numbers):
        return False
    if out == exp:
        return True
    diff = abs(out - exp)
    return not math.isnan(diff) and diff <= atol + rtol * abs(exp)


def check_output(dataset, entry_point, args, out, exp, atol):
    """Return (passed, atol): atol may be raised to 1e-6 for floats and stays so, as in EvalPlus."""
    exact = out == exp
    if dataset == "mbpp":
        if entry_point == "are_equivalent":  # Mbpp/164: the reference is wrong, anything goes
            exact = True
        elif entry_point == "sum_div":  # Mbpp/295
            exact = exact or out == 0
        elif entry_point == "surface_Area":
            exact = exact or abs(out - _surface_area(*args)) <= atol
        elif entry_point == "digit_distance_nums":
            exact = exact or out == _digit_distance(*args)
        elif entry_point in MBPP_SET_EQ:
            exact = set(out) == set(exp)
        elif entry_point in MBPP_NOT_NONE:
            exact = out == exp if isinstance(out, bool) else exp == (out is not None)
    if dataset == "humaneval" and entry_point == "find_zero":
        return abs(_poly(*args, out)) <= atol, atol
    if atol == 0 and is_floats(exp):
        atol = 1e-6
    if not exact and atol != 0:
        if type(out) is not type(exp):
            return False, atol
        return _close(out, exp, 1e-07, atol), atol
    return bool(exact), atol
