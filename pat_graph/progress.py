"""Live progress on stderr: one redrawn line on a terminal, plain lines in logs and CI."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    """Counts finished problems; the ETA only uses problems finished in this process, so
    problems skipped on resume do not make it look faster than it is."""

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
    ) -> None:
        self.total = total
        self.done = done
        self.passed = passed
        self.errored = errored
        self.cost_usd = cost_usd
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.width = width
        self._start = time.monotonic()
        self._finished_here = 0

    def line(self) -> str:
        finished = self.done + self.errored
        frac = finished / self.total if self.total else 1.0
        bar = "#" * int(frac * self.width)
        left = self.total - finished
        if self._finished_here and left:
            per = (time.monotonic() - self._start) / self._finished_here
            eta = _duration(per * left)
        else:
            eta = "--:--" if left else "00:00"
        errors = f" errored {self.errored}" if self.errored else ""
        return (
            f"[{bar:<{self.width}}] {finished}/{self.total} pass {self.passed}{errors} "
            f"cost ${self.cost_usd:.4f} ETA {eta}"
        )

    def start(self) -> None:
        self._emit()

    def update(
        self, *, ok: bool, passed: bool = False, cost_usd: float = 0.0, task_id: str = ""
    ) -> None:
        if ok:
            self.done += 1
            self.passed += int(passed)
        else:
            self.errored += 1
        self.cost_usd += cost_usd
        self._finished_here += 1
        self._emit(task_id if not self.tty else "")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _emit(self, task_id: str = "") -> None:
        text = self.line()
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
        else:
            self.stream.write(text + (f"  ({task_id})" if task_id else "") + "\n")
        self.stream.flush()
