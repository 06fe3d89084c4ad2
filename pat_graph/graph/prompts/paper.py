"""The `paper` prompt style (`prompt_style = "paper"`, the paper profile): the structure of the PaT
authors' prompts (ml-postech/PaT, which are FunCoder's with `/no_think` and a mandatory
decomposition), in pat-graph's own words and with pat-graph's own examples.

What carries over is the structure, as facts: a system text stating the role and the rules; the
number of example pairs (implementing: 2; decomposing: 4, of which 2 are leaves; test calls: 2,
with 7 and 5 calls; example extraction: 2, the first with nothing to extract); answers that reason
in prose before their code; a request to think step by step; stubs whose body is
`raise NotImplementedError()`; the code of the turn shown as "current code". PaT's trial and
FunCoder's conquer are one builder (`implement_messages`), as in the released code, where the trial
*is* the conquer prompt; PaT's test calls and FunCoder's inputs are one builder too. Only the first
words of the request differ, so the scripted fake model can still tell the purposes apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from pat_graph.graph.prompts.shared import (
    TESTS_TASK,
    context_note,
    conversation,
    current_code,
    fence,
    is_code,
    show,
)
from pat_graph.program.parse import raise_in_stubs

_ROLE = "You are a programming assistant who solves a problem by writing Python functions."
_EACH_TURN = (
    "- In every turn, write the requested function from that turn's current code (and problem "
    "description) only, never from code seen earlier in the conversation.\n"
    "- Keep the name, the argument names and the docstring of every function you are given.\n"
    "- You may import libraries."
)
_STUB_RULE = (
    "- A new function may stay unwritten for now: put it after your code as a stub whose "
    "docstring says what it does and whose body is `raise NotImplementedError()`."
)
_STDIO_RULES = (
    "\n- `main()` reads standard input and prints the answer to standard output, and nothing "
    "else.\n- Write no code outside functions besides imports."
)
PLAN_SYSTEM = (
    f"{_ROLE} A direct attempt to implement the target function failed, which suggests its "
    f"logic is too involved to write in one piece.\n{_EACH_TURN}\n"
    "- Decomposition is mandatory: split the target into smaller helper functions that it "
    f"calls, as the first step towards solving it.\n{_STUB_RULE}"
)
DIVIDE_SYSTEM = (
    f"{_ROLE}\n{_EACH_TURN}\n- If one function is too hard to write at once, you may split it "
    f"into smaller functions that it calls.\n{_STUB_RULE}"
)
IMPLEMENT_SYSTEM = (
    f"{_ROLE}\n{_EACH_TURN}\n- Reuse the functions that are already implemented where they help."
)
_TESTER = (
    "You are a software tester with an eye for edge cases and logic errors. You are given a "
    "Python function and"
)
_TEST_RULES = (
    "- Use no imports beyond those the code already has.\n"
    "- Mind every argument of the signature.\n"
    "- Respect the signature and the docstring: never write an input they do not allow.\n"
    "- Keep inputs small but meaningful: common cases and edge cases.\n"
    "Every turn of the conversation is about an unrelated function."
)
CALLS_SYSTEM = f"{_TESTER} write inputs to call it with:\n- One call per line.\n{_TEST_RULES}"
ASSERTS_SYSTEM = (
    f"{_TESTER} write assertions on its results:\n- One `assert` per line, comparing a call with "
    f"the value it must return.\n{_TEST_RULES}"
)
EXAMPLES_SYSTEM = (
    "You are a software tester. You turn the examples a function's description gives into "
    "Python test lines:\n"
    "- One line per example: `assert f(...) == value` when the description states the result, "
    "the bare call `f(...)` when it does not.\n"
    "- Use no imports beyond those the code already has.\n"
    "- Give every argument as the description does; keep each call exactly as written.\n"
    "- Only the examples of the function asked about; when its description gives none, write "
    "nothing.\n"
    "Every turn of the conversation is about an unrelated function."
)

# --- the example functions, written once and shown at each stage ----------------------------
_MEAN_DOC = (
    "Return the mean of the numbers in nums whose decimal digits read the same\n"
    "    backwards; 0.0 when nums holds none."
)
_MEAN_DOC_TEXT = (
    "Return the mean of the numbers in nums whose decimal digits read the same\n"
    "backwards; 0.0 when nums holds none."
)
_MEAN_HEAD = f'def mean_of_palindromes(nums: list[int]) -> float:\n    """{_MEAN_DOC}"""'
_MEAN_CODE = f"{_MEAN_HEAD}\n    chosen = palindromic(nums)\n    return average(chosen)"
_PAL_HEAD = (
    "def palindromic(nums: list[int]) -> list[int]:\n"
    '    """Keep the numbers of nums, in order, whose decimal digits read the same backwards."""'
)
_PAL_CODE = f"{_PAL_HEAD}\n    return [n for n in nums if reads_same_backwards(n)]"
_SAME_HEAD = (
    "def reads_same_backwards(n: int) -> bool:\n"
    '    """Whether the decimal digits of n, ignoring a minus sign, read the same backwards."""'
)
_SAME_CODE = f"{_SAME_HEAD}\n    digits = str(abs(n))\n    return digits == digits[::-1]"
_AVG_HEAD = (
    "def average(values: list[int]) -> float:\n"
    '    """The arithmetic mean of values; 0.0 for an empty list."""'
)
_AVG_CODE = (
    f"{_AVG_HEAD}\n    if not values:\n        return 0.0\n    return sum(values) / len(values)"
)
_MAIN_DOC = """r\'\'\'
    time limit per test: 1 second
    input: standard input
    output: standard output

    ## Description

    You are given $n$ integers. Print the mean of those whose decimal digits read the same
    backwards (a minus sign does not count), or 0 when there is none.

    ## Input

    The first line holds $n$ ($1 \\le n \\le 1000$), the second line the $n$ integers.

    ## Output

    One number; an absolute error of at most $10^{-6}$ is accepted.

    ## Sample Input 1

    ```
    4
    121 7 10 33
    ```

    ## Sample Output 1

    ```
    53.666666666667
    ```
    \'\'\'"""
_MAIN_HEAD = f"def main() -> None:\n    {_MAIN_DOC}"
_MAIN_SHORT = (
    'def main() -> None:\n    """Print the mean of the palindromic numbers of the input."""'
)
_MAIN_BODY = (
    "\n    input()\n    nums = list(map(int, input().split()))\n"
    "    print(average(palindromic(nums)))"
)
_WORDS_HEAD = (
    "def count_words(text: str) -> int:\n"
    '    """Return how many whitespace-separated words text contains."""'
)
_WORDS_CODE = f"{_WORDS_HEAD}\n    return len(text.split())"
_PAL_DOC = "Keep the numbers of nums, in order, whose decimal digits read the same backwards."
_SAME_DOC = "Whether the decimal digits of n, ignoring a minus sign, read the same backwards."
_AVG_DOC = "The arithmetic mean of values; 0.0 for an empty list."


def _stub(head: str) -> str:
    return f"{head}\n    raise NotImplementedError()"


def _code(*parts: str) -> str:
    return "Current code:\n" + current_code(parts)


def _as_theirs(problem: dict[str, Any]) -> dict[str, Any]:
    """The statement and the ancestors with stubs written as the released prompts write them."""
    prompt = str(problem["prompt"])
    return {
        **problem,
        "prompt": raise_in_stubs(prompt) if is_code(prompt) else prompt,
        "ancestors": raise_in_stubs(str(problem.get("ancestors") or "")),
    }


# --- decomposing: PaT's plan (mandatory) and FunCoder's divide (optional) ---------------------
def _decompose_ask(task: str, name: str, shown: str, docstring: str, note: str = "") -> str:
    want = f'does what its docstring says:\n"{docstring}"' if docstring else ""
    return (
        f"{task} `{name}`.{note}\n\n{shown}\n\nThink step by step, then complete `{name}` so "
        f"that it {want or 'solves the problem above'}."
    )


def _decompose_pairs(task: str, stdio: bool) -> list[tuple[str, str]]:
    root, root_done, root_doc = (
        (_MAIN_HEAD, _MAIN_SHORT + _MAIN_BODY, "")
        if stdio
        else (_MEAN_HEAD, _MEAN_CODE, _MEAN_DOC_TEXT)
    )
    name = "main" if stdio else "mean_of_palindromes"
    return [
        (
            _decompose_ask(task, name, _code(_stub(root)), root_doc),
            "Two steps: pick out the numbers whose digits read the same backwards, then take "
            "their mean, which must be 0.0 for none. Each step gets a function of its own, "
            "declared below and written later.\n\n"
            + current_code(
                [
                    (_MAIN_HEAD + _MAIN_BODY) if stdio else _MEAN_CODE,
                    _stub(_PAL_HEAD),
                    _stub(_AVG_HEAD),
                ]
            ),
        ),
        (
            _decompose_ask(task, "palindromic", _code(root_done, _stub(_PAL_HEAD)), _PAL_DOC),
            "A number qualifies when its digits read the same backwards; that check is a small "
            "function of its own.\n\n" + current_code([_PAL_CODE, _stub(_SAME_HEAD)]),
        ),
        (
            _decompose_ask(
                task,
                "reads_same_backwards",
                _code(root_done, _PAL_CODE, _stub(_SAME_HEAD)),
                _SAME_DOC,
            ),
            "Compare the digit string with its reverse; abs() drops the sign.\n\n"
            + fence(_SAME_CODE),
        ),
        (
            _decompose_ask(task, "average", _code(root_done, _stub(_AVG_HEAD)), _AVG_DOC),
            "Guard the empty list, then divide the sum by the count.\n\n" + fence(_AVG_CODE),
        ),
    ]


_NOT_IN_WORKSPACE = (
    "\n\nThe conversation above is examples only; none of its code is part of this task."
)


def decompose_messages(
    problem: dict[str, Any],
    docstring: str,
    *,
    task: str,
    mandatory: bool,
    known_helpers: Sequence[str] = (),
    as_system: bool = True,
) -> list[BaseMessage]:
    """PaT's plan (`mandatory`: a direct attempt failed) or FunCoder's divide: the current code is
    the statement (a helper's ancestors above it) with the implemented helpers below."""
    stdio = problem.get("kind") == "stdio"
    name = problem.get("entry_point") or "main"
    shown = show(_as_theirs(problem), after=known_helpers)
    # A stdio statement is its docstring: shown once, in the code.
    ask = _decompose_ask(task, name, shown, "" if stdio else docstring, context_note(problem))
    system = (PLAN_SYSTEM if mandatory else DIVIDE_SYSTEM) + (_STDIO_RULES if stdio else "")
    return conversation(
        system, _decompose_pairs(task, stdio), ask + _NOT_IN_WORKSPACE, as_system=as_system
    )


# --- implementing: PaT's trial and FunCoder's conquer -----------------------------------------
def _implement_ask(task: str, name: str, code: str, docstring: str, note: str = "") -> str:
    must = (
        f' It must do this:\n"{docstring}"' if docstring else " It must do what its docstring says."
    )
    return (
        f"{task} `{name}`.{note}\n\n{code}\n\nThink step by step, then implement `{name}` using "
        f"the functions above where they help.{must}"
    )


def _implement_pairs(task: str, stdio: bool) -> list[tuple[str, str]]:
    helpers = (_PAL_CODE, _SAME_CODE, _AVG_CODE)
    root = _stub(_MAIN_HEAD if stdio else _MEAN_HEAD)
    answer = (_MAIN_HEAD + _MAIN_BODY) if stdio else _MEAN_CODE
    name = "main" if stdio else "mean_of_palindromes"
    return [
        (
            _implement_ask(
                task,
                name,
                _code(*helpers, root),
                "" if stdio else _MEAN_DOC_TEXT,
            ),
            "The helpers already do both steps: `palindromic` picks out the numbers whose "
            "digits read the same backwards and `average` takes their mean, 0.0 for none. "
            f"`{name}` only has to chain them.\n\n" + fence(answer),
        ),
        (
            _implement_ask(
                task,
                "count_words",
                _code(_stub(_WORDS_HEAD)),
                "Return how many whitespace-separated words text contains.",
            ),
            "str.split() without arguments splits on any run of whitespace and ignores both "
            "ends, so the length of its result is the answer.\n\n" + fence(_WORDS_CODE),
        ),
    ]


def implement_messages(
    problem: dict[str, Any],
    docstring: str,
    helper_codes: Sequence[str],
    *,
    task: str,
    as_system: bool = True,
) -> list[BaseMessage]:
    """The function again, with the implemented helpers above it and itself as a stub, last."""
    stdio = problem.get("kind") == "stdio"
    name = problem.get("entry_point") or "main"
    shown = show(_as_theirs(problem), helper_codes)
    ask = _implement_ask(task, name, shown, "" if stdio else docstring, context_note(problem))
    system = IMPLEMENT_SYSTEM + (_STDIO_RULES if stdio else "")
    return conversation(system, _implement_pairs(task, stdio), ask, as_system=as_system)


# --- test calls (PaT) and inputs (FunCoder's consensus) ----------------------------------------
_RUN_LENGTH = '''def run_length(s: str) -> str:
    """Encode s by writing each run of one repeated character as the character and the
    run's length, e.g. "aaab" becomes "a3b1"."""
    out = []
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        out.append(f"{s[i]}{j - i}")
        i = j
    return "".join(out)'''
_CLAMP = '''def clamp_all(xs: list[float], lo: float, hi: float) -> list[float]:
    """Clamp every value of xs into [lo, hi]."""
    return [clamp(x, lo, hi) for x in xs]


def clamp(x: float, lo: float, hi: float) -> float:
    """Return x limited to the interval [lo, hi] (lo <= hi)."""
    return max(lo, min(x, hi))'''


def _calls_ask(task: str, name: str, code: str, note: str = "", how_many: int = 0) -> str:
    count = f"{how_many} calls of the form" if how_many > 0 else "the calls"
    return (
        f"{task} for `{name}`: think step by step about which inputs are worth trying, then "
        f"write {count} `{name}(...)`, one per line, in one Python code block. They will be run "
        f"later.{note}\n\n{fence(code)}"
    )


def calls_messages(
    name: str,
    code: str,
    *,
    task: str,
    note: str = "",
    how_many: int = 0,
    as_system: bool = True,
) -> list[BaseMessage]:
    pairs = [
        (
            _calls_ask(task, "run_length", _RUN_LENGTH),
            "Worth covering: the empty string, one character, one long run, alternating "
            "characters, runs of different lengths, and digits and spaces, which the encoding "
            "does not escape.\n\n"
            + fence(
                'run_length("")\nrun_length("z")\nrun_length("aaaaaaa")\nrun_length("abab")\n'
                'run_length("aaabccdddd")\nrun_length("112")\nrun_length("a  b")'
            ),
        ),
        (
            _calls_ask(task, "clamp", _CLAMP),
            "Values below, inside and above the interval, one on a bound, and an interval "
            "that is a single point.\n\n"
            + fence(
                "clamp(-5.0, 0.0, 1.0)\nclamp(0.5, 0.0, 1.0)\nclamp(7.0, 0.0, 1.0)\n"
                "clamp(1.0, 0.0, 1.0)\nclamp(3.0, 3.0, 3.0)"
            ),
        ),
    ]
    ask = _calls_ask(task, name, code, note, how_many)
    return conversation(CALLS_SYSTEM, pairs, ask, as_system=as_system)


# --- assertions (CodeT; the strict test style) ------------------------------------------------
_DIGIT_SUM = '''def digit_sum(n: int) -> int:
    """Return the sum of the decimal digits of n; the sign of n is ignored."""
    return sum(int(d) for d in str(abs(n)))'''


def _asserts_ask(name: str, code: str, how_many: int) -> str:
    count = f"{how_many} " if how_many > 0 else ""
    return (
        f"{TESTS_TASK} for `{name}`: think step by step about which cases matter, then write "
        f"{count}lines of the form `assert {name}(...) == expected`, one per line, in one "
        f"Python code block. They will be run later.\n\n{fence(code)}"
    )


def asserts_messages(
    name: str, code: str, how_many: int = 0, *, as_system: bool = True
) -> list[BaseMessage]:
    pair = (
        _asserts_ask("digit_sum", _DIGIT_SUM, 0),
        "Cases: zero, one digit, several digits, a negative number (its sign is ignored) and "
        "a long run of nines.\n\n"
        + fence("assert digit_sum(0) == 0\nassert digit_sum(7) == 7\nassert digit_sum(1234) == 10\n"
                "assert digit_sum(-56) == 11\nassert digit_sum(99999) == 45"),
    )  # fmt: skip
    return conversation(
        ASSERTS_SYSTEM, [pair], _asserts_ask(name, code, how_many), as_system=as_system
    )


# --- example extraction (example_parser = "llm") ----------------------------------------------
_PADS = '''def pad_right(s: str, width: int) -> str:
    """Pad s on the right with spaces to width characters: pad_right("a", 3) == "a  "."""
    raise NotImplementedError()


def pad_left(s: str, width: int) -> str:
    """Pad s on the left with spaces to at least width characters, e.g. pad_left("ab", 4)
    gives "  ab".

    >>> pad_left("abc", 2)
    'abc'
    >>> pad_left("", 3)

    More: pad_left("x", 1) -> "x", and assert pad_left("7", 3) == "  7".
    """
    raise NotImplementedError()'''


def _examples_ask(task: str, name: str, code: str) -> str:
    return (
        f"{task} of `{name}`: write each example its description gives as a test line "
        f"(`assert {name}(...) == value`, or the bare call `{name}(...)` when no result is "
        f"stated), one per line, in one Python code block; nothing when there is none.\n\n"
        f"{fence(code)}"
    )


def examples_messages(
    name: str, code: str, *, task: str, as_system: bool = True
) -> list[BaseMessage]:
    pairs = [
        (
            _examples_ask(task, "count_words", _stub(_WORDS_HEAD)),
            "The description of `count_words` gives no example, so there is nothing to "
            "extract.\n\n```python\n```",
        ),
        (
            _examples_ask(task, "pad_left", _PADS),
            "The examples of `pad_left` (not those of `pad_right`), in the order given; the "
            "second doctest states no result, so it stays a bare call.\n\n"
            + fence(
                'assert pad_left("ab", 4) == "  ab"\nassert pad_left("abc", 2) == \'abc\'\n'
                'pad_left("", 3)\nassert pad_left("x", 1) == "x"\n'
                'assert pad_left("7", 3) == "  7"'
            ),
        ),
    ]
    return conversation(
        EXAMPLES_SYSTEM, pairs, _examples_ask(task, name, code), as_system=as_system
    )
