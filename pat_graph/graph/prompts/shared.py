"""What every prompt style shares: the first words of each request (how the scripted fake model,
and tests, tell the requests apart), how a statement is shown, and how few-shot turns are sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

# First words of each task's request (the last message of a prompt).
TRIAL_TASK = "Implement the function"
PROGRAM_TASK = "Write a complete Python program"
TESTS_TASK = "Write test assertions"
CALLS_TASK = "Write test calls"  # paper profile: calls that pass when they do not raise
PLAN_TASK = "Decompose the function"
DIVIDE_TASK = "Write the function"
CONQUER_TASK = "Rewrite the function"
INPUTS_TASK = "Write test inputs"
EXAMPLES_TASK = "Extract the examples"  # example_parser = "llm": the statement's examples

_CODE_STARTS = ("def ", "from ", "import ", "class ", "@")


def fence(code: str) -> str:
    return f"```python\n{code.strip()}\n```"


def is_code(text: str) -> bool:
    """Python statements (HumanEval, typed MBPP, xCodeEval's `main()` stub) are shown as code;
    prose statements (MBPP+, APPS) as they are."""
    return text.strip().startswith(_CODE_STARTS)


def context_note(problem: dict[str, Any]) -> str:
    context = problem.get("context")
    return f"\n\nIt is a helper used to solve this problem:\n{context}" if context else ""


def docstring_line(docstring: str) -> str:
    return " ".join(docstring.split())


def current_code(parts: Sequence[str]) -> str:
    return fence("\n\n\n".join(p.strip() for p in parts if p and p.strip()))


def show(
    problem: dict[str, Any], helper_codes: Sequence[str] = (), after: Sequence[str] = ()
) -> str:
    """The statement as the released prompts show it: the current code, that is a helper's
    ancestors (under helper_context="code"), the functions `helper_codes` above, the function
    itself, the functions `after` below it; a prose statement comes as text under that code."""
    text = problem["prompt"].strip()
    above = [str(problem.get("ancestors") or ""), *helper_codes]
    if is_code(text):
        return "Current code:\n" + current_code([*above, text, *after])
    code = current_code([*above, *after])
    shown = "Current code:\n" + code + "\n\n" if any([*above, *after]) else ""
    return shown + "The problem:\n" + text


def few_shot(pairs: Sequence[tuple[str, str]], as_system: bool) -> list[BaseMessage]:
    """Example turns. `as_system` sends each as a system message named "user" or "assistant",
    the way the authors' chat path sends them (the server's chat template then decides what the
    model sees; Qwen3's shows them as system turns); otherwise as user/assistant turns."""
    messages: list[BaseMessage] = []
    for question, answer in pairs:
        if as_system:
            messages += [
                SystemMessage(question, name="user"),
                SystemMessage(answer, name="assistant"),
            ]
        else:
            messages += [HumanMessage(question), AIMessage(answer)]
    return messages


def conversation(
    system: str, pairs: Sequence[tuple[str, str]], ask: str, *, as_system: bool = False
) -> list[BaseMessage]:
    """System text, the example pairs, then the request."""
    return [SystemMessage(system), *few_shot(pairs, as_system), HumanMessage(ask)]
