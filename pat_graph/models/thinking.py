"""Reasoning models' thinking, kept out of code extraction (issue 10 item 11).

Qwen3-style models write `<think>...</think>` before the answer unless the system prompt starts
with `/no_think` (the PaT authors' code puts it at the start of every system prompt, so the paper's
models answered without thinking; the `no_think` knob does the same). Either way the thinking part
is not the answer: code in it is a draft, so it is removed before any fence is looked for. Its
tokens stay in the ledger, because they are counted from the server's usage, never from text.
A separate reasoning field (`reasoning_content`) never reaches the text in the first place.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import BaseMessage, SystemMessage

NO_THINK = "/no_think"

_CLOSED = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_OPEN = re.compile(r"<think>.*\Z", re.DOTALL | re.IGNORECASE)


def strip_think(text: str) -> str:
    """The answer without its thinking. An unclosed `<think>` (the answer was cut off while
    thinking) leaves nothing after it; a stray `</think>` before any code fence drops what came
    before it (servers that open the block in the chat template send only the closing tag)."""
    text = _CLOSED.sub("", text)
    text = _OPEN.sub("", text)
    head, sep, tail = text.partition("</think>")
    if sep and "```" not in head:  # a closing tag inside the code is the code's business
        return tail
    return text


def with_no_think(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """`/no_think` at the start of the first system message (one is added when there is none);
    idempotent."""
    out = list(messages)
    for i, message in enumerate(out):
        if isinstance(message, SystemMessage):
            content = str(message.content)
            if not content.startswith(NO_THINK):
                out[i] = SystemMessage(f"{NO_THINK} {content}")
            return out
    return [SystemMessage(NO_THINK), *out]
