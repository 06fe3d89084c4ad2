"""How large each request's prompt is, per prompt style, over a benchmark's statements.

The paper profile's prompts carry the authors' structure (more example pairs, answers that reason
before their code), so each request costs more input tokens than the strict profile's short ones.
This prints, per request kind, the mean prompt size in characters and in whitespace-separated
words (no tokenizer ships offline; Qwen3's tokenizer gives roughly 1 token per 3.5-4 characters of
English and code), for `paper` and `strict`, and their ratio: the numbers docs/reproduce.md uses.

Run: `.venv/bin/python benchmarks/prompt_sizes.py [--benchmark humaneval]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pat_graph.benchmarks import load_benchmark
from pat_graph.graph import prompts
from pat_graph.graph.budgets import budgets_for
from pat_graph.program.doctests import extraction_view


def requests(problem: dict, style: prompts.Style) -> dict[str, list]:
    doc = prompts._docstring(problem)
    shown = problem["prompt"]
    return {
        "trial (and conquer)": prompts.trial_messages(problem, style),
        "plan": prompts.plan_messages(
            problem,
            attempt=None,
            failures=[],
            known_helpers=[],
            round_no=1,
            feedback=False,
            style=style,
        ),
        "divide (pbt)": prompts.divide_messages(problem, doc, style),
        "test calls / inputs": prompts.call_tests_messages(problem, shown, style),
        "examples (llm)": prompts.examples_messages(
            problem, extraction_view(shown, problem["entry_point"]), style
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="humaneval")
    args = parser.parse_args(argv)
    problems = [t.problem.to_dict() for t in load_benchmark(args.benchmark).tasks]
    sizes: dict[str, dict[str, tuple[float, float]]] = {}
    for profile in ("paper", "strict"):
        style = prompts.style_of(budgets_for("pat", profile=profile))
        chars: dict[str, list[int]] = {}
        words: dict[str, list[int]] = {}
        for problem in problems:
            for kind, messages in requests(problem, style).items():
                text = "\n".join(str(m.content) for m in messages)
                chars.setdefault(kind, []).append(len(text))
                words.setdefault(kind, []).append(len(text.split()))
        sizes[profile] = {k: (statistics.mean(chars[k]), statistics.mean(words[k])) for k in chars}
    print(f"{args.benchmark}: {len(problems)} statements, mean prompt size per request")
    header = (
        f"{'request':<22} {'paper chars':>12} {'words':>7} {'strict chars':>13} {'words':>7} "
        f"{'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for kind, (pc, pw) in sizes["paper"].items():
        sc, sw = sizes["strict"][kind]
        print(f"{kind:<22} {pc:>12.0f} {pw:>7.0f} {sc:>13.0f} {sw:>7.0f} {pc / sc:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
