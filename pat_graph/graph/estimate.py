"""How many requests a policy sends per problem, read from its budgets (`run --dry-run`).

Two numbers per problem, both exact consequences of the budgets rather than guesses:
- `fewest`: the cheapest path: every first answer is usable, the trial passes its tests (PaT
  never plans), a FunCoder divide asks for no helper;
- `most`: every retry, re-trial and planning round the budgets allow is used, with
  `helpers` helpers per plan, each solved one level deeper and as expensively.
The truth lies between; a recorded run (runs/dry_run.py) says where.
"""

from __future__ import annotations

from dataclasses import dataclass

from pat_graph.graph.budgets import Budgets

HELPERS_PER_PLAN = 2  # what `most` assumes a plan asks for (the planner decides, not the budgets)
ROOT_ONLY = "at the root of a function problem"
CONQUER_ROUNDS = 1.8  # FunCoder's runner: whole conquers per node while none is usable (conquer.py)


@dataclass(frozen=True)
class Stage:
    """One kind of request a node of the solve tree may send."""

    name: str  # the ledger's `purpose`: trial, examples, tests, plan, divide, conquer, inputs
    role: str  # generator or planner
    samples: int  # completions asked for per request
    fewest: int  # requests per node on the cheapest path
    most: int  # requests per node at the budgets' limits
    when: str  # when a node sends them


def stages(policy: str, budgets: Budgets) -> list[Stage]:
    """The stages of one node of `policy`'s solve tree, root or helper."""
    b = budgets
    attempts = b.trial_attempts if policy == "pat" and b.tests_after_candidate else 1
    trial = Stage("trial", "generator", b.n_samples, 1, b.trial_requests * attempts, "every node")
    writes_tests = b.generate_tests and b.n_generated_tests > 0
    tests = Stage("tests", "generator", 1, 1, b.test_retries * attempts, "every node")
    # example_parser = "llm": the root's statement examples, extracted by a generator request
    # (build_tests for pat / best-of-n, FunCoder's consensus tests for pbt; not CodeT's writer)
    extracts = b.example_parser == "llm" and policy in ("standard", "best-of-n", "pat", "pbt")
    examples = [Stage("examples", "generator", 1, 1, b.test_retries * attempts,
                      ROOT_ONLY)] if extracts else []  # fmt: skip
    if policy in ("standard", "best-of-n"):
        return [trial, *examples, tests] if writes_tests else [trial, *examples]
    if policy == "codet":
        return [trial, Stage("tests", "generator", 1, 1, b.test_retries, "after the trial")]
    if policy == "pbt":
        conquers = int(CONQUER_ROUNDS * b.conquer_samples) * b.conquer_retries
        return [
            Stage("divide", "planner", 1, 1, b.divide_retries, "nodes at depth < max_depth"),
            Stage("conquer", "generator", b.conquer_samples, 1, conquers, "after the helpers"),
            *examples,
            Stage("inputs", "generator", 1, 1, b.test_retries, "when conquer gave samples"),
        ]
    plan = Stage("plan", "planner", 1, 0, b.plan_rounds * b.parse_retries,
                 "after a failed trial, at depth < max_depth")  # fmt: skip
    return [trial, *examples, tests, plan] if writes_tests else [trial, *examples, plan]


def requests_per_problem(
    policy: str, budgets: Budgets, helpers: int = HELPERS_PER_PLAN
) -> dict[str, dict[str, int]]:
    """{"fewest": {stage: requests}, "most": {stage: requests}} for one problem: the root node
    and, for `most`, its helpers down to max_depth."""
    node = stages(policy, budgets)
    return {"fewest": {s.name: s.fewest for s in node}, "most": _most(policy, budgets, node,
                                                                      helpers, 0)}  # fmt: skip


def _most(policy: str, b: Budgets, node: list[Stage], helpers: int, depth: int) -> dict[str, int]:
    total = dict.fromkeys((s.name for s in node), 0)
    if policy == "pbt" and depth >= b.max_depth:
        return total  # never written (FunCoder's depth limit)
    for stage in node:
        if stage.when == ROOT_ONLY and depth > 0:
            continue
        if stage.name != "plan" or depth < b.max_depth:
            total[stage.name] += stage.most
    plans = {"pat": b.plan_rounds if depth < b.max_depth else 0, "pbt": 1}.get(policy, 0)
    child_depth = depth + 1
    if plans and (child_depth < b.max_depth or (policy == "pat" and b.trial_at_max_depth)):
        child = _most(policy, b, node, helpers, child_depth)
        for name in total:
            total[name] += plans * helpers * child[name]
    return total
