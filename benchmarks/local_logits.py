"""The embedded model's server without logits for every prompt token (`--logits_all false`).

llama-cpp-python's server keeps, by default, the logits of every token it reads (`logits_all`
is true), so that `logprobs` can be answered for the prompt too. Gemma 3 has a 262k-token
vocabulary: for a 1,000-token prompt that is as much arithmetic as the rest of the model and a
1 GB buffer, for numbers pat-graph never asks for (it sends no `logprobs`). `LocalServer` turns
it off. This script times the same requests on both servers and checks they answer the same.

- baseline: llama-cpp-python's default (`logits_all` true), started by the same `LocalServer`
  with the flag left out;
- pat-graph's server: `LocalServer` as it ships.

The workload is the paper profile's trial request for the first PROBLEMS HumanEval problems
(about 1,000 prompt tokens each; one shared few-shot prefix, as in a run), MAX_TOKENS tokens at
temperature 0 with a fixed seed, one after the other on a freshly started server. Each row is the
median over REPEAT workloads of the wall time and of the server's own CPU time (user + system,
from /proc). Needs the `local` extra.

    .venv/bin/python benchmarks/local_logits.py [--repeat 3] [--problems 4] [--max-tokens 64]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pat_graph.benchmarks import load_benchmark  # noqa: E402
from pat_graph.graph import prompts  # noqa: E402
from pat_graph.graph.budgets import budgets_for  # noqa: E402
from pat_graph.models.completion import render_transcript  # noqa: E402
from pat_graph.models.local import LocalServer  # noqa: E402


class DefaultLogitsServer(LocalServer):
    """The baseline: llama-cpp-python's own default, logits kept for every token."""

    def command(self, model: Path) -> list[str]:
        command = super().command(model)
        at = command.index("--logits_all")
        return command[:at] + command[at + 2 :]


def _prompts(count: int) -> list[str]:
    style = prompts.style_of(budgets_for("pat", profile="paper"))
    tasks = load_benchmark("humaneval").tasks[:count]
    return [render_transcript(prompts.trial_messages(t.problem.to_dict(), style))[0] for t in tasks]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _workload(server_type: type[LocalServer], texts: list[str], max_tokens: int):
    """(wall seconds, server CPU seconds, prompt tokens, completions) for one workload."""
    answers = []
    prompt_tokens = 0
    with server_type() as server:
        assert server.pid is not None
        cpu_before = _cpu_seconds(server.pid)
        start = time.perf_counter()
        for text in texts:
            body = {"model": "gemma-3-270m", "prompt": text, "max_tokens": max_tokens,
                    "temperature": 0.0, "seed": 1}  # fmt: skip
            request = urllib.request.Request(
                f"{server.base_url}/completions", data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            with urllib.request.urlopen(request, timeout=600) as response:
                data = json.loads(response.read())
            answers.append(data["choices"][0]["text"])
            prompt_tokens += data["usage"]["prompt_tokens"]
        wall = time.perf_counter() - start
        cpu = _cpu_seconds(server.pid) - cpu_before
    return wall, cpu, prompt_tokens, answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--problems", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    texts = _prompts(args.problems)
    rows = {
        "llama-cpp-python's default (baseline)": DefaultLogitsServer,
        "pat-graph's server (--logits_all false)": LocalServer,
    }
    measured: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in rows}
    completions: dict[str, list[str]] = {}
    tokens = 0
    for _ in range(args.repeat):  # interleaved, so drift in the machine's load hits both
        for name, server_type in rows.items():
            wall, cpu, tokens, answers = _workload(server_type, texts, args.max_tokens)
            measured[name][0].append(wall)
            measured[name][1].append(cpu)
            completions.setdefault(name, answers)
    print(f"{os.cpu_count()} cores; {len(texts)} trial requests ({tokens} prompt tokens in all), "
          f"{args.max_tokens} tokens each, temperature 0; median of {args.repeat}")  # fmt: skip
    base_wall, base_cpu = (statistics.median(v) for v in measured[next(iter(rows))])
    for name, (walls, cpus) in measured.items():
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(f"{name:<42} wall {wall:6.1f} s ({wall / base_wall:4.2f}x)   "
              f"server CPU {cpu:6.1f} s ({cpu / base_cpu:4.2f}x)")  # fmt: skip
    same = len({tuple(a) for a in completions.values()}) == 1
    print(f"same completions on both servers: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
