"""How pat-graph's processes stop: on a signal, and when their parent is gone.

- `run_stoppable` runs the command's coroutine so that SIGINT (Ctrl-C) and SIGTERM (`kill`,
  `timeout`, a container stop) do the same orderly thing: the main task is cancelled, so no new
  problem starts, the problems in flight keep their checkpoints, leases are given back, worker
  processes and model servers are stopped by the `finally` and `async with` blocks that own them;
  then `Stopped` is raised for the CLI to turn into one line and exit code 128 + signal (130,
  143). A second signal stops waiting for that cleanup.
- `die_with_parent` wraps a child's command line so the kernel signals the child when pat-graph
  dies, however it dies (SIGKILL and the OOM killer included, where no cleanup code runs): a
  model server or a worker must never outlive the process that started it and go on spending.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Coroutine, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

# Runs in the child before it becomes the real command: asks the kernel for `sig` when the parent
# dies (PR_SET_PDEATHSIG, kept across exec), then checks the parent did not die already.
_EXEC_WITH_PDEATHSIG = (
    "import ctypes, os, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, int(sys.argv[2]), 0, 0, 0)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(1)\n"
    "os.execvp(sys.argv[3], sys.argv[3:])\n"
)


class Stopped(KeyboardInterrupt):
    """The process was asked to stop by `signum` and has cleaned up. A KeyboardInterrupt, so
    code that already treats Ctrl-C as "stop" treats SIGTERM alike."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def run_stoppable(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, where SIGINT and SIGTERM cancel `main` and then raise `Stopped`."""
    with asyncio.Runner() as runner:
        loop = runner.get_loop()
        task = loop.create_task(main)
        got: list[int] = []

        def on_signal(signum: int) -> None:
            got.append(signum)
            if len(got) > 1:
                raise Stopped(got[0])  # asked twice: stop waiting for the cleanup
            task.cancel()

        for signum in STOP_SIGNALS:
            # Not in the main thread (an embedding app's worker thread): signals stay theirs.
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                loop.add_signal_handler(signum, on_signal, signum)
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if got:
                raise Stopped(got[0]) from None
            raise
    # closing the runner cancels what is left, then closing the loop removes the handlers


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """For synchronous code (a foreground server): SIGTERM raises `Stopped`, a KeyboardInterrupt,
    so the `finally` that stops what was started runs, as on Ctrl-C. Main thread only."""
    previous = signal.getsignal(signal.SIGTERM)

    def raise_stopped(signum: int, frame: object) -> None:
        raise Stopped(signum)

    signal.signal(signal.SIGTERM, raise_stopped)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def die_with_parent(command: Sequence[str], sig: int = signal.SIGTERM) -> list[str]:
    """`command`, started so that it receives `sig` when this process dies (Linux; elsewhere
    `command` unchanged). The kernel ties the signal to the thread that starts the child, so
    start it from a thread that lives as long as the child should: the main thread, or the event
    loop's."""
    if not sys.platform.startswith("linux"):
        return list(command)
    return [sys.executable, "-I", "-S", "-c", _EXEC_WITH_PDEATHSIG, str(os.getpid()), str(int(sig)),
            *command]  # fmt: skip
