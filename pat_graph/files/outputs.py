"""Writing files the user named (export --out, report --plot, graph --out) without losing data.

A mistyped path must never destroy something: `--out runs.sqlite` once replaced a whole run
database with JSONL. So an existing file is only overwritten when it looks like one pat-graph
wrote for the same purpose (or with `--force`), a SQLite database never without `--force`, the
database being read never at all, and the new content is written to a temporary file and renamed
into place, so an interrupted write leaves the old file intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from pat_graph.errors import ConfigError

SQLITE_MAGIC = b"SQLite format 3\x00"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _head(path: Path, size: int = 4096) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def looks_like_samples(path: Path) -> bool:
    """An empty file, or JSONL whose first rows are `{task_id, solution|completion}` objects."""
    text = _head(path, 65536).decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()][:5]
    if len(text) == 65536 and lines:
        lines = lines[:-1] or lines  # the last line may be cut
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            return False
        has_code = isinstance(row, dict) and ("solution" in row or "completion" in row)
        if not (has_code and "task_id" in row):
            return False
    return True


def looks_like_png(path: Path) -> bool:
    head = _head(path, len(PNG_MAGIC))
    return not head or head == PNG_MAGIC


def looks_like_graph_text(path: Path) -> bool:
    """Mermaid (`graph TD;`, front matter) or the ASCII drawing, as `pat-graph graph` writes."""
    text = _head(path).decode("utf-8", errors="replace").strip()
    return not text or text.startswith(("graph ", "flowchart", "---", "+"))


def check_output(
    path: str | Path,
    *,
    purpose: str,
    ours: Callable[[Path], bool],
    force: bool = False,
    protect: Iterable[str | Path] = (),
    option: str = "--out",
) -> Path:
    """Refuse (ConfigError) to overwrite what is not ours; create missing parent directories."""
    out = Path(path)
    for kept in protect:
        kept_path = Path(kept)
        if out.exists() and kept_path.exists() and out.resolve() == kept_path.resolve():
            raise ConfigError(
                f"{option} {out} is the run database this command reads; choose another file"
            )
    if out.is_dir():
        raise ConfigError(f"{option} {out} is a directory; pass a file name")
    if out.exists() and not force:
        if _head(out, len(SQLITE_MAGIC)) == SQLITE_MAGIC:
            raise ConfigError(
                f"{option} {out} is an SQLite database (a run database?); choose another file, "
                "or pass --force to overwrite it"
            )
        if not ours(out):
            raise ConfigError(
                f"{option} {out} exists and is not {purpose} pat-graph wrote; choose another "
                "file, or pass --force to overwrite it"
            )
    if not out.parent.exists():
        try:
            out.parent.mkdir(parents=True)
        except OSError as exc:
            raise ConfigError(f"{option} {out}: cannot create {out.parent} ({exc})") from exc
    return out


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    out = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(
            f"cannot write {out}: {exc.strerror or exc}; {out} was left as it was"
        ) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
