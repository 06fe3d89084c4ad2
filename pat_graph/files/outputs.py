"""Writing files the user named (export --out, report --plot, graph --out, explore --out) without
harming what is there.

A mistyped path must never destroy something: `--out runs.sqlite` once replaced a whole run
database with JSONL, and `--out /dev/null` replaced the device node with a regular file (as root
in a container, that breaks the system). So every output goes through the two functions here:

- `check_output` (before any work) refuses an existing file that does not look like one pat-graph
  wrote for the same purpose (unless `--force`), an SQLite database without `--force`, the
  database being read always, and every path that is not a regular file, missing or a place to
  stream to (see `output_kind`); `check_output_dir` does the same for a folder of outputs.
- `write_atomic` writes a regular file to a temporary file beside it and renames it into place,
  so an interrupted write leaves the old file intact. It renames over regular files only: a
  character device or a FIFO (`/dev/null`, `/dev/stdout`, a pipe) is written in place as a
  stream, a symlink is followed (the link stays, its target is written), and a block device, a
  socket or a directory is refused whatever the flags.

Outputs follow the umask (0644 under 022): samples, plots and sites are read by other users and
by other tools' containers. The temporary file is created with mode 0666 and the kernel applies
the umask, as for any file a shell redirect creates.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from pat_graph.errors import ConfigError

SQLITE_MAGIC = b"SQLite format 3\x00"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
Kind = Literal["missing", "file", "stream"]


def output_kind(path: str | Path, label: str | None = None) -> Kind:
    """What writing to `path` means: create it (`missing`), replace a regular file (`file`), or
    write in place to a character device or FIFO (`stream`). Symlinks are followed. Anything else
    (a directory, a block device, a socket) raises ConfigError: no flag makes it an output."""
    label = label or str(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"  # a dangling symlink too: writing creates its target, as `>` does
    except OSError as exc:
        raise ConfigError(f"{label}: cannot use it as an output ({exc.strerror or exc})") from exc
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    if stat.S_ISDIR(mode):
        raise ConfigError(f"{label} is a directory; pass a file name")
    if stat.S_ISBLK(mode):
        what = "a block device (a disk)"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    else:
        what = "not a regular file"
    raise ConfigError(f"{label} is {what}; pat-graph never writes to one: pass a file name")


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
    """Refuse (ConfigError) to overwrite what is not ours; create missing parent directories.

    A device or FIFO is accepted without reading it (reading a FIFO would block, a device has no
    content to lose); `write_atomic` then streams to it."""
    out = Path(path)
    for kept in protect:
        kept_path = Path(kept)
        if out.exists() and kept_path.exists() and out.resolve() == kept_path.resolve():
            raise ConfigError(
                f"{option} {out} is the run database this command reads; choose another file"
            )
    kind = output_kind(out, f"{option} {out}")
    if kind == "stream":
        return out
    if kind == "file" and not force:
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
    parent = Path(os.path.realpath(out)).parent if out.is_symlink() else out.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True)
        except OSError as exc:
            raise ConfigError(f"{option} {out}: cannot create {parent} ({exc})") from exc
    return out


def check_output_dir(
    path: str | Path,
    *,
    marker: str,
    ours: Callable[[Path], bool] = lambda folder: False,
    force: bool = False,
    option: str = "--out",
) -> Path:
    """A folder for many outputs (the explorer's site): missing, empty, or holding `marker` (or
    what `ours` recognises), else refused unless `force`. Created when missing; `marker` is
    written into it at once, so even a site interrupted halfway is recognised next time.
    `force` writes into a foreign folder; what is there and not overwritten stays."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{option} {folder} is a file, not a folder; pass a folder")
    if folder.is_dir() and not force and not (folder / marker).is_file():
        entries = sorted(p.name for p in folder.iterdir())
        if entries and not ours(folder):
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise ConfigError(
                f"{option} {folder} holds files pat-graph did not write ({shown}); choose a new "
                "or empty folder, or pass --force to write into it"
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{option} {folder}: cannot create it ({exc.strerror or exc})") from exc
    if not (folder / marker).is_file():
        write_atomic(folder / marker, "written by pat-graph: the next run of the same command "
                     "may replace the files in this folder\n")  # fmt: skip
    return folder


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Replace a regular file through a temporary file and a rename; stream to a device or FIFO.

    The kind is decided again here, at write time: whatever a caller checked before, nothing that
    is not a regular file is ever renamed over."""
    out = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if output_kind(out) == "stream":
        _write_stream(out, raw)
        return
    target = Path(os.path.realpath(out)) if out.is_symlink() else out
    tmp = _create_temp(target)
    try:
        with open(tmp, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(
            f"cannot write {out}: {exc.strerror or exc}; {out} was left as it was"
        ) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_temp(target: Path) -> Path:
    """A new empty file beside `target`, mode 0666 less the umask (mkstemp would make it 0600)."""
    folder = target.parent
    for _ in range(100):
        tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigError(
                f"cannot write {target}: {exc.strerror or exc}; {target} was left as it was"
            ) from exc
        os.close(fd)
        return tmp
    raise ConfigError(f"cannot write {target}: no free temporary name in {folder}")


def _write_stream(out: Path, raw: bytes) -> None:
    """Write in place, never creating nor truncating: `/dev/null` stays a device, a FIFO a FIFO.
    A FIFO nobody reads is refused rather than waited on forever."""
    try:
        fd = os.open(out, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise ConfigError(
                f"cannot write {out}: it is a FIFO (named pipe) nobody reads; start the reader "
                "first"
            ) from exc
        raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from exc
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)  # then block like any writer
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
