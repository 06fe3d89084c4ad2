"""The embedded model next to busy processes: what $PAT_GRAPH_LOCAL_NICE and
$PAT_GRAPH_LOCAL_THREADS buy (issue 18; docs/models.md).

Linux shares the CPU between sessions first (autogroups), and the model server and every
sandbox run in sessions of their own. llama.cpp's threads spin while they wait for each other,
so a server that takes turns with other sessions slows down far more than its share. This
script starts BUSY spinning processes, each in its own session (as sandboxes and test workers
are), and times the same requests to the real embedded model under four settings:

- idle: no busy process, the server's defaults (a thread per core);
- busy, defaults: the baseline the other busy rows are compared with;
- busy, nice -15, a thread per core;
- busy, nice -15, one thread (what the test suite uses: it leaves a core to the rest).

Each row is the median of REPEAT workloads (REQUESTS completions of MAX_TOKENS tokens at
temperature 0 on a fixed HumanEval prompt), each on a freshly started server; a workload past
LIMIT_S counts as "over". The ratio is to "busy, defaults" measured in the same run. A negative
nice needs root (or CAP_SYS_NICE): without it those rows are left out. Needs the `local` extra.

    .venv/bin/python benchmarks/local_priority.py [--repeat 1] [--busy 3] [--requests 3]
        [--max-tokens 32] [--limit-s 300]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pat_graph.models.local import NICE_ENV, THREADS_ENV, LocalServer  # noqa: E402

PROMPT = '''from typing import List


def below_zero(operations: List[int]) -> bool:
    """ You're given a list of deposit and withdrawal operations on a bank account that starts
    with zero balance. Detect if at any point the balance falls below zero, and return True.
    >>> below_zero([1, 2, 3])
    False
    >>> below_zero([1, 2, -4, 5])
    True
    """
'''


def _workload(base_url: str, requests: int, max_tokens: int, limit_s: float) -> float:
    """Seconds for `requests` completions one after the other, or inf past `limit_s`. Each asks
    a different prompt (a numbered comment first), so no answer comes from the server's prompt
    cache of the previous one."""
    start = time.perf_counter()
    for i in range(requests):
        left = limit_s - (time.perf_counter() - start)
        if left <= 0:
            return float("inf")
        body = {"model": "gemma-3-270m", "prompt": f"# variant {i}\n{PROMPT}",
                "max_tokens": max_tokens, "temperature": 0.0, "seed": 1}  # fmt: skip
        req = urllib.request.Request(
            f"{base_url}/completions", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=left) as response:
                json.loads(response.read())
        except TimeoutError:
            return float("inf")
    return time.perf_counter() - start


def _busy(n: int) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
        for _ in range(n)
    ]


def _measure(settings: dict[str, str], busy: int, args: argparse.Namespace) -> list[float]:
    times = []
    for _ in range(args.repeat):
        env = {k: os.environ.pop(k, None) for k in (NICE_ENV, THREADS_ENV)}
        os.environ.update(settings)
        spinners = _busy(busy)
        try:
            with LocalServer() as server:
                seconds = _workload(server.base_url, args.requests, args.max_tokens, args.limit_s)
            times.append(seconds)
        finally:
            for p in spinners:
                p.kill()
                p.wait()
            for k, v in env.items():
                os.environ.pop(k, None)
                if v is not None:
                    os.environ[k] = v
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--busy", type=int, default=3, help="spinning processes")
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--limit-s", type=float, default=300.0, help="give up a workload after")
    args = parser.parse_args()
    # A stop (Ctrl-C, `timeout`) must not leave the spinning processes behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rows: list[tuple[str, dict[str, str], int]] = [
        ("idle, defaults", {}, 0),
        ("busy, defaults (baseline)", {}, args.busy),
    ]
    if os.geteuid() == 0:
        rows += [
            ("busy, nice -15, a thread per core", {NICE_ENV: "-15"}, args.busy),
            ("busy, nice -15, one thread", {NICE_ENV: "-15", THREADS_ENV: "1"}, args.busy),
        ]
    else:
        print("not root: the rows with a negative nice are left out")
    print(f"{os.cpu_count()} cores; {args.busy} busy processes; {args.requests} requests of "
          f"{args.max_tokens} tokens per workload; median of {args.repeat}")  # fmt: skip
    results = {name: statistics.median(_measure(s, b, args)) for name, s, b in rows}
    base = results["busy, defaults (baseline)"]
    for name, seconds in results.items():
        if seconds == float("inf"):
            print(f"{name:<36} over {args.limit_s:.0f} s")
        elif base == float("inf"):
            print(f"{name:<36} {seconds:7.1f} s   (the baseline took over {args.limit_s:.0f} s)")
        else:
            print(f"{name:<36} {seconds:7.1f} s   {seconds / base:5.2f}x the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
