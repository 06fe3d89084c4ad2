"""A minimal headless-Chromium driver over the DevTools protocol, with nothing to download.

Chromium's `--remote-debugging-pipe` speaks the protocol on file descriptors 3 (commands in)
and 4 (replies and events out), NUL-separated JSON, so no websocket library is needed: only the
Debian `chromium` binary. Used by the explorer's browser tests and benchmarks/explore_bench.py.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

DEBIAN_BINARY = "/usr/lib/chromium/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",  # we run as root in CI containers
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--allow-file-access-from-files",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """Debian's real binary first: its /usr/bin/chromium launcher script sources
    /etc/chromium.d/*, and stops when a slimmed image has removed that folder."""
    if os.access(DEBIAN_BINARY, os.X_OK):
        return DEBIAN_BINARY
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    pass


class Browser:
    """One Chromium process and one page. `open(url)` loads and waits for the load event;
    console errors and uncaught exceptions are collected in `errors`."""

    def __init__(self, binary: str | None = None, width: int = 1280, height: int = 900) -> None:
        binary = binary or find_chromium()
        if binary is None:
            raise BrowserError("chromium is not installed (Debian: apt-get install chromium)")
        self._profile = tempfile.mkdtemp(prefix="pat-graph-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        args = [*FLAGS, f"--user-data-dir={self._profile}", f"--window-size={width},{height}"]

        def pipes_on_3_and_4() -> None:  # runs in the child between fork and exec
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [binary, *args, "about:blank"],
            preexec_fn=pipes_on_3_and_4,
            pass_fds=(3, 4),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.errors: list[str] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    # ----- protocol -----------------------------------------------------------------------
    def _write(self, message: dict[str, Any]) -> None:
        os.write(self._to_child, json.dumps(message).encode() + b"\0")

    def _read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise BrowserError("chromium exited")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        self._note(message)
        return message

    def _note(self, message: dict[str, Any]) -> None:
        method = message.get("method", "")
        params = message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text")
            self.errors.append(f"uncaught: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.errors.append(f"console.{params['type']}: {args}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.errors.append(f"log: {entry.get('text')} {entry.get('url', '')}".strip())
        if method:
            self._events.append(message)

    def call(self, method: str, timeout: float = 30.0, session: bool = False, **params: Any) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self._write(message)
        while True:
            reply = self._read(timeout)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def send(self, method: str, timeout: float = 30.0, **params: Any) -> Any:
        """A command to the page's session."""
        return self.call(method, timeout, True, **params)

    def wait_event(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        for i, event in enumerate(self._events):
            if event["method"] == method:
                return self._events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(max(0.01, deadline - time.monotonic()))
            if message.get("method") == method:
                self._events.remove(message)
                return message

    # ----- conveniences -------------------------------------------------------------------
    def open(self, url: str, timeout: float = 30.0) -> float:
        """Navigate and wait for the load event; returns the seconds it took."""
        self._events.clear()
        started = time.perf_counter()
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired", timeout)
        return time.perf_counter() - started

    def eval(self, expression: str) -> Any:
        reply = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression}: {reply['exceptionDetails'].get('text')}")
        return reply["result"].get("value")

    def screenshot(self, path: str | Path, full_page: bool = True) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": min(size["height"], 4000),
                "scale": 1,
            }
            params["captureBeyondViewport"] = True
        data = base64.b64decode(self.send("Page.captureScreenshot", **params)["data"])
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._write({"id": self._next_id + 1, "method": "Browser.close", "params": {}})
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
