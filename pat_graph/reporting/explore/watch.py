"""`pat-graph explore --watch`: the explorer served on loopback, rewritten as results land.

Why poll the database and rewrite the site, instead of a server that renders each page: the
pages are the static site's, written by the same writer (`write_site`), so the live view can
never show something `explore --out` would not. The poll is one cheap query (`data_version`:
counts and the newest keys of runs, results and requests), so an idle watch costs nothing; the
site is rewritten only when that changes, at most once per interval.

Pages learn about a rewrite from `/__live/state` (a small JSON document held in memory), which
`live.js` asks for every second; the script is added to each page as it is served, so the
files on disk stay exactly the static site. Nothing is loaded from the network. The server
binds 127.0.0.1 only: the pages show programs, prompts and costs of the user's runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pat_graph.errors import ConfigError
from pat_graph.reporting.explore.data import load_runs
from pat_graph.reporting.explore.site import write_pages, write_site

HOST = "127.0.0.1"
LIVE_JS = Path(__file__).resolve().parent / "live" / "live.js"
STATE_PATH = "/__live/state"
SCRIPT_PATH = "/__live/live.js"
DEFAULT_INTERVAL_S = 1.0


class LiveState:
    """What the pages poll: the site's generation (bumped after each rewrite) and the runs'
    headline numbers, shared between the asyncio loop and the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, Any] = {"generation": 0, "updated": time.time(), "runs": []}

    def publish(self, summaries: Sequence[dict[str, Any]], seconds: float) -> None:
        runs = [
            {k: s.get(k) for k in ("run", "problems", "done", "errored", "pass_at_1", "cost_usd")}
            for s in summaries
        ]
        with self._lock:
            self._data = {
                "generation": self._data["generation"] + 1,
                "updated": time.time(),
                "seconds": round(seconds, 3),
                "runs": runs,
            }

    @property
    def generation(self) -> int:
        with self._lock:
            return int(self._data["generation"])

    def snapshot(self) -> bytes:
        with self._lock:
            return json.dumps(self._data).encode()


class _Handler(SimpleHTTPRequestHandler):
    """The site's files, plus the live state and script; HTML gets the script tag."""

    state: LiveState

    def log_message(self, format: str, *args: Any) -> None:  # a browser's requests are noise
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload must show the rewrite
        super().end_headers()

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == STATE_PATH:
            return self._send(self.state.snapshot(), "application/json")
        if path == "/favicon.ico":  # browsers ask; a 404 would be a console error
            self.send_response(204)
            self.end_headers()
            return None
        if path == SCRIPT_PATH:
            return self._send(LIVE_JS.read_bytes(), "text/javascript; charset=utf-8")
        file = Path(self.translate_path(path))
        if file.is_dir():
            file = file / "index.html"
        if file.suffix == ".html" and file.is_file():
            page = _with_live_script(file.read_bytes(), self.state.generation)
            return self._send(page, "text/html; charset=utf-8")
        return super().do_GET()


def _with_live_script(page: bytes, generation: int) -> bytes:
    """The page with live.js, told which rewrite it was served from."""
    tag = f'<script src="{SCRIPT_PATH}" data-generation="{generation}"></script>'.encode()
    at = page.rfind(b"</body>")
    return page[:at] + tag + page[at:] if at >= 0 else page + tag


def serve(folder: Path, state: LiveState, port: int) -> ThreadingHTTPServer:
    """Start the loopback server on `port` (0: a free one) in a daemon thread."""
    handler = type("LiveHandler", (_Handler,), {"state": state})
    try:
        server = ThreadingHTTPServer((HOST, port), partial(handler, directory=str(folder)))
    except OSError as exc:
        raise ConfigError(
            f"--port {port}: cannot listen on {HOST}:{port} ({exc.strerror or exc}); "
            "pass another --port, or none for a free one"
        ) from exc
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                     daemon=True).start()  # fmt: skip
    return server


async def watch(
    db: str,
    runs: Sequence[str] | None,
    out: str | None,
    *,
    port: int = 0,
    interval: float = DEFAULT_INTERVAL_S,
    announce: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
    force: bool = False,
) -> int:
    """Serve the explorer of `db` until Ctrl-C, SIGTERM or `stop`; rewrite it as `db` changes.

    The site goes to `out` (kept afterwards), or to a temporary folder removed at the end."""
    from pat_graph.reporting.report import load_summaries
    from pat_graph.runs.pgstore import is_postgres_url, open_run_store, redact

    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be between 0 (a free port) and 65535 (got {port})")
    if interval <= 0:
        raise ConfigError(f"--interval must be a positive number of seconds (got {interval})")
    own = out is None
    folder = Path(tempfile.mkdtemp(prefix="pat-graph-watch-")) if own else Path(str(out))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # both end the watch cleanly, even mid-write
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    server = None
    try:
        async with contextlib.AsyncExitStack() as stack:
            # PostgreSQL: one pool for every poll. SQLite: a short read-only connection per poll,
            # so none is open while the site is rewritten.
            pool = None
            if is_postgres_url(db):
                pool = await stack.enter_async_context(open_run_store(db))

            async def version() -> tuple[Any, ...]:
                if pool is not None:
                    return await pool.data_version()
                async with open_run_store(db, readonly=True) as store:
                    return await store.data_version()

            state = LiveState()
            seen = await version()  # before the first write: nothing landing now is missed
            _, seconds = await write_site(db, folder, runs, force=force)
            state.publish(await load_summaries(db, runs), seconds)
            server = serve(folder, state, port)
            host, bound = server.server_address[:2]
            announce(f"serving the live explorer at http://{host}:{bound}/ (Ctrl-C stops it)")
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
                now = None if stop.is_set() else await version()
                if now is None or now == seen:
                    continue
                seen = now
                started = time.perf_counter()
                data = await load_runs(db, runs)  # the site writer's own parts, checked above
                try:
                    write_pages(data, folder, redact(db))
                except OSError as exc:
                    raise ConfigError(f"{folder}: cannot rewrite the site ({exc})") from exc
                state.publish([r.summary for r in data], time.perf_counter() - started)
        announce("stopped watching")
        return 0
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
        if own:
            shutil.rmtree(folder, ignore_errors=True)  # the temporary folder made above
