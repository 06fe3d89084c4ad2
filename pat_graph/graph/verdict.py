"""What "verified" and "untested" mean, for a pick in the loop and for a stored result.

Apart from the nodes so the report and the explorer can apply the rule without importing the
graph's model layer (a `pat-graph report` starts in a fraction of a second)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_verified(passed: int, total: int) -> bool:
    """Verified: at least one in-loop test ran, and every one passed. A program chosen with no
    test at all (CodeT's statement stub when no test could be written, a trial on a problem with
    no examples) passed nothing: it is "untested", never "verified" (issue 22)."""
    return total > 0 and passed == total


def recorded_verified(result: Mapping[str, Any] | None) -> bool:
    """`verified` of a stored result (`Result.to_dict()`), judged by the rule above: results
    recorded before it called a zero-test pick verified."""
    if not result or not result.get("verified"):
        return False
    total = result.get("tests_total", result.get("total"))
    return total is None or int(total) > 0  # None: recorded before test counts were kept


def recorded_untested(result: Mapping[str, Any] | None) -> bool:
    """A stored result whose program was chosen without any in-loop test running."""
    if not result or not result.get("code"):
        return False
    total = result.get("tests_total", result.get("total"))
    return total is not None and int(total) == 0
