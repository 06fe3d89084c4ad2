"""A deterministic fake 'model' for runner tests, in-process or behind the loopback OpenAI stub.

Replies depend only on the prompt (what is asked, about which function), never on call order, so
an interrupted-and-resumed run must reproduce an uninterrupted one exactly. Tasks `add_<k>` ask
for x + k; the trial is right for even k and wrong for odd k (so PaT plans), and the generated
test of `add_0` is wrong on purpose (a false positive against the canonical solution).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage

from pat_graph.testing import ScriptedChatModel, fenced, purpose_of, target_of
from tests.support.openai_stub import OpenAIStub


def task_rows(n: int) -> list[dict[str, Any]]:
    rows = []
    for k in range(n):
        name = f"add_{k}"
        prompt = (
            f"def {name}(x: int) -> int:\n"
            f'    """Return x plus {k}.\n'
            f"    >>> {name}(1)\n"
            f"    {1 + k}\n"
            '    """\n'
        )
        rows.append(
            {
                "task_id": f"fake/{k}",
                "prompt": prompt,
                "entry_point": name,
                "kind": "function",
                "tests": [],
                "hidden_tests": [f"assert {name}(10) == {10 + k}", f"assert {name}(-{k}) == 0"],
                "canonical_solution": f"def {name}(x: int) -> int:\n    return x + {k}\n",
            }
        )
    return rows


def write_benchmark(path: Path, n: int) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in task_rows(n)))
    return path


def reply(purpose: str, target: str) -> str:
    if not target.startswith(("add_", "offset_")):
        return "I cannot help with that."
    k = int(target.rsplit("_", 1)[1])
    if target.startswith("offset_"):
        return fenced(f"def {target}() -> int:\n    return {k}")
    if purpose == "examples":  # the docstring's one example, extracted (example_parser=llm)
        return fenced(f"assert {target}(1) == {1 + k}")
    if purpose == "tests":
        expected = 3 if k == 0 else 2 + k  # add_0's test is wrong: a false positive
        return fenced(f"assert {target}(2) == {expected}")
    if purpose == "plan":
        return fenced(
            f"def {target}(x: int) -> int:\n"
            f'    """Return x plus {k}."""\n'
            f"    return x + offset_{k}()\n\n\n"
            f"def offset_{k}() -> int:\n"
            f'    """Return the offset {k}."""\n'
            "    ...\n"
        )
    wrong = k % 2 == 1
    return fenced(f"def {target}(x: int) -> int:\n    return x + {k + 1 if wrong else k}")


def scripted_model() -> ScriptedChatModel:
    return ScriptedChatModel(
        respond=lambda purpose, messages: reply(purpose, target_of(messages)),
        model_name="fake-gen",
    )


def body_reply(body: dict[str, Any]) -> str:
    messages = body.get("messages") or [{"content": body.get("prompt", "")}]
    last = [HumanMessage(content=str(messages[-1].get("content", "")))]
    return reply(purpose_of(last), target_of(last))


class GatedStub(OpenAIStub):
    """The OpenAI stub answering `body_reply`, slowly, with a gate that can freeze it.

    Every request after the first `freeze_after` blocks until `release()`, so a
    test can SIGKILL the client at a moment when exactly the unanswered requests are in flight.
    """

    def __init__(self, *, delay_s: float = 0.0, freeze_after: int | None = None) -> None:
        self.delay_s = delay_s
        self.freeze_after = freeze_after
        self.frozen = threading.Event()
        self._open = threading.Event()
        self._open.set()
        self._count = 0
        self._count_lock = threading.Lock()
        super().__init__([self._reply])

    def _reply(self, body: dict[str, Any]) -> str:
        return body_reply(body)

    def _answer(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._count_lock:
            self._count += 1
            if self.freeze_after is not None and self._count > self.freeze_after:
                self._open.clear()
                self.frozen.set()
        self._open.wait()
        if self.delay_s:
            time.sleep(self.delay_s)
        return super()._answer(path, body)

    def start(self) -> GatedStub:
        super().start()
        assert self._server is not None
        # Replies released after the client was killed hit closed sockets: expected, not news.
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        return self

    def release(self) -> None:
        self.freeze_after = None
        self._open.set()

    @property
    def answered(self) -> int:
        return len(self.responses)

    def usage_totals(self) -> tuple[int, int]:
        return (
            sum(r["usage"]["prompt_tokens"] for r in self.responses),
            sum(r["usage"]["completion_tokens"] for r in self.responses),
        )


def write_config(path: Path, base_url: str, *, name: str = "fake", key_env: str | None = None,
                 input_price: float = 1.0, output_price: float = 2.0) -> Path:  # fmt: skip
    lines = [
        f"[models.{name}]",
        f'base_url = "{base_url}"',
        'model = "fake-model"',
        f"input_price = {input_price}",
        f"output_price = {output_price}",
        "max_retries = 0",
        "timeout = 30",
    ]
    if key_env:
        lines.append(f'api_key_env = "{key_env}"')
    path.write_text("\n".join(lines) + "\n")
    return path


Responder = Callable[[str, str], str]
