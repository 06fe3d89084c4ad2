"""What every part of the harness shares: its configuration, libc, and the functions bound here
before any candidate ran (a candidate patching `os.write` or `json.dumps` later changes nothing
that was bound at import)."""

import builtins
import json
import os
import sys

_write = os.write
_exit = os._exit
_exec = exec
_compile = compile
_dumps = json.dumps
_settrace = sys.settrace
_setprofile = sys.setprofile
_BUILTINS = builtins
_BUILTIN_SNAPSHOT = dict(builtins.__dict__)
_MSG_MAX = 600

# The harness's configuration (argv[1] of the script), filled in by `zygote.main`.
_CONFIG = {}
# libc through ctypes, set by `zygote.main` (`privileges.libc()`).
LIBC = None


def _short(text: str, limit: int = _MSG_MAX) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 15] + " ...[truncated]"


def _emit_line(fd, record):
    data = (_dumps(record) + "\n").encode()
    while data:
        data = data[_write(fd, data) :]


def _read_exactly(fd, length):
    data = bytearray()
    while len(data) < length:
        chunk = os.read(fd, length - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def _read_line(fd, limit=256):
    """One line, read byte by byte: a buffered reader would read ahead into what follows (the
    next job, which only that job's runner may read)."""
    line = bytearray()
    while len(line) < limit:
        byte = os.read(fd, 1)
        if not byte or byte == b"\n":
            break
        line += byte
    return bytes(line)


def _keep_fds(*keep):
    """Close every descriptor above 2 but `keep`."""
    low = 3
    for fd in sorted(k for k in keep if k >= 3):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)
