"""Where each test of the built-in benchmarks is judged (issue 19: never in the candidate's
process).

Hidden tests: Python test code (HumanEval's check(), custom asserts) runs on the host against
proxies of the candidate; call-style, stdio and EvalPlus inputs are sent as inputs and compared
on the host. In-loop tests: a test of the form `assert f(literals) <op> literal` is split (the
call goes in, the comparison stays on the host); any other runs in the sandbox in a test process
of its own, against proxies, after the candidate's processes are gone.

    .venv/bin/python benchmarks/unsplittable.py
"""

from __future__ import annotations

from pat_graph.benchmarks import load_benchmark
from pat_graph.program.doctests import example_tests
from pat_graph.sandbox.split import count_unsplittable


def main() -> None:
    for name in ("humaneval", "apps"):
        bench = load_benchmark(name)
        hidden = [(t, x) for t in bench.tasks for x in t.hidden_tests]
        source = sum(1 for t, x in hidden if isinstance(x, str) and t.problem.kind == "function")
        print(
            f"{name} hidden: {len(hidden)} tests, {source} run on the host against proxies, "
            f"{len(hidden) - source} sent as inputs and compared on the host, 0 in the sandbox"
        )
    for name in ("humaneval-plus", "mbpp-plus"):
        bench = load_benchmark(name)
        n = sum(len(t.base_inputs or []) + len(t.plus_inputs or []) for t in bench.tasks)
        print(f"{name} hidden: {n} inputs sent, every output compared on the host")
    for name in ("humaneval", "mbpp-plus", "apps"):
        bench = load_benchmark(name)
        total = inside = 0
        for t in bench.tasks:
            tests = list(t.problem.tests)
            if t.problem.kind == "function" and name == "humaneval":
                tests += example_tests(t.problem.prompt, t.problem.entry_point)
            total += len(tests)
            inside += count_unsplittable(tests, t.problem.kind)
        print(
            f"{name} in-loop statement tests: {total - inside} of {total} split, {inside} run in "
            "a test process against proxies, 0 in the candidate's process"
        )


if __name__ == "__main__":
    main()
