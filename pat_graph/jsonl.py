"""Reading user-supplied JSONL files (benchmarks, samples) with errors that name file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pat_graph.errors import BenchmarkError


def read_jsonl(
    path: Path, *, what: str, error: type[BenchmarkError] = BenchmarkError
) -> Iterator[tuple[int, str, Any]]:
    """(line number, "file:line", parsed value) for each non-blank line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {what} {path}: {exc}") from exc
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{where}: not valid JSON ({exc.msg})") from exc
        yield lineno, where, row
