"""Live progress on stderr: a tqdm bar on a terminal, plain lines in logs and CI.

What it shows comes from two sources: problems finishing (done, passed, errored) and requests
completing (calls, tokens, cost), so a run of slow models still moves between finished problems.
On a terminal the bar is redrawn every second (elapsed time keeps ticking) and `write()` prints
lines above it (`--verbose`), so they never tear the bar. In a log a line is written per finished
problem, plus a heartbeat line when nothing finished for `heartbeat_s` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _size(stream: TextIO) -> tuple[int, int]:
    """(columns, lines) the terminal reports; (0, 0) when it reports none."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return 0, 0
    return size.columns, size.lines


def _count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    return f"{n / 1000:.1f}k" if n >= 1000 else str(n)


class Progress:
    """Counts finished problems and completed requests. The ETA only uses problems finished in
    this process, so problems skipped on resume do not make it look faster than it is."""

    def __init__(
        self,
        total: int,
        *,
        done: int = 0,
        passed: int = 0,
        errored: int = 0,
        cost_usd: float = 0.0,
        stream: TextIO | None = None,
        width: int = 24,
        heartbeat_s: float = 60.0,
    ) -> None:
        self.total = total
        self.done = done
        self.passed = passed
        self.errored = errored
        self.cost_usd = cost_usd
        self.cost_unknown = 0
        self.calls = 0
        self.tokens = 0
        self.in_flight = 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self.heartbeat_s = heartbeat_s
        self._start = time.monotonic()
        self._last_line = self._start
        self._finished_here = 0
        self._bar: Any = None
        self._ticker: asyncio.Task[None] | None = None

    # -- what is shown ---------------------------------------------------------------------
    def _eta(self) -> str:
        left = self.total - self.done - self.errored
        if self._finished_here and left:
            per = (time.monotonic() - self._start) / self._finished_here
            return _duration(per * left)
        return "--:--" if left else "00:00"

    def stats(self) -> str:
        """Everything but the bar: passes, in flight, calls, tokens, cost."""
        errors = f" errored {self.errored}" if self.errored else ""
        unknown = f" (+{self.cost_unknown} calls of unknown cost)" if self.cost_unknown else ""
        return (
            f"pass {self.passed}{errors} | in flight {self.in_flight} | calls {self.calls}, "
            f"{_count(self.tokens)} tokens, cost ${self.cost_usd:.4f}{unknown}"
        )

    def line(self) -> str:
        finished = self.done + self.errored
        frac = finished / self.total if self.total else 1.0
        bar = "#" * int(frac * self.width)
        elapsed = _duration(time.monotonic() - self._start)
        return (
            f"[{bar:<{self.width}}] {finished}/{self.total} {self.stats()} | "
            f"elapsed {elapsed} ETA {self._eta()}"
        )

    # -- events ----------------------------------------------------------------------------
    def start(self) -> None:
        if not self.tty:
            self._emit()
            return
        from tqdm import tqdm

        # Follow resizes when the terminal reports its size; a pseudo-terminal that reports 0x0
        # (some CI runners, `script`) would otherwise get no bar at all (tqdm hides it).
        sized = min(_size(self.stream)) > 0
        fallback = shutil.get_terminal_size((120, 24))
        self._bar = tqdm(
            total=self.total,
            initial=self.done + self.errored,
            file=self.stream,
            dynamic_ncols=sized,
            ncols=None if sized else fallback.columns,
            nrows=None if sized else fallback.lines,
            leave=True,
            bar_format="{n_fmt}/{total_fmt} |{bar:16}| {elapsed}<{remaining}{postfix}",
        )
        self._bar.set_postfix_str(self.stats(), refresh=True)
        with contextlib.suppress(RuntimeError):  # no running loop: redraw on events only
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def begin(self, task_id: str = "") -> None:
        """A problem started (or resumed) in this process."""
        self.in_flight += 1
        self._redraw()

    def add_call(self, entry: Mapping[str, Any]) -> None:
        """A request completed: its usage is paid, whatever happens to its problem later."""
        if entry.get("failed"):  # no answer, nothing paid (models/transport.py)
            return
        self.calls += int(entry.get("requests", 1) or 1)
        self.tokens += int(entry.get("input_tokens") or 0) + int(entry.get("output_tokens") or 0)
        cost = entry.get("cost_usd")
        if cost is None:
            self.cost_unknown += int(entry.get("requests", 1) or 1)
        else:
            self.cost_usd += float(cost)
        self._redraw()

    def update(
        self, *, ok: bool, passed: bool = False, cost_usd: float | None = None, task_id: str = ""
    ) -> None:
        """A problem finished. `cost_usd` is for callers that do not report calls one by one."""
        if ok:
            self.done += 1
            self.passed += int(passed)
        else:
            self.errored += 1
        if cost_usd is not None:
            self.cost_usd += cost_usd
        self.in_flight = max(0, self.in_flight - 1)
        self._finished_here += 1
        if self._bar is not None:
            self._bar.set_postfix_str(self.stats(), refresh=False)
            self._bar.update(1)
        elif not self.tty:
            self._emit(task_id)

    def write(self, text: str) -> None:
        """A line of its own (e.g. --verbose node events), printed above the bar."""
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if self._bar is not None:
            self._bar.set_postfix_str(self.stats(), refresh=True)
            self._bar.close()
            self._bar = None

    # -- drawing ---------------------------------------------------------------------------
    def _redraw(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self.stats(), refresh=False)
        elif not self.tty and time.monotonic() - self._last_line >= self.heartbeat_s:
            self._emit()

    async def _tick(self) -> None:
        while self._bar is not None:
            await asyncio.sleep(1.0)
            if self._bar is not None:
                self._bar.set_postfix_str(self.stats(), refresh=True)

    def _emit(self, task_id: str = "") -> None:
        self._last_line = time.monotonic()
        self.stream.write(self.line() + (f"  ({task_id})" if task_id else "") + "\n")
        self.stream.flush()
