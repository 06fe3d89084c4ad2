"""Pick a backend by name; "auto" probes bwrap once and falls back loudly."""

from __future__ import annotations

import logging
import sys
import warnings
from typing import Literal

from pat_graph.errors import ConfigError, SandboxError
from pat_graph.sandbox.base import Sandbox
from pat_graph.sandbox.bwrap import BwrapSandbox, bwrap_available
from pat_graph.sandbox.process import ProcessSandbox

SandboxName = Literal["auto", "bwrap", "process"]
log = logging.getLogger("pat_graph.sandbox")
_instances: dict[str, Sandbox] = {}
_FALLBACK_WARNING = (
    "pat-graph: bubblewrap (bwrap) is not usable here, so generated code runs in the weaker "
    "'process' sandbox (rlimits + scrubbed env, but it can reach the network and your files). "
    "Install the 'bubblewrap' package or pass sandbox='process' to silence this warning."
)


def get_sandbox(name: SandboxName | str = "auto") -> Sandbox:
    """Shared backend instance; "auto" is bwrap when it works on this machine, else process."""
    if name not in ("auto", "bwrap", "process"):
        raise ConfigError(f"unknown sandbox {name!r}: use 'auto', 'bwrap' or 'process'")
    if name in _instances:
        return _instances[name]
    box: Sandbox
    if name == "bwrap":
        if not bwrap_available():
            raise SandboxError(
                "sandbox='bwrap' was requested but bwrap cannot start here; install the "
                "'bubblewrap' package, allow unprivileged user namespaces, or use 'process'"
            )
        box = BwrapSandbox()
    elif name == "process":
        box = ProcessSandbox()
    elif bwrap_available():
        box = get_sandbox("bwrap")
    else:
        warnings.warn(_FALLBACK_WARNING, RuntimeWarning, stacklevel=2)
        log.warning(_FALLBACK_WARNING)
        print(_FALLBACK_WARNING, file=sys.stderr)
        box = get_sandbox("process")
    _instances[name] = box
    return box
