"""Reading user-supplied JSONL files (benchmarks, samples) with errors that name file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pat_graph.errors import BenchmarkError

ONE_PER_LINE = (
    "each line must hold one whole JSON object (JSON Lines), or the whole file must be one "
    "JSON array of objects"
)


def read_jsonl(
    path: Path, *, what: str, error: type[BenchmarkError] = BenchmarkError
) -> Iterator[tuple[int, str, Any]]:
    """(line number, "file:line", parsed value) for each non-blank line.

    A file whose first character is `[` is read as one JSON array instead (people paste
    pretty-printed examples); its items are named by the line they start on.
    """
    if path.is_dir():
        raise error(f"{what} {path} is a directory; pass a .jsonl file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {what} {path}: {exc}") from exc
    if text.lstrip().startswith("["):
        yield from _array(text, path, error)
        return
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{where}: not valid JSON ({exc.msg}); {ONE_PER_LINE}") from exc
        yield lineno, where, row


def _array(text: str, path: Path, error: type[BenchmarkError]) -> Iterator[tuple[int, str, Any]]:
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1

    def skip(at: int) -> int:
        while at < len(text) and text[at].isspace():
            at += 1
        return at

    pos = skip(pos)
    if pos < len(text) and text[pos] == "]":
        return
    while True:
        lineno = text.count("\n", 0, pos) + 1
        where = f"{path}:{lineno}"
        try:
            row, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            line = text.count("\n", 0, exc.pos) + 1
            raise error(f"{path}:{line}: not valid JSON ({exc.msg}); {ONE_PER_LINE}") from exc
        yield lineno, where, row
        pos = skip(pos)
        if pos < len(text) and text[pos] == ",":
            pos = skip(pos + 1)
            continue
        if pos < len(text) and text[pos] == "]" and not text[pos + 1 :].strip():
            return
        line = text.count("\n", 0, pos) + 1
        raise error(f"{path}:{line}: expected ',' or the array's closing ']'; {ONE_PER_LINE}")
