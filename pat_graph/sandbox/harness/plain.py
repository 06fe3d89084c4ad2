"""The in-sandbox half of comparison: values become plain data (exact built-in types only, so no
`__eq__`, subclass or hook of the candidate survives) for the host or a test process to compare,
and plain data becomes values again (`decode`)."""

import collections

from .state import _dumps


class _Suspect(Exception):
    pass


_BIG_INT_DIGITS = 4000  # the host's json refuses longer decimal ints; send those in hex
_DICT_LIKE = (collections.Counter, collections.OrderedDict, collections.defaultdict)


def _plain(value, depth=0):
    """Tagged JSON form of a value, built only from exact built-in types (plus the standard dict
    containers, read through dict's own C methods so no override can lie), so whatever the host
    compares is plain data: no __eq__, no subclass, no hook of the candidate survives it."""
    tp = type(value)
    if depth > 100:
        raise _Suspect("return value nested too deeply")
    if value is None or tp is bool or tp is str:
        return value
    if tp is int:
        if value.bit_length() > _BIG_INT_DIGITS * 3:
            return {"__int__": int.__format__(value, "x")}
        return value
    if tp is float:
        if value != value or value in (float("inf"), float("-inf")):
            return {"__float__": float.__repr__(value)}
        return value
    if tp is list:
        return [_plain(v, depth + 1) for v in list.__iter__(value)]
    if tp is tuple:
        return {"__tuple__": [_plain(v, depth + 1) for v in tuple.__iter__(value)]}
    if tp in (set, frozenset):
        items = [_plain(v, depth + 1) for v in tp.__iter__(value)]
        return {"__set__": sorted(items, key=_dumps)}
    if tp is dict or tp in _DICT_LIKE:
        pairs = dict.items(value)
        return {"__dict__": [[_plain(k, depth + 1), _plain(v, depth + 1)] for k, v in pairs]}
    if tp is collections.deque:
        return {"__deque__": [_plain(v, depth + 1) for v in collections.deque.__iter__(value)]}
    if tp is bytes:
        return {"__bytes__": bytes.hex(value)}
    if tp is complex:
        return {"__complex__": [_plain(value.real, depth + 1), _plain(value.imag, depth + 1)]}
    raise _Suspect(f"returned a {tp.__qualname__}; only built-in values can be compared")


def decode(value, hashable=False):
    """The inverse of `_plain`: the built-in value a tagged JSON form stands for (the host reads
    candidates' outputs with it, the sandbox the arguments of proxied calls)."""
    if isinstance(value, list):
        items = [decode(v, hashable) for v in value]
        return tuple(items) if hashable else items
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise ValueError("not a tagged value")
    ((tag, body),) = value.items()
    if tag == "__tuple__":
        return tuple(decode(v, hashable) for v in body)
    if tag == "__set__":
        items = {decode(v, True) for v in body}
        return frozenset(items) if hashable else items
    if tag == "__dict__":
        return {decode(k, True): decode(v) for k, v in body}
    if tag == "__float__":
        return float(body)
    if tag == "__int__":
        return int(body, 16)
    if tag == "__bytes__":
        return bytes.fromhex(body)
    if tag == "__complex__":
        return complex(decode(body[0]), decode(body[1]))
    if tag == "__deque__":
        return collections.deque(decode(v) for v in body)
    raise ValueError(f"unknown tag {tag!r}")


def typed_key(value):
    """A hashable stand-in for a set element or dict key under which a bool is never the int it
    equals in Python (`{True}` is not `{1}`, `{(1, True)}` is not `{(1, 1)}`); numbers otherwise
    keep Python's equality (`1 == 1.0`), as EvalPlus's `==` does."""
    tp = type(value)
    if tp is bool:
        return ("bool", value)
    if tp is tuple:
        return ("tuple", tuple(typed_key(v) for v in value))
    if tp is frozenset:
        return ("frozenset", frozenset(typed_key(v) for v in value))
    return value


def strict_equal(a, b, depth=0):
    """Python's `==` on plain values, except that a bool is never an int (nor a key or element
    that equals one): what `assert answer == expected` means in a test judged away from the
    candidate (issue 19, class 5)."""
    if a != b:
        return False
    if depth > 100:
        return True
    ta, tb = type(a), type(b)
    if (ta is bool) != (tb is bool):
        return False
    if ta in (list, tuple) and tb in (list, tuple):
        return all(strict_equal(x, y, depth + 1) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        keyed = {typed_key(k): v for k, v in a.items()}
        if set(keyed) != {typed_key(k) for k in b}:
            return False
        return all(strict_equal(keyed[typed_key(k)], v, depth + 1) for k, v in b.items())
    if isinstance(a, (set, frozenset)) and isinstance(b, (set, frozenset)):
        return {typed_key(v) for v in a} == {typed_key(v) for v in b}
    return True
