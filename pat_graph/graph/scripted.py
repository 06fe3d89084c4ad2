"""A scripted chat model for tests (ours and users'): deterministic replies, honest usage.

`ScriptedChatModel(respond)` calls `respond(purpose, messages)` for every sample, where purpose is
"trial", "tests", "plan", "program", "divide", "conquer", "inputs" or "examples" (recognised from
pat-graph's prompts) or "other". It honours
`n`, reports usage once per request the way OpenAI-compatible servers do, and records every call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import ConfigDict, Field, PrivateAttr

from pat_graph.graph import prompts
from pat_graph.models.answer import Answer, AnswerChatModel

Responder = Callable[[str, list[BaseMessage]], str]

_PURPOSES = (
    (prompts.TRIAL_TASK, "trial"),
    (prompts.PROGRAM_TASK, "program"),
    (prompts.TESTS_TASK, "tests"),
    (prompts.CALLS_TASK, "tests"),  # the paper profile's call tests
    (prompts.PLAN_TASK, "plan"),
    (prompts.DIVIDE_TASK, "divide"),  # FunCoder (pbt)
    (prompts.CONQUER_TASK, "conquer"),
    (prompts.INPUTS_TASK, "inputs"),
    (prompts.EXAMPLES_TASK, "examples"),  # example_parser = "llm"
)


def purpose_of(messages: Sequence[BaseMessage]) -> str:
    """Which pat-graph task a prompt asks for, judged by its last message."""
    last = str(messages[-1].content) if messages else ""
    for marker, purpose in _PURPOSES:
        if last.startswith(marker):
            return purpose
    return "other"


def target_of(messages: Sequence[BaseMessage]) -> str:
    """The function a pat-graph prompt is about (the first `name` in backticks)."""
    match = re.search(r"`([A-Za-z_][A-Za-z0-9_]*)`", str(messages[-1].content))
    return match.group(1) if match else ""


def count_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: whitespace-separated words."""
    return len(text.split())


@dataclass(frozen=True)
class Call:
    purpose: str
    target: str
    messages: list[BaseMessage]
    kwargs: dict[str, Any]
    replies: list[str]
    prompt_tokens: int
    completion_tokens: int


class ScriptedChatModel(AnswerChatModel):
    """Replies come from `respond(purpose, messages)`; a list of strings is replayed in order.

    It answers synchronously; the async path runs the same `_generate` inline (so a subclass that
    overrides `_generate` changes both).
    """

    llm_type = "pat-graph-scripted"
    model_config = ConfigDict(arbitrary_types_allowed=True)
    respond: Any = Field(...)
    model_name: str = "scripted"
    supports_n: bool = True
    fail_times: int = 0  # raise ConnectionError on the first k requests (fault tests)
    _calls: list[Call] = PrivateAttr(default_factory=list)
    _replay: int = PrivateAttr(default=0)
    _failures: int = PrivateAttr(default=0)

    @property
    def calls(self) -> list[Call]:
        return self._calls

    def calls_for(self, purpose: str) -> list[Call]:
        return [c for c in self._calls if c.purpose == purpose]

    def _reply(self, purpose: str, messages: list[BaseMessage]) -> str:
        if isinstance(self.respond, list | tuple):
            reply = self.respond[min(self._replay, len(self.respond) - 1)]
            self._replay += 1
            return str(reply)
        return str(self.respond(purpose, messages))

    def _answer(
        self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any
    ) -> list[Answer]:
        if self._failures < self.fail_times:
            self._failures += 1
            raise ConnectionError("scripted transport failure")
        n = int(kwargs.get("n") or 1) if self.supports_n else 1
        purpose = purpose_of(messages)
        replies = [self._reply(purpose, messages) for _ in range(n)]
        prompt_tokens = sum(count_tokens(str(m.content)) for m in messages)
        completion_tokens = sum(count_tokens(r) for r in replies)
        self._calls.append(
            Call(
                purpose,
                target_of(messages),
                list(messages),
                dict(kwargs),
                replies,
                prompt_tokens,
                completion_tokens,
            )
        )
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        return [Answer(replies, usage)]

    def usage_by_request(self) -> list[tuple[int, int]]:
        return [(c.prompt_tokens, c.completion_tokens) for c in self._calls]


def fenced(code: str) -> str:
    """A reply with chatter around one fenced block, as chat models answer."""
    return f"Here is the code:\n\n```python\n{code.strip()}\n```\n\nHope this helps."
