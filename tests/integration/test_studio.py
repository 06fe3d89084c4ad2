"""`langgraph dev` serves the repo's langgraph.json, and runs through langgraph-sdk verify,
stream `updates`, `messages` and progress (`custom`), take a run's context, and stop at a
breakpoint and resume from the server's checkpoint.

The models are a scripted OpenAI-compatible stub on loopback; the code runs in the real sandbox.
One server serves the module's tests; it is started in its own process group and the whole
group is killed afterwards. Offline: no tracing, no analytics, no license key (so no metadata
reporting), no browser.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pat_graph.graph import prompts
from tests.support.openai_stub import OpenAIStub

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
LANGGRAPH = Path(sys.executable).with_name("langgraph")
STARTUP_TIMEOUT_S = 90.0

PROMPT = '''def running_max(xs: list[int]) -> list[int]:
    """Return the running maximum of xs.
    >>> running_max([1, 3, 2, 5])
    [1, 3, 3, 5]
    """
'''
SOLUTION = """```python
def running_max(xs: list[int]) -> list[int]:
    out, best = [], None
    for x in xs:
        best = x if best is None or x > best else best
        out.append(best)
    return out
```"""
TESTS = """```python
assert running_max([]) == []
assert running_max([2, 1]) == [2, 2]
```"""
CALLS = """```python
running_max([])
running_max([2, 1])
```"""
EXAMPLES = """```python
assert running_max([1, 3, 2, 5]) == [1, 3, 3, 5]
```"""


def reply(body: dict[str, Any]) -> str:
    """Answer like a good model: a correct trial, and tests (asserts with expected values, or
    the paper profile's bare calls)."""
    last = str((body.get("messages") or [{}])[-1].get("content", ""))
    if last.startswith(prompts.TESTS_TASK):
        return TESTS
    if last.startswith(prompts.CALLS_TASK):
        return CALLS
    if last.startswith(prompts.EXAMPLES_TASK):  # the docstring's example (example_parser=llm)
        return EXAMPLES
    return SOLUTION


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"langgraph dev exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/ok", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.3)
    pytest.fail(f"langgraph dev did not answer within {STARTUP_TIMEOUT_S}s:\n{log.read_text()}")


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub([reply], model="stub-coder") as server:
        yield server


@pytest.fixture(scope="module")
def studio(stub: OpenAIStub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("studio")
    if not LANGGRAPH.exists() and shutil.which("langgraph") is None:
        pytest.skip("langgraph-cli is not installed (pip install -e '.[test]')")
    config = tmp_path / "pat.toml"
    config.write_text(
        f'[models.stub-coder]\nbase_url = "{stub.base_url}"\nmodel = "stub-coder"\n'
        "input_price = 0.5\noutput_price = 1.5\nmax_tokens = 512\nmax_retries = 0\n"
    )
    port = free_port()
    env = {
        **os.environ,
        "PAT_GRAPH_CONFIG": str(config),
        "PAT_GRAPH_GENERATOR": "stub-coder",
        # Offline: no tracing, no analytics, no update checks.
        "LANGSMITH_TRACING": "false",
        "LANGCHAIN_TRACING_V2": "false",
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGSMITH_API_KEY": "",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    log = tmp_path / "langgraph-dev.log"
    command = [
        str(LANGGRAPH if LANGGRAPH.exists() else shutil.which("langgraph")),
        "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(port),
        "--config", str(REPO / "langgraph.json"),
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=REPO,  # langgraph.json paths are relative to the working directory
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    scratch = REPO / ".langgraph_api"  # the in-memory server persists its state here
    scratch_existed = scratch.exists()
    try:
        wait_ready(url, proc, log)
        yield url
    finally:
        stop_group(proc)
        deadline = time.monotonic() + 10
        while group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not scratch_existed:
            shutil.rmtree(scratch, ignore_errors=True)
        assert not group_alive(proc.pid), "langgraph dev left processes behind"


async def test_a_studio_run_of_pat_finishes_verified(studio: str, stub: OpenAIStub) -> None:
    from langgraph_sdk import get_client

    client = get_client(url=studio)
    assistants = await client.assistants.search(limit=20)
    assert {a["graph_id"] for a in assistants} >= {"pat", "pbt", "standard", "best-of-n"}

    problem = {
        "task_id": "studio/1",
        "prompt": PROMPT,
        "entry_point": "running_max",
        "tests": ["assert running_max([4, 4, 1]) == [4, 4, 4]"],
        "kind": "function",
    }
    thread = await client.threads.create()
    state = await client.runs.wait(thread["thread_id"], "pat", input={"problem": problem})
    assert isinstance(state, dict), state
    final = state["final"]
    assert final["verified"] is True, json.dumps(state)[:2000]
    assert final["total"] == 4  # visible + docstring example + two generated tests
    assert "def running_max" in final["code"]
    assert not any(e["role"] == "planner" for e in state["ledger"])  # the trial passed
    assert all(e["model"] == "stub-coder" for e in state["ledger"])
    assert sum(e["cost_usd"] for e in state["ledger"]) > 0
    # The models really went over HTTP to the stub, with the tests request among them.
    assert any(
        str(b["messages"][-1]["content"]).startswith((prompts.TESTS_TASK, prompts.CALLS_TASK))
        for b in stub.bodies
    )


async def test_studio_streams_then_resumes_after_a_breakpoint(
    studio: str, stub: OpenAIStub
) -> None:
    from langgraph_sdk import get_client

    client = get_client(url=studio)
    pat = next(a for a in await client.assistants.search(limit=20) if a["graph_id"] == "pat")
    schemas = await client.assistants.get_schemas(pat["assistant_id"])
    assert "entry_point" in json.dumps(schemas["input_schema"])
    assert "final" in schemas["output_schema"]["properties"]
    assert "budgets" in schemas["context_schema"]["properties"]

    problem = {"task_id": "studio/2", "prompt": PROMPT, "entry_point": "running_max"}
    context = {"budgets": {"n_samples": 2}}  # JSON context from the client reaches the nodes
    thread = await client.threads.create()
    first = len(stub.requests)
    parts: dict[str, list[Any]] = defaultdict(list)
    async for part in client.runs.stream(
        thread["thread_id"], "pat", input={"problem": problem}, context=context,
        stream_mode=["updates", "messages-tuple", "custom"], interrupt_before=["verify"],
    ):  # fmt: skip
        parts[part.event].append(part.data)
    updated = {node for update in parts["updates"] for node in update}
    assert {"generate", "build_tests"} <= updated and "verify" not in updated
    messages = parts["messages"]
    assert messages and all(meta["role"] == "generator" for _, meta in messages)
    # the trial, the root's example extraction (paper profile) and the test writer's request
    assert {meta["purpose"] for _, meta in messages} == {"trial", "examples", "tests"}
    assert any(m["type"] == "AIMessageChunk" for m, _ in messages)  # tokens, streamed
    progress = {c["event"] for c in parts["custom"]}
    assert {"trial_sampled", "tests_written"} <= progress
    trial = next(
        b for b in stub.bodies[first:] if str(b["messages"][-1]["content"]).startswith("Implement")
    )
    assert trial["n"] == 2

    paused = await client.threads.get_state(thread["thread_id"])
    assert paused["next"] == ["verify"] and paused["values"]["candidates"]
    asked = len(stub.requests)
    final = await client.runs.wait(thread["thread_id"], "pat", input=None, context=context)
    assert final["final"]["verified"] is True
    assert len(stub.requests) == asked  # resumed at verify: nothing was asked again
    done = await client.threads.get_state(thread["thread_id"])
    assert done["next"] == [] and done["values"]["final"]["verified"] is True
    assert len(done["values"]["ledger"]) == 3  # the trial, the examples and the tests, once each
