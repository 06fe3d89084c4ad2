"""Code extraction, plan parsing, docstring examples and generated-test filtering."""

from __future__ import annotations

from pat_graph.program import parse as codeparse
from pat_graph.program.doctests import example_tests
from pat_graph.program.testgen import parse_generated_tests

SIG = ((("a", "b")), None, (), None)


def test_extract_code_tolerates_chatter_and_picks_the_block_defining_the_target():
    text = (
        "Sure! First a helper:\n```python\nx = 1\n```\nand the answer:\n"
        "```python\ndef f(a, b):\n    return a + b\n```\nThat's it."
    )
    assert codeparse.extract_code(text, "f") == "def f(a, b):\n    return a + b\n"


def test_extract_code_reads_an_unterminated_fence_and_bare_code():
    assert codeparse.extract_code("```python\ndef f(a, b):\n    return 1", "f")
    assert codeparse.extract_code("def f(a, b):\n    return 1\n", "f")
    assert codeparse.extract_code("no code here at all.", "f") is None
    assert codeparse.extract_code("```python\ndef f(:\n```", "f") is None


def test_signature_check_rejects_other_parameters_but_not_other_annotations():
    prompt = "def f(a: int, b: int) -> int:\n    '''doc'''\n"
    sig = codeparse.target_signature(prompt, "f")
    assert codeparse.defines_target("def f(a, b=2):\n    return a", "f", sig)
    assert not codeparse.defines_target("def f(a):\n    return a", "f", sig)
    assert not codeparse.defines_target("def g(a, b):\n    return a", "f", sig)


def test_clean_module_drops_demo_code_that_would_run_before_the_tests():
    src = (
        "import math\nLIMIT = 3\n\ndef f(a, b):\n    return a\n\nprint(f(1, 2))\n"
        "x = input()\nif __name__ == '__main__':\n    f(1, 2)\n"
    )
    cleaned = codeparse.clean_module(src)
    assert "import math" in cleaned and "LIMIT = 3" in cleaned and "def f" in cleaned
    assert "print(" not in cleaned and "__main__" not in cleaned
    # `x = input()` is an assignment and stays: it fails visibly in the sandbox if reached
    assert "input()" in cleaned


def test_prompt_context_keeps_what_the_statement_defines_besides_the_target():
    prompt = (
        "from typing import List\n\n\ndef helper(x):\n    return x\n\n\n"
        "def target(xs: List[int]) -> int:\n    '''doc'''\n"
    )
    context = codeparse.prompt_context(prompt, "target")
    assert "from typing import List" in context and "def helper" in context
    assert "def target" not in context
    assert codeparse.prompt_context("Write a function.", "target") == ""


def test_parse_plan_separates_stubs_from_the_new_body():
    text = '''Plan:
```python
def f(a, b):
    """Add squares."""
    return sq(a) + sq(b)

def sq(x: int) -> int:
    """Square x.
    >>> sq(2)
    4
    """
    ...

def known(x):
    """Already implemented."""
    pass

def given(x):
    return x + 1
```'''
    plan = codeparse.parse_plan(text, "f", SIG, known={"known"})
    assert plan is not None
    assert [s.name for s in plan.stubs] == ["sq"]
    assert plan.stubs[0].header.startswith("def sq(x: int) -> int:")
    assert ">>> sq(2)" in plan.stubs[0].header
    assert "def sq" not in plan.code and "def known" not in plan.code
    assert "def given" in plan.code and set(plan.implemented) == {"given"}


def test_parse_plan_rejects_a_missing_target_a_changed_signature_and_a_stub_target():
    assert (
        codeparse.parse_plan("```python\ndef g(a, b):\n    return 1\n```", "f", SIG, set()) is None
    )
    assert codeparse.parse_plan("```python\ndef f(a):\n    return 1\n```", "f", SIG, set()) is None
    assert (
        codeparse.parse_plan('```python\ndef f(a, b):\n    """d"""\n```', "f", SIG, set()) is None
    )


def test_doctest_examples_become_asserts_with_float_tolerance():
    prompt = '''from typing import List


def mean(xs: List[float]) -> float:
    """Mean of xs.
    >>> mean([1.0, 2.0])
    1.5
    >>> mean([2, 2])
    2.0
    >>> mean([]) # doctest: +SKIP
    Traceback (most recent call last):
    ZeroDivisionError
    """
'''
    tests = example_tests(prompt, "mean")
    assert tests[0] == "assert abs((mean([1.0, 2.0])) - (1.5)) <= 1e-6 * max(1.0, abs(1.5))"
    assert len(tests) == 2  # the traceback example is not a value example


def test_prose_examples_and_non_python_statements():
    prompt = '''def add(x, y):
    """Add.
    Examples:
    add(2, 3) ➞ 5
    add(1, 1) == 2
    """
'''
    assert example_tests(prompt, "add") == [
        "assert (add(2, 3)) == (5)",
        "assert (add(1, 1)) == (2)",
    ]
    mbpp = "Write a function to add.\nassert add(1, 2) == 3\n>>> add(0, 0)\n0"
    assert example_tests(mbpp, "add") == ["assert (add(0, 0)) == (0)"]


def test_prose_that_looks_like_an_example_is_not_a_test():
    # Shapes taken from HumanEval statements (46, 80, 76, 32, 123): a recurrence written as a
    # call, a string without quotes, JavaScript booleans, and comments after the example.
    prompt = '''def fib4(n: int, s: str = ""):
    """Fib4.
    fib4(0) -> 0
    fib4(n) -> fib4(n-1) + fib4(n-2) + fib4(n-3) + fib4(n-4).
    fib4(a) => False
    fib4(3) => true
    fib4(4) => FALSE
    fib4(5) ==> 1 + 1
    fib4(6) -> [1, ...]
    >>> round(fib4(7), 2) # about seven
    7.0
    >>> fib4(8)
    [1, 5] # the odd ones
    >>> fib4(9)
    some words
    """
'''
    assert example_tests(prompt, "fib4") == [
        "assert abs((round(fib4(7), 2)) - (7.0)) <= 1e-6 * max(1.0, abs(7.0))",
        "assert (fib4(8)) == ([1, 5])",
        "assert (fib4(0)) == (0)",
        "assert (fib4(3)) == (True)",
    ]


def test_examples_may_use_what_the_statement_defines_and_lambdas():
    prompt = '''import math

LIMIT = 3


def poly(xs):
    return xs


def find(xs, key):
    """Find.
    >>> find(poly([1, LIMIT]), lambda x: x > math.pi)
    1
    >>> find(undefined_name, 2)
    1
    >>> find([y for y in range(3)], len)
    0
    """
'''
    assert example_tests(prompt, "find") == [
        "assert (find(poly([1, LIMIT]), lambda x: x > math.pi)) == (1)",
        "assert (find([y for y in range(3)], len)) == (0)",
    ]


def test_an_equality_written_after_the_prompt_marker_is_an_example():
    # HumanEval/108, 116, 128: `>>> f(x) == y` with no output line (or `True`).
    prompt = '''def f(x):
    """F.
    >>> f([]) == 0
    >>> f([1]) == [1]
    True
    >>> f([2]) [2]
    >>> f(3) != 4
    """
'''
    assert example_tests(prompt, "f") == ["assert (f([])) == (0)", "assert (f([1])) == ([1])"]


def test_generated_tests_must_state_an_expected_value():
    reply = """```python
assert f(1) == 2
assert 3 == f(2)
assert f(0)
assert not f(-1)
assert abs(f(0.5) - 1.0) < 1e-9
f(5)
assert g(1) == 1
assert f(1) == 2
assert True
```"""
    tests = parse_generated_tests(reply, "f", limit=10)
    assert tests == [
        "assert f(1) == 2",
        "assert 3 == f(2)",
        "assert f(0)",
        "assert not f(-1)",
        "assert abs(f(0.5) - 1.0) < 1e-09",
    ]
    assert parse_generated_tests(reply, "f", limit=2) == tests[:2]
    assert parse_generated_tests("no code", "f", limit=3) == []
