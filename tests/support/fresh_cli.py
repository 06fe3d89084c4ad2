"""`pat_graph.cli.main` in a fresh interpreter, and which of some modules it loaded: what a
command imports is part of its start-up cost, and only a new process shows it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Runs each command in turn, then prints the sum of their exit codes and which of the watched
# top-level packages are in sys.modules.
_PROBE = """
import json, sys
from pat_graph.cli import main
commands, watched = json.loads(sys.argv[1])
code = sum(main(command) for command in commands)
print(json.dumps([code, sorted({m.split(".")[0] for m in sys.modules} & set(watched))]))
"""


def cli_in_fresh_interpreter(
    commands: list[list[str]],
    watched: Iterable[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> tuple[int, list[str], str]:
    """(summed exit code, the watched packages that were loaded, stderr). `env` defaults to
    this process's environment with the repository on PYTHONPATH."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps([commands, sorted(watched)])],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env=dict(env) if env is not None else {**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    return code, loaded, done.stderr
