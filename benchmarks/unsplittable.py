"""Count the tests that still run (and are judged) inside the sandbox, per benchmark.

A split test sends only its input and is compared on the host; the others (arbitrary check code)
run inside the candidate's process, where code written to attack pat-graph could forge them.

    .venv/bin/python benchmarks/unsplittable.py
"""

from __future__ import annotations

from pat_graph.benchmarks import load_benchmark
from pat_graph.benchmarks.judge import humaneval_asserts
from pat_graph.program.doctests import example_tests
from pat_graph.sandbox.split import count_unsplittable


def main() -> None:
    he = load_benchmark("humaneval")
    rest = sum(
        1
        for t in he.tasks
        if humaneval_asserts(str(t.hidden_tests[0]), t.problem.entry_point) is None
    )
    print(f"humaneval hidden check(): {rest} of {len(he.tasks)} harnesses run inside")
    for name in ("humaneval-plus", "mbpp-plus"):
        bench = load_benchmark(name)
        n = sum(len(t.base_inputs or []) + len(t.plus_inputs or []) for t in bench.tasks)
        print(f"{name} hidden: 0 of {n} inputs run inside (differential, compared on the host)")
    apps = load_benchmark("apps")
    hidden = [(t, x) for t in apps.tasks for x in t.hidden_tests]
    inside = sum(count_unsplittable([x], t.problem.kind) for t, x in hidden)
    print(f"apps hidden: {inside} of {len(hidden)} tests run inside")
    for name in ("humaneval", "mbpp-plus", "apps"):
        bench = load_benchmark(name)
        total = inside = 0
        for t in bench.tasks:
            tests = list(t.problem.tests)
            if t.problem.kind == "function" and name == "humaneval":
                tests += example_tests(t.problem.prompt, t.problem.entry_point)
            total += len(tests)
            inside += count_unsplittable(tests, t.problem.kind)
        print(f"{name} in-loop statement tests: {inside} of {total} run inside")


if __name__ == "__main__":
    main()
