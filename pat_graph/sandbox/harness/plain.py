"""The in-sandbox half of comparison: values become plain data (exact built-in types only) for
the host to compare, and results whose type overrides comparison are refused."""

import collections
import functools

from .state import _dumps

_HEAPTYPE = 1 << 9
_SUSPECT_DUNDERS = (
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__",
    "__float__", "__int__", "__index__", "__abs__", "__sub__", "__rsub__", "__round__",
    "__contains__", "__hash__", "__str__", "__repr__", "__iter__",
)  # fmt: skip


def _dunders(klass):
    return {d: vars(klass).get(d) for d in _SUSPECT_DUNDERS}


# Standard containers written in Python (heap types that define comparison): a correct answer may
# be a Counter compared with a dict. They are trusted only while their methods are the ones seen
# here, before any candidate ran, so a candidate patching Counter.__eq__ gains nothing.
_TRUSTED = {
    k: _dunders(k)
    for k in (collections.Counter, collections.OrderedDict, collections.defaultdict,
              collections.deque)
}  # fmt: skip


def _suspect_type(value, depth=0):
    """A Python-defined class that overrides comparison/truthiness could make any assert pass."""
    if depth > 50:
        return None
    tp = type(value)
    trusted = tp in _TRUSTED and _dunders(tp) == _TRUSTED[tp]
    if tp.__flags__ & _HEAPTYPE and not trusted:
        for klass in tp.__mro__:
            if klass.__flags__ & _HEAPTYPE and any(d in vars(klass) for d in _SUSPECT_DUNDERS):
                return tp.__qualname__
    if tp in (list, tuple, set, frozenset) or (trusted and tp is collections.deque):
        for item in value:
            found = _suspect_type(item, depth + 1)
            if found:
                return found
    elif tp is dict or (trusted and isinstance(value, dict)):
        for k, v in value.items():
            found = _suspect_type(k, depth + 1) or _suspect_type(v, depth + 1)
            if found:
                return found
    return None


class _Suspect(Exception):
    pass


def _guard(fn):
    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        result = fn(*args, **kwargs)
        bad = _suspect_type(result)
        if bad:
            raise _Suspect(f"returned an instance of {bad}, which overrides comparison")
        return result

    return guarded


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
