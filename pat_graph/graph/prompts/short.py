"""The `short` prompt style (`prompt_style = "short"`, the strict profile): pat-graph's compact
requests, one example pair each and answers that are code only. Few-shot examples are
user/assistant turns, so base models served through the completion API see a plain transcript
they can continue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from pat_graph.graph.prompts.shared import (
    CALLS_TASK,
    CONQUER_TASK,
    DIVIDE_TASK,
    INPUTS_TASK,
    PLAN_TASK,
    PROGRAM_TASK,
    TESTS_TASK,
    TRIAL_TASK,
    context_note,
    docstring_line,
    fence,
    is_code,
    show,
)

SYSTEM = "You are an expert Python programmer. Answer with code in one ```python fenced block."

_TRIAL_SHOT_Q = f'''{TRIAL_TASK} `count_vowels`.

```python
def count_vowels(s: str) -> int:
    """Return how many vowels (a, e, i, o, u, either case) s contains.
    >>> count_vowels("Hello")
    2
    """
```'''
_TRIAL_SHOT_A = '''```python
def count_vowels(s: str) -> int:
    """Return how many vowels (a, e, i, o, u, either case) s contains."""
    return sum(1 for ch in s.lower() if ch in "aeiou")
```'''

_TESTS_SHOT_Q = f'''{TESTS_TASK} for `count_vowels`: 3 lines of the form \
`assert count_vowels(...) == expected`.

```python
def count_vowels(s: str) -> int:
    """Return how many vowels (a, e, i, o, u, either case) s contains."""
```'''
_TESTS_SHOT_A = """```python
assert count_vowels("") == 0
assert count_vowels("AEIOU") == 5
assert count_vowels("rhythm") == 0
```"""

_PLAN_SHOT_Q = f'''{PLAN_TASK} `longest_palindrome_word`. A direct attempt failed its tests, so \
decomposition is mandatory: keep the name, arguments and docstring, write a new body that calls \
new helper functions, and declare each new helper as a stub (signature and docstring, body `...`).

```python
def longest_palindrome_word(text: str) -> str:
    """Return the longest word of text that reads the same backwards (first one on ties),
    ignoring case; "" when there is none."""
```'''
_PLAN_SHOT_A = '''```python
def longest_palindrome_word(text: str) -> str:
    """Return the longest word of text that reads the same backwards (first one on ties),
    ignoring case; "" when there is none."""
    best = ""
    for word in split_words(text):
        if is_palindrome(word) and len(word) > len(best):
            best = word
    return best


def split_words(text: str) -> list[str]:
    """Split text into words made of letters only, in order."""
    ...


def is_palindrome(word: str) -> bool:
    """Whether word reads the same backwards, ignoring case."""
    ...
```'''


def _statement(problem: dict[str, Any]) -> str:
    text = problem["prompt"].strip()
    ancestors = str(problem.get("ancestors") or "").strip()
    if ancestors:
        # helper_context="code": the current code, ancestors (with the planner's bodies) first.
        return "Current code:\n" + fence(f"{ancestors}\n\n\n{text}")
    return fence(text) if is_code(text) else text


def trial_messages(problem: dict[str, Any]) -> list[BaseMessage]:
    if problem.get("kind") == "stdio":
        ask = f"{PROGRAM_TASK} that reads standard input and writes standard output.\n\n"
        return [SystemMessage(SYSTEM), HumanMessage(ask + _statement(problem))]
    ask = f"{TRIAL_TASK} `{problem['entry_point']}`.{context_note(problem)}\n\n"
    return [
        SystemMessage(SYSTEM),
        HumanMessage(_TRIAL_SHOT_Q),
        AIMessage(_TRIAL_SHOT_A),
        HumanMessage(ask + _statement(problem)),
    ]


def tests_messages(problem: dict[str, Any], n_tests: int) -> list[BaseMessage]:
    name = problem["entry_point"]
    ask = (
        f"{TESTS_TASK} for `{name}`: {n_tests} lines of the form "
        f"`assert {name}(...) == expected`. Use small inputs whose expected value you are sure of."
        f"{context_note(problem)}\n\n"
    )
    return [
        SystemMessage(SYSTEM),
        HumanMessage(_TESTS_SHOT_Q),
        AIMessage(_TESTS_SHOT_A),
        HumanMessage(ask + _statement(problem)),
    ]


_CALLS_SHOT_Q = f'''{CALLS_TASK} for `count_vowels`: one call `count_vowels(...)` per line, \
with inputs its docstring allows. Each call will be run later.

```python
def count_vowels(s: str) -> int:
    """Return how many vowels (a, e, i, o, u, either case) s contains."""
    return sum(1 for ch in s.lower() if ch in "aeiou")
```'''
_CALLS_SHOT_A = """```python
count_vowels("")
count_vowels("AEIOU")
count_vowels("rhythm")
count_vowels("Hello, World")
```"""


def call_tests_messages(problem: dict[str, Any], candidate: str | None) -> list[BaseMessage]:
    """Paper profile: call tests written after seeing one trial candidate (the statement when
    the trial gave none). A call passes when it neither raises nor times out."""
    name = problem["entry_point"]
    ask = (
        f"{CALLS_TASK} for `{name}`: one call `{name}(...)` per line, with inputs its docstring "
        f"allows. Each call will be run later.{context_note(problem)}\n\n"
    )
    shown = fence(candidate) if candidate else _statement(problem)
    return [
        SystemMessage(SYSTEM),
        HumanMessage(_CALLS_SHOT_Q),
        AIMessage(_CALLS_SHOT_A),
        HumanMessage(ask + shown),
    ]


def _failure_lines(failures: Sequence[dict[str, Any]]) -> str:
    lines = []
    for failure in failures:
        test = str(failure.get("test", "")).strip()
        message = str(failure.get("message", "")).strip()
        lines.append(f"- {test}" + (f"  -> {message}" if message else ""))
    return "\n".join(lines)


def feedback_parts(
    attempt: str | None, failures: Sequence[dict[str, Any]], round_no: int
) -> list[str]:
    """What `planner_feedback` adds to a planner's request: the failed attempt, the tests it
    failed and the round number."""
    parts = []
    if attempt:
        parts.append("The previous attempt:\n" + fence(attempt))
    if failures:
        parts.append("Tests it failed:\n" + _failure_lines(failures))
    if round_no > 1:
        parts.append(f"This is planning round {round_no}: earlier plans did not pass every test.")
    return parts


def plan_messages(
    problem: dict[str, Any],
    *,
    attempt: str | None,
    failures: Sequence[dict[str, Any]],
    known_helpers: Sequence[str],
    round_no: int,
    after_failure: bool = True,
    feedback: bool = True,
) -> list[BaseMessage]:
    """The planner's request. After a failed trial (PaT) decomposition is mandatory; planning
    first (PbT) asks for the same shape without a failure to show. Without `feedback` (paper
    profile) the planner sees no attempt, no failing test and no round number: only the code,
    the helpers implemented so far and the fixed sentence that decomposition is mandatory."""
    if not feedback:
        attempt, failures, round_no = None, (), 1
    name = problem.get("entry_point") or "main"
    why = (
        "A direct attempt failed its tests, so decomposition is mandatory"
        if after_failure
        else "Plan before implementing"
    )
    parts = [
        f"{PLAN_TASK} `{name}`. {why}: keep the name, arguments and docstring, write a new body "
        "that calls new helper functions, and declare each new helper as a stub (signature and "
        f"docstring, body `...`).{context_note(problem)}",
        _statement(problem),
    ]
    parts += feedback_parts(attempt, failures, 1)
    if known_helpers:
        parts.append(
            "These helpers are already implemented; call them freely, do not redefine them:\n"
            + fence("\n\n".join(known_helpers))
        )
    parts += feedback_parts(None, (), round_no)
    return [
        SystemMessage(SYSTEM),
        HumanMessage(_PLAN_SHOT_Q),
        AIMessage(_PLAN_SHOT_A),
        HumanMessage("\n\n".join(parts)),
    ]


# FunCoder / CodeT ---------------------------------------------------------------------------
# The baselines' requests, written after FunCoder's released prompts (what each request shows and
# asks for), in pat-graph's own words. docs/fidelity.md lists what each one contains.

_DIVIDE_SYSTEM = (
    "You are an expert Python programmer who solves a problem by writing Python functions. "
    "Write the function you are asked for, working from the current code only (never from code "
    "in earlier turns). Keep its name, arguments and docstring. You may import libraries. If one "
    "function is too hard to write at once, you may split it into smaller functions: call them, "
    "and declare each new one at the end of your code as a stub (signature and a docstring that "
    "says what it does, body `...`); they will be written later. Answer with code in one "
    "```python fenced block."
)
_CONQUER_SYSTEM = (
    "You are an expert Python programmer who solves a problem by writing Python functions. "
    "Implement the function you are asked for, working from the current code only. Keep its "
    "name, arguments and docstring. Reuse the functions that are already implemented. You may "
    "import libraries. Answer with code in one ```python fenced block."
)
_INPUTS_SYSTEM = (
    "You are a careful software tester. Given a Python function, write inputs to call it with: "
    "each a one-line call of the function. Respect its signature and docstring and never write "
    "an input the docstring does not allow. Use no imports besides those the code already has. "
    "Keep inputs small but varied: common cases and edge cases."
)
_CODET_SYSTEM = (
    "You are a careful software tester. Given a Python function, write assertions that check "
    "its behaviour, one per line, each calling the function and comparing with the value it must "
    "return. Respect its signature and docstring. Use no imports besides those the code already "
    "has. Keep inputs and outputs simple: common cases and edge cases."
)

# The few-shot example's functions, written once: each shot shows them at a different stage.
_COMMON_STUB = '''def count_common_primes(a: int, b: int) -> int:
    """Return how many distinct primes divide both a and b."""'''
_COMMON_CODE = f"{_COMMON_STUB}\n    return len(prime_divisors(a) & prime_divisors(b))"
_PRIMES_STUB = '''def prime_divisors(n: int) -> set:
    """Return the set of distinct primes dividing n (empty for n < 2)."""'''
_PRIMES_CODE = f"""{_PRIMES_STUB}
    found = set()
    d = 2
    while d * d <= n:
        while n % d == 0:
            found.add(d)
            n //= d
        d += 1
    if n >= 2:
        found.add(n)
    return found"""

_DIVIDE_SHOT_Q = f"""{DIVIDE_TASK} `count_common_primes`.

Current code:
```python
{_COMMON_STUB}
```

Think step by step, then complete `count_common_primes` so that it does what its docstring says."""
_DIVIDE_SHOT_A = f"""The primes of a and of b can be found separately; the answer is the size \
of the intersection.

```python
{_COMMON_CODE}


{_PRIMES_STUB}
    ...
```"""
_DIVIDE_LEAF_Q = f"""{DIVIDE_TASK} `prime_divisors`.

Current code:
```python
{_COMMON_CODE}


{_PRIMES_STUB}
```

Think step by step, then complete `prime_divisors` so that it does what its docstring says."""
_DIVIDE_LEAF_A = f"""Trial division is short enough to write directly.

```python
{_PRIMES_CODE}
```"""

_CONQUER_SHOT_Q = f'''{CONQUER_TASK} `count_common_primes`.

Current code:
```python
{_PRIMES_CODE}


{_COMMON_STUB}
```

Think step by step, then implement `count_common_primes` using the functions above where they \
help. It must do this: "Return how many distinct primes divide both a and b."'''
_CONQUER_SHOT_A = f"""```python
{_COMMON_CODE}
```"""

_INPUTS_SHOT_Q = f'''{INPUTS_TASK} for `balanced`: calls of the form `balanced(...)`, one per \
line. They will be run later.

```python
def balanced(s: str) -> bool:
    """Whether every bracket in s ('()', '[]', '{{}}') is closed in the right order."""
    pairs = {{")": "(", "]": "[", "}}": "{{"}}
    stack = []
    for c in s:
        if c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return False
        else:
            stack.append(c)
    return not stack
```'''
_INPUTS_SHOT_A = """```python
balanced("")
balanced("()")
balanced("([]{})")
balanced("(]")
balanced("((")
balanced("}{")
```"""

_CODET_SHOT_Q = f'''{TESTS_TASK} for `lcm`, one per line. They will be run later.

```python
def lcm(a: int, b: int) -> int:
    """Return the least common multiple of two positive integers."""
```'''
_CODET_SHOT_A = """```python
assert lcm(4, 6) == 12
assert lcm(5, 5) == 5
assert lcm(1, 9) == 9
assert lcm(7, 3) == 21
```"""


def _stdio_note(problem: dict[str, Any]) -> str:
    if problem.get("kind") != "stdio":
        return ""
    return (
        " Write it as a function `main()` that reads standard input and prints the answer to "
        "standard output; write no code outside functions besides imports."
    )


def divide_messages(problem: dict[str, Any], docstring: str) -> list[BaseMessage]:
    """FunCoder's divide: write the function; helpers are optional, declared as stubs."""
    name = problem.get("entry_point") or "main"
    ask = (
        f"{DIVIDE_TASK} `{name}`.{context_note(problem)}\n\n{show(problem)}\n\n"
        f"Think step by step, then complete `{name}` so that it "
        + (f'does what its docstring says: "{docstring_line(docstring)}"' if docstring else "")
        + ("" if docstring else "solves the problem above")
        + f".{_stdio_note(problem)}"
    )
    return [
        SystemMessage(_DIVIDE_SYSTEM),
        HumanMessage(_DIVIDE_SHOT_Q),
        AIMessage(_DIVIDE_SHOT_A),
        HumanMessage(_DIVIDE_LEAF_Q),
        AIMessage(_DIVIDE_LEAF_A),
        HumanMessage(ask),
    ]


def conquer_messages(
    problem: dict[str, Any], docstring: str, helper_codes: Sequence[str]
) -> list[BaseMessage]:
    """FunCoder's conquer: the function again, with its implemented helpers shown above it and
    its own body hidden (the statement's stub comes last)."""
    name = problem.get("entry_point") or "main"
    ask = (
        f"{CONQUER_TASK} `{name}`.{context_note(problem)}\n\n{show(problem, helper_codes)}\n\n"
        f"Think step by step, then implement `{name}` using the functions above where they help."
        + (f' It must do this: "{docstring_line(docstring)}"' if docstring else "")
        + _stdio_note(problem)
    )
    return [
        SystemMessage(_CONQUER_SYSTEM),
        HumanMessage(_CONQUER_SHOT_Q),
        AIMessage(_CONQUER_SHOT_A),
        HumanMessage(ask),
    ]


def inputs_messages(name: str, candidate: str, n_inputs: int = 0) -> list[BaseMessage]:
    """FunCoder's input writing: one candidate's code is shown, calls are asked for (no
    expected values); FunCoder names no number, `n_inputs` > 0 asks for that many."""
    how_many = f"{n_inputs} calls" if n_inputs > 0 else "calls"
    ask = (
        f"{INPUTS_TASK} for `{name}`: {how_many} of the form `{name}(...)`, one per line. "
        f"They will be run later.\n\n{fence(candidate)}"
    )
    return [
        SystemMessage(_INPUTS_SYSTEM),
        HumanMessage(_INPUTS_SHOT_Q),
        AIMessage(_INPUTS_SHOT_A),
        HumanMessage(ask),
    ]


def codet_tests_messages(name: str, candidate: str, n_tests: int = 0) -> list[BaseMessage]:
    """CodeT's test writing as FunCoder runs it: one candidate is shown, asserts are asked for."""
    how_many = f"{n_tests} " if n_tests > 0 else ""
    ask = (
        f"{TESTS_TASK} for `{name}`: {how_many}lines of the form `assert {name}(...) == "
        f"expected`. They will be run later.\n\n{fence(candidate)}"
    )
    return [
        SystemMessage(_CODET_SYSTEM),
        HumanMessage(_CODET_SHOT_Q),
        AIMessage(_CODET_SHOT_A),
        HumanMessage(ask),
    ]
