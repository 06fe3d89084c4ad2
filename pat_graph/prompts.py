"""All prompt text. Few-shot examples are user/assistant turns (never system messages), so base
models served through the completion API see a plain transcript they can continue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

SYSTEM = "You are an expert Python programmer. Answer with code in one ```python fenced block."

# First words of each task's request; also how the scripted fake model tells the tasks apart.
TRIAL_TASK = "Implement the function"
PROGRAM_TASK = "Write a complete Python program"
TESTS_TASK = "Write test assertions"
CALLS_TASK = "Write test calls"  # paper profile: calls that pass when they do not raise
PLAN_TASK = "Decompose the function"

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


def _fence(code: str) -> str:
    return f"```python\n{code.strip()}\n```"


def _statement(problem: dict[str, Any]) -> str:
    text = problem["prompt"].strip()
    ancestors = str(problem.get("ancestors") or "").strip()
    if ancestors:
        # helper_context="code": the current code, ancestors (with the planner's bodies) first.
        return "Current code:\n" + _fence(f"{ancestors}\n\n\n{text}")
    # Python statements are shown as code; prose statements (MBPP, contests) as they are.
    return _fence(text) if text.startswith(("def ", "from ", "import ", "class ", "@")) else text


def _context_note(problem: dict[str, Any]) -> str:
    context = problem.get("context")
    return f"\n\nIt is a helper used to solve this problem:\n{context}" if context else ""


def trial_messages(problem: dict[str, Any]) -> list[BaseMessage]:
    if problem.get("kind") == "stdio":
        ask = f"{PROGRAM_TASK} that reads standard input and writes standard output.\n\n"
        return [SystemMessage(SYSTEM), HumanMessage(ask + _statement(problem))]
    ask = f"{TRIAL_TASK} `{problem['entry_point']}`.{_context_note(problem)}\n\n"
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
        f"{_context_note(problem)}\n\n"
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
        f"allows. Each call will be run later.{_context_note(problem)}\n\n"
    )
    shown = _fence(candidate) if candidate else _statement(problem)
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
        f"docstring, body `...`).{_context_note(problem)}",
        _statement(problem),
    ]
    if attempt:
        parts.append("The previous attempt:\n" + _fence(attempt))
    if failures:
        parts.append("Tests it failed:\n" + _failure_lines(failures))
    if known_helpers:
        parts.append(
            "These helpers are already implemented; call them freely, do not redefine them:\n"
            + _fence("\n\n".join(known_helpers))
        )
    if round_no > 1:
        parts.append(f"This is planning round {round_no}: earlier plans did not pass every test.")
    return [
        SystemMessage(SYSTEM),
        HumanMessage(_PLAN_SHOT_Q),
        AIMessage(_PLAN_SHOT_A),
        HumanMessage("\n\n".join(parts)),
    ]

