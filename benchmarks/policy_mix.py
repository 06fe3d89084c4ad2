"""Call pattern of the five policies on a scripted mixed workload, through the real sandbox.

Prints, per policy (standard, best-of-n, codet, pbt = FunCoder, pat), the planner invocation
rate, HTTP requests per problem for each role, samples and tokens (the scripted model's word
counts) per problem, and Pass@1 judged on hidden tests. The numbers are exact consequences of
each algorithm's rules on a known workload, so they show how the policies spend calls, not how
good a real model is.

The workload (N problems, "return x plus k"), with a scripted model whose answers depend only on
the problem and the sample's index within its request:
- easy: every sample is right;
- medium: only samples 1, 4, 7, ... of a request are right (the first, greedy one is wrong);
- hard: no direct sample is right, but a decomposition into one helper is, and helpers are always
  written right (PaT's planner and FunCoder's divide both decompose it).
Test writers state correct expectations (asserts), or write calls where asked for calls; the
example extractor (`example_parser = "llm"`, the paper profile) returns the docstring's example.

Run: `.venv/bin/python benchmarks/policy_mix.py [--problems 20] [--profile paper]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import PrivateAttr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pat_graph.graph import prompts
from pat_graph.graph.solve import solve
from pat_graph.models.answer import Answer, AnswerChatModel
from pat_graph.models.cost import request_count
from pat_graph.problem import Problem
from pat_graph.sandbox import get_sandbox
from pat_graph.testing import count_tokens, fenced, target_of

POLICIES = ("standard", "best-of-n", "codet", "pbt", "pat")
HELPER = "_part"
KINDS = ("easy", "medium", "hard")


def kind_of(name: str) -> str:
    return {"e": "easy", "m": "medium", "h": "hard"}[name[0]]


def addend(name: str) -> int:
    return int(name[1:6]) % 10 + 1


def problem_kinds(n: int) -> list[str]:
    """40% easy, 30% medium, 30% hard, interleaved so any prefix is mixed."""
    pattern = ["easy", "medium", "easy", "hard", "easy", "medium", "hard", "easy", "medium", "hard"]
    return [pattern[i % len(pattern)] for i in range(n)]


def make_problem(i: int, kind: str) -> tuple[Problem, list[str]]:
    name = f"{kind[0]}{i:05d}"
    k = addend(name)
    prompt = (
        f"def {name}(x: int) -> int:\n"
        f'    """Return x plus {k}.\n'
        f"    >>> {name}(1)\n"
        f"    {1 + k}\n"
        f'    """\n'
    )
    hidden = [f"assert {name}({x}) == {x + k}" for x in (0, 5, -3, 100)]
    return Problem(f"mix/{i:05d}", prompt, name), hidden


def _function(name: str, right: bool) -> str:
    k = addend(name.removesuffix(HELPER))
    op = "+" if right else "-"
    return f'def {name}(x: int) -> int:\n    """Return x plus {k}."""\n    return x {op} {k}\n'


def _decomposition(name: str) -> str:
    k = addend(name)
    helper = f"{name}{HELPER}"
    return (
        f'def {name}(x: int) -> int:\n    """Return x plus {k}."""\n    return {helper}(x)\n\n\n'
        f'def {helper}(x: int) -> int:\n    """Return x plus {k}."""\n    ...\n'
    )


def _direct_right(name: str, index: int) -> bool:
    if name.endswith(HELPER):
        return True
    kind = kind_of(name)
    return kind == "easy" or (kind == "medium" and index % 3 == 1)


def reply(last: str, target: str, index: int) -> str:
    """The scripted answer to one sample of a pat-graph request (`index` within the request)."""
    k = addend(target.removesuffix(HELPER)) if target else 1
    if last.startswith(prompts.EXAMPLES_TASK):  # the docstring's example, extracted
        return fenced(f"assert {target}(1) == {1 + k}")
    if last.startswith(prompts.INPUTS_TASK):
        return fenced(f"{target}(1)\n{target}(2)\n{target}(-3)")
    if last.startswith(prompts.TESTS_TASK):
        return fenced(f"assert {target}(1) == {1 + k}\nassert {target}(10) == {10 + k}")
    calls_task = getattr(prompts, "CALLS_TASK", None)
    if calls_task and last.startswith(calls_task):
        return fenced(f"{target}(1)\n{target}(10)")
    if last.startswith(prompts.PLAN_TASK):
        return fenced(_decomposition(target))
    if last.startswith(prompts.DIVIDE_TASK):
        if kind_of(target) == "hard" and not target.endswith(HELPER):
            return fenced(_decomposition(target))
        return fenced(_function(target, _direct_right(target, 0)))
    if last.startswith((prompts.TRIAL_TASK, prompts.CONQUER_TASK)):
        return fenced(_function(target, _direct_right(target, index)))
    return "I am not sure what you are asking."


class MixModel(AnswerChatModel):
    """Answers with `reply`; honours n; reports usage once per request."""

    llm_type = "pat-graph-bench-mix"
    model_name: str = "scripted-mix"
    _requests: Counter[str] = PrivateAttr(default_factory=Counter)

    def _answer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> list[Answer]:
        last = str(messages[-1].content) if messages else ""
        target = target_of(messages)
        n = int(kwargs.get("n") or 1)
        texts = [reply(last, target, j) for j in range(n)]
        prompt_tokens = sum(count_tokens(str(m.content)) for m in messages)
        out_tokens = sum(count_tokens(t) for t in texts)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": out_tokens,
            "total_tokens": prompt_tokens + out_tokens,
        }
        return [Answer(texts, usage)]


async def judge(sandbox: Any, code: str, hidden: list[str], entry: str) -> bool:
    if not code:
        return False
    report = await sandbox.run_tests(code, hidden, kind="function", entry_point=entry)
    return report.passed


async def run_policy(
    policy: str, problems: list[tuple[Problem, list[str]]], profile: str, sandbox: Any
) -> dict[str, Any]:
    generator, planner = MixModel(model_name="gen"), MixModel(model_name="plan")
    sem = asyncio.Semaphore(2)
    rows: list[dict[str, Any]] = []

    async def one(problem: Problem, hidden: list[str]) -> None:
        async with sem:
            result = await solve(
                problem,
                generator=generator,
                planner=planner,
                policy=policy,
                sandbox=sandbox,
                profile=profile,
            )
            passed = await judge(sandbox, result.code, hidden, problem.entry_point)
            rows.append(
                {
                    "kind": kind_of(problem.entry_point),
                    "passed": passed,
                    "generator": request_count(result.ledger, "generator"),
                    "planner": request_count(result.ledger, "planner"),
                    "samples": sum(int(e.get("samples") or 0) for e in result.ledger),
                    "tokens": sum(
                        int(e.get("input_tokens") or 0) + int(e.get("output_tokens") or 0)
                        for e in result.ledger
                    ),
                }
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(p, h) for p, h in problems))
    n = len(rows)
    by_kind = {
        kind: [r for r in rows if r["kind"] == kind]
        for kind in KINDS
        if any(r["kind"] == kind for r in rows)
    }
    return {
        "policy": policy,
        "pass_at_1": sum(r["passed"] for r in rows) / n,
        "planner_rate": sum(1 for r in rows if r["planner"] > 0) / n,
        "gen_per_problem": sum(r["generator"] for r in rows) / n,
        "plan_per_problem": sum(r["planner"] for r in rows) / n,
        "samples_per_problem": sum(r["samples"] for r in rows) / n,
        "tokens_per_problem": sum(r["tokens"] for r in rows) / n,
        "pass_by_kind": {k: sum(r["passed"] for r in v) / len(v) for k, v in by_kind.items()},
        "seconds": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=20)
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--policy", action="append", choices=POLICIES)
    args = parser.parse_args(argv)
    kinds = problem_kinds(args.problems)
    problems = [make_problem(i, kind) for i, kind in enumerate(kinds)]
    sandbox = get_sandbox("auto")
    counts = Counter(kinds)
    print(
        f"{args.problems} problems ({counts['easy']} easy, {counts['medium']} medium, "
        f"{counts['hard']} hard), profile {args.profile}, sandbox {sandbox.name}"
    )
    header = (
        f"{'policy':<10} {'pass@1':>7} {'planner rate':>13} {'gen req/prob':>13} "
        f"{'plan req/prob':>14} {'samples/prob':>13} {'tokens/prob':>12}  pass@1 e/m/h"
    )
    print(header)
    print("-" * len(header))
    for policy in args.policy or POLICIES:
        row = asyncio.run(run_policy(policy, problems, args.profile, sandbox))
        kinds_text = "/".join(f"{row['pass_by_kind'].get(k, 0):.2f}" for k in KINDS)
        print(
            f"{row['policy']:<10} {row['pass_at_1']:>7.2f} {row['planner_rate']:>13.2f} "
            f"{row['gen_per_problem']:>13.2f} {row['plan_per_problem']:>14.2f} "
            f"{row['samples_per_problem']:>13.2f} {row['tokens_per_problem']:>12.0f}  {kinds_text}"
            f"   ({row['seconds']:.0f}s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
