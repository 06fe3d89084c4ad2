"""All prompt text (DESIGN.md section 7), in one package, three sources:

- `paper` style (`prompt_style = "paper"`, the paper profile, pat_graph/graph/prompts/paper.py):
  the authors' prompt structure in pat-graph's words: system role text, their number of example
  pairs, answers that reason before the code, stubs raising NotImplementedError, and few-shot
  turns sent as their chat path sends them (`few_shot_role = "system"`);
- `short` style (`prompt_style = "short"`, the strict profile, short.py): pat-graph's compact
  requests with code-only answers and user/assistant example turns;
- `--prompts-from DIR` (knob `prompts_from`, authors.py): the authors' own text, parsed from a
  local checkout of their repository, used verbatim for every request it has a prompt for.

Nodes call the builders here with `style=style_of(budgets)`; called without a style, a builder
gives the short prompt. Every request starts with its task words (TRIAL_TASK, ...) except those
taken verbatim from the authors, so the scripted fake model can tell the purposes apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from pat_graph.graph.prompts import paper, short
from pat_graph.graph.prompts.authors import AuthorPrompt, AuthorPrompts, load_author_prompts
from pat_graph.graph.prompts.shared import (
    CALLS_TASK,
    CONQUER_TASK,
    DIVIDE_TASK,
    EXAMPLES_TASK,
    INPUTS_TASK,
    PLAN_TASK,
    PROGRAM_TASK,
    TESTS_TASK,
    TRIAL_TASK,
    context_note,
    few_shot,
    is_code,
)
from pat_graph.program import parse as codeparse

__all__ = [
    "CALLS_TASK",
    "CONQUER_TASK",
    "DIVIDE_TASK",
    "EXAMPLES_TASK",
    "INPUTS_TASK",
    "PLAN_TASK",
    "PROGRAM_TASK",
    "SHORT",
    "TESTS_TASK",
    "TRIAL_TASK",
    "Style",
    "call_tests_messages",
    "codet_tests_messages",
    "conquer_messages",
    "divide_messages",
    "examples_messages",
    "inputs_messages",
    "load_author_prompts",
    "plan_messages",
    "style_of",
    "tests_messages",
    "trial_messages",
]


@dataclass(frozen=True)
class Style:
    paper: bool = False  # the authors' structure (paper.py) instead of the short prompts
    as_system: bool = False  # example turns as system messages named user/assistant
    authors: AuthorPrompts | None = None  # their own text, where it has the request


SHORT = Style()


def style_of(budgets: Any) -> Style:
    """The prompt style a policy's knobs ask for (`prompt_style`, `few_shot_role`,
    `prompts_from`)."""
    source = getattr(budgets, "prompts_from", None)
    return Style(
        paper=getattr(budgets, "prompt_style", "short") == "paper",
        as_system=getattr(budgets, "few_shot_role", "turns") == "system",
        authors=load_author_prompts(str(source)) if source else None,
    )


def _docstring(problem: dict[str, Any]) -> str:
    fn = codeparse.find_function(str(problem.get("prompt") or ""), _name(problem))
    return codeparse.docstring_of(fn) if fn is not None else ""


def _name(problem: dict[str, Any]) -> str:
    return problem.get("entry_point") or "main"


def _authors(
    style: Style, request: str, problem: dict[str, Any] | None = None
) -> AuthorPrompt | None:
    """The authors' prompt for `request`, when `--prompts-from` gave one that fits: their
    templates show a function, so a prose statement keeps pat-graph's prompt."""
    if style.authors is None:
        return None
    if problem is not None and not is_code(str(problem.get("prompt") or "")):
        return None
    if problem is not None and problem.get("kind") == "stdio":
        request += "_stdio"
    return style.authors.prompts.get(request)


def _verbatim(style: Style, prompt: AuthorPrompt, values: dict[str, Any]) -> list[BaseMessage]:
    pairs = list(zip(prompt.shots[0::2], prompt.shots[1::2], strict=True))
    turns = few_shot([(q[1], a[1]) for q, a in pairs], style.as_system)
    return [
        SystemMessage(prompt.system),
        *turns,
        HumanMessage(prompt.request_text({"lang": "python", **values})),
    ]


def _code_values(
    problem: dict[str, Any], above: Sequence[str] = (), below: Sequence[str] = ()
) -> dict[str, Any]:
    """The names the authors' request templates use, for pat-graph's statement: the code around
    the function, the function as a stub, its name and docstring."""
    prompt = str(problem["prompt"])
    name = _name(problem)
    stub = codeparse.raise_in_stubs(prompt)
    context = ""
    if problem.get("kind") != "stdio":
        context = codeparse.prompt_context(prompt, name)
        if context:  # imports and given helpers go above, as the authors' ancestors
            stub = codeparse.function_source(stub, name)
    ancestors = codeparse.raise_in_stubs(str(problem.get("ancestors") or ""))
    before = [p.strip() for p in (ancestors, context, *above) if p and p.strip()]
    after = [p.strip() for p in below if p and p.strip()]
    pre = "\n\n\n".join(before + after)
    return {
        "code": "\n\n\n".join([*before, stub.strip(), *after]),
        "code_pre": pre,
        "prev_code_s": pre,
        "code_cur": stub.strip(),
        "cur_code_s": stub.strip(),
        "func_name": name,
        "func.name": name,
        "func_docstring": _docstring(problem),
    }


# --- the trial (PaT) and the conquer (FunCoder): one builder under the paper style ----------
def trial_messages(problem: dict[str, Any], style: Style = SHORT) -> list[BaseMessage]:
    authors = _authors(style, "implement", problem)
    if authors is not None:
        return _verbatim(style, authors, _code_values(problem))
    if not style.paper:
        return short.trial_messages(problem)
    task = PROGRAM_TASK + ":" if problem.get("kind") == "stdio" else TRIAL_TASK
    return paper.implement_messages(
        problem, _docstring(problem), [], task=task, as_system=style.as_system
    )


def conquer_messages(
    problem: dict[str, Any], docstring: str, helper_codes: Sequence[str], style: Style = SHORT
) -> list[BaseMessage]:
    authors = _authors(style, "implement", problem)
    if authors is not None:
        return _verbatim(style, authors, _code_values(problem, above=helper_codes))
    if not style.paper:
        return short.conquer_messages(problem, docstring, helper_codes)
    return paper.implement_messages(
        problem, docstring, helper_codes, task=CONQUER_TASK, as_system=style.as_system
    )


# --- decomposition: PaT's plan (mandatory) and FunCoder's divide (optional) -------------------
def plan_messages(
    problem: dict[str, Any],
    *,
    attempt: str | None,
    failures: Sequence[dict[str, Any]],
    known_helpers: Sequence[str],
    round_no: int,
    after_failure: bool = True,
    feedback: bool = True,
    style: Style = SHORT,
) -> list[BaseMessage]:
    """The planner's request. Without `feedback` (paper profile) the planner sees only the code,
    the helpers implemented so far and that decomposition is mandatory."""
    if not style.paper and style.authors is None:
        return short.plan_messages(
            problem, attempt=attempt, failures=failures, known_helpers=known_helpers,
            round_no=round_no, after_failure=after_failure, feedback=feedback,
        )  # fmt: skip
    extra = short.feedback_parts(attempt, failures, round_no) if feedback else []
    authors = _authors(style, "divide", problem)
    if authors is not None and style.authors and style.authors.layout == "PaT" and after_failure:
        messages = _verbatim(style, authors, _code_values(problem, below=known_helpers))
    else:
        messages = paper.decompose_messages(
            problem, _docstring(problem), task=PLAN_TASK, mandatory=after_failure,
            known_helpers=known_helpers, as_system=style.as_system,
        )  # fmt: skip
    if extra:
        messages[-1] = HumanMessage("\n\n".join([str(messages[-1].content), *extra]))
    return messages


def divide_messages(
    problem: dict[str, Any], docstring: str, style: Style = SHORT
) -> list[BaseMessage]:
    authors = _authors(style, "divide", problem)
    if authors is not None and style.authors and style.authors.layout == "FunCoder":
        return _verbatim(style, authors, _code_values(problem))
    if not style.paper and style.authors is None:
        return short.divide_messages(problem, docstring)
    return paper.decompose_messages(
        problem, docstring, task=DIVIDE_TASK, mandatory=False, as_system=style.as_system
    )


# --- tests the generator writes ---------------------------------------------------------------
def call_tests_messages(
    problem: dict[str, Any], candidate: str | None, style: Style = SHORT
) -> list[BaseMessage]:
    """PaT's call tests, written after seeing one candidate (the statement when the trial gave
    none). A call passes when it neither raises nor times out."""
    name = problem["entry_point"]
    shown = candidate or codeparse.raise_in_stubs(str(problem["prompt"]))
    authors = _authors(style, "calls")
    if authors is not None:
        return _verbatim(style, authors, {"func_name": name, "code": shown.strip()})
    if not style.paper:
        return short.call_tests_messages(problem, candidate)
    return paper.calls_messages(
        name, shown, task=CALLS_TASK, note=context_note(problem), as_system=style.as_system
    )


def inputs_messages(
    name: str, candidate: str, n_inputs: int = 0, style: Style = SHORT
) -> list[BaseMessage]:
    """FunCoder's inputs for functional consensus: PaT's call-test prompt, as in their code."""
    authors = _authors(style, "calls")
    if authors is not None:
        return _verbatim(style, authors, {"func_name": name, "code": candidate.strip()})
    if not style.paper:
        return short.inputs_messages(name, candidate, n_inputs)
    return paper.calls_messages(
        name, candidate, task=INPUTS_TASK, how_many=n_inputs, as_system=style.as_system
    )


def codet_tests_messages(
    name: str, candidate: str, n_tests: int = 0, style: Style = SHORT
) -> list[BaseMessage]:
    authors = _authors(style, "asserts")
    if authors is not None:
        return _verbatim(style, authors, {"func_name": name, "code": candidate.strip()})
    if not style.paper:
        return short.codet_tests_messages(name, candidate, n_tests)
    return paper.asserts_messages(name, candidate, n_tests, as_system=style.as_system)


def tests_messages(
    problem: dict[str, Any], n_tests: int, style: Style = SHORT
) -> list[BaseMessage]:
    """Asserts written from the statement alone (`test_style = "assert"`)."""
    if not style.paper and style.authors is None:
        return short.tests_messages(problem, n_tests)
    code = codeparse.raise_in_stubs(str(problem["prompt"]))
    return codet_tests_messages(problem["entry_point"], code, n_tests, style)


def examples_messages(
    problem: dict[str, Any], shown: str, style: Style = SHORT
) -> list[BaseMessage]:
    """`example_parser = "llm"`: the generator turns the examples of the statement's docstring
    into test lines. `shown` is the function as the extractor sees it (one candidate with the
    statement's docstring, or the statement). There is no short variant: both styles use the
    paper structure."""
    name = problem["entry_point"]
    authors = _authors(style, "examples")
    if authors is not None:
        return _verbatim(style, authors, {"func_name": name, "code": shown.strip()})
    return paper.examples_messages(name, shown, task=EXAMPLES_TASK, as_system=style.as_system)
