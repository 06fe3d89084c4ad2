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
