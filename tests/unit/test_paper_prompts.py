"""Issue 20 item 2: under the paper profile the requests have the authors' prompt structure (in
pat-graph's words), the strict profile keeps the short prompts, and `--prompts-from DIR` uses the
text of a checkout verbatim after parsing it (never importing it)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from pat_graph import solve
from pat_graph.cli import main
from pat_graph.errors import ConfigError
from pat_graph.graph import prompts
from pat_graph.graph.budgets import budgets_for
from pat_graph.graph.prompts import paper
from pat_graph.problem import Problem
from pat_graph.program import parse as codeparse
from pat_graph.testing import ScriptedChatModel, purpose_of
from tests.unit.graph_fixtures import ADD_SQ, RIGHT_ADD_SQ, add_sq_problem, responder

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "authors_prompts"
PAPER = prompts.style_of(budgets_for("pat"))
STRICT = prompts.style_of(budgets_for("pat", profile="strict"))
PROBLEM = add_sq_problem().to_dict()
STDIO = {"task_id": "x/1", "prompt": "def main() -> None:\n    '''Print 1.'''\n",
         "entry_point": "main", "kind": "stdio", "tests": []}  # fmt: skip
CANDIDATE = f"{RIGHT_ADD_SQ}\n"


def pairs(messages: list[BaseMessage]) -> list[tuple[BaseMessage, BaseMessage]]:
    shots = messages[1:-1]
    return list(zip(shots[0::2], shots[1::2], strict=True))


def every_request(style: prompts.Style) -> dict[str, list[BaseMessage]]:
    return {
        "trial": prompts.trial_messages(PROBLEM, style),
        "conquer": prompts.conquer_messages(PROBLEM, "Return a*a + b*b.", [], style),
        "plan": prompts.plan_messages(
            PROBLEM,
            attempt=None,
            failures=[],
            known_helpers=[],
            round_no=1,
            feedback=False,
            style=style,
        ),
        "divide": prompts.divide_messages(PROBLEM, "Return a*a + b*b.", style),
        "tests": prompts.call_tests_messages(PROBLEM, CANDIDATE, style),
        "inputs": prompts.inputs_messages("add_sq", CANDIDATE, 0, style),
        "examples": prompts.examples_messages(PROBLEM, ADD_SQ, style),
        "program": prompts.trial_messages(STDIO, style),
    }


def test_paper_requests_have_the_authors_structure() -> None:
    requests = every_request(PAPER)
    counts = {name: len(pairs(m)) for name, m in requests.items()}
    assert counts == {"trial": 2, "conquer": 2, "plan": 4, "divide": 4, "tests": 2, "inputs": 2,
                      "examples": 2, "program": 2}  # fmt: skip
    for name, messages in requests.items():
        system, *shots, ask = messages
        # the role is system text; example turns are system messages named user/assistant
        assert isinstance(system, SystemMessage) and system.name is None
        assert [m.name for m in shots] == ["user", "assistant"] * (len(shots) // 2), name
        assert all(isinstance(m, SystemMessage) for m in shots) and isinstance(ask, HumanMessage)
        assert "step by step" in str(ask.content) or name == "examples"
        # the scripted fake model still tells what is asked
        assert purpose_of(messages) == name, name
        for _, answer in pairs(messages):
            text = str(answer.content)
            assert text.index("```") > 0 and text[: text.index("```")].strip(), name  # prose first
            assert codeparse.fenced_blocks(text) is not None


def test_decomposing_shows_two_leaves_and_stubs_raise_not_implemented() -> None:
    for name in ("plan", "divide"):
        messages = every_request(PAPER)[name]
        answers = [str(a.content) for _, a in pairs(messages)]
        stubs = [a.count("raise NotImplementedError()") for a in answers]
        assert stubs == [2, 1, 0, 0], name  # 2 helpers, then 1 more, then two leaves
        assert "raise NotImplementedError()" in str(messages[-1].content)  # the statement's stub
    # the planner's parser reads the helpers from an answer that reasons first
    first_answer = str(pairs(every_request(PAPER)["plan"])[0][1].content)
    plan = codeparse.parse_plan(first_answer, "mean_of_palindromes", None, set(), "trial")
    assert plan is not None and [s.name for s in plan.stubs] == ["palindromic", "average"]
    plan_system = str(every_request(PAPER)["plan"][0].content)
    divide_system = str(every_request(PAPER)["divide"][0].content)
    assert "Decomposition is mandatory" in plan_system and "failed" in plan_system
    assert "mandatory" not in divide_system and "may split" in divide_system


def test_calls_examples_have_seven_and_five_calls_and_the_code_is_found_after_the_prose() -> None:
    messages = every_request(PAPER)["tests"]
    answers = [str(a.content) for _, a in pairs(messages)]
    assert [len(codeparse.fenced_blocks(a)[0].strip().splitlines()) for a in answers] == [7, 5]
    for _, answer in pairs(every_request(PAPER)["plan"]) + pairs(every_request(PAPER)["trial"]):
        text = str(answer.content)
        code = codeparse.extract_code(text)
        assert code is not None and code.startswith("def ") and "step" not in code.lower()


def test_the_trial_and_the_conquer_are_one_builder() -> None:
    trial = prompts.trial_messages(PROBLEM, PAPER)
    conquer = prompts.conquer_messages(PROBLEM, "Return a*a + b*b.\n>>> add_sq(1, 2)\n5\n>>> "
                                       "add_sq(0, 3)\n9", [], PAPER)  # fmt: skip
    assert [str(m.content) for m in trial[:-1]] != [str(m.content) for m in conquer[:-1]]  # verbs
    same = [str(m.content).replace(prompts.CONQUER_TASK, prompts.TRIAL_TASK) for m in conquer]
    assert same == [str(m.content) for m in trial]


def test_strict_keeps_the_short_prompts_as_turns() -> None:
    requests = every_request(STRICT)
    assert len(pairs(requests["trial"])) == 1 and len(pairs(requests["plan"])) == 1
    for name, messages in requests.items():
        assert not any(isinstance(m, SystemMessage) for m in messages[1:]), name
        assert purpose_of(messages) == name
    assert isinstance(requests["trial"][2], AIMessage)


def test_completion_transcripts_read_named_system_turns_as_turns() -> None:
    from pat_graph.models.completion import ASSISTANT_HEADER, USER_HEADER, render_transcript

    prompt, _ = render_transcript(every_request(PAPER)["trial"])
    assert prompt.count(USER_HEADER) == 3 and prompt.count(ASSISTANT_HEADER) == 3  # + the answer
    assert prompt.startswith(paper.IMPLEMENT_SYSTEM)


async def test_a_paper_run_sends_the_paper_prompts() -> None:
    gen = ScriptedChatModel(respond=responder({("trial", "add_sq"): RIGHT_ADD_SQ}))
    await solve(Problem("t/add_sq", ADD_SQ, "add_sq"), generator=gen, policy="pat")
    trial = gen.calls_for("trial")[0].messages
    assert str(trial[0].content).startswith("/no_think " + paper.IMPLEMENT_SYSTEM[:20])
    assert len(pairs(trial)) == 2 and trial[1].name == "user"


# -- --prompts-from ----------------------------------------------------------------------------


def authors_style() -> prompts.Style:
    return prompts.Style(paper=True, as_system=True,
                         authors=prompts.load_author_prompts(str(FIXTURE)))  # fmt: skip


def test_a_checkout_is_parsed_never_imported() -> None:
    loaded = prompts.load_author_prompts(str(FIXTURE))
    assert loaded.layout == "PaT" and set(loaded.prompts) == {
        "divide", "implement", "calls", "asserts", "examples", "divide_stdio", "implement_stdio",
    }  # fmt: skip
    files = [str(getattr(m, "__file__", None) or "") for m in list(sys.modules.values())]
    assert not any(f.startswith(str(FIXTURE)) for f in files)
    conquer = loaded.prompts["implement"]
    assert conquer.system == "/no_think FIXTURE conquer system."
    # a few-shot turn made by `_format_user_request(...)`, evaluated from the parsed code
    assert conquer.shots[0][1].startswith("FIXTURE conquer request:\n```python\ndef fixture_f()")


def test_the_authors_text_is_used_verbatim_where_they_have_it() -> None:
    style = authors_style()
    trial = prompts.trial_messages(PROBLEM, style)
    assert [str(m.content) for m in trial[:3]] == [
        "/no_think FIXTURE conquer system.",
        style.authors.prompts["implement"].shots[0][1],  # type: ignore[union-attr]
        "FIXTURE conquer answer",
    ]
    ask = str(trial[-1].content)
    assert ask.startswith("FIXTURE conquer request:\n```python\ndef add_sq(a: int, b: int)")
    doc = "Return a*a + b*b.\n>>> add_sq(1, 2)\n5\n>>> add_sq(0, 3)\n9"
    assert "raise NotImplementedError()" in ask and ask.endswith(f'implement `add_sq`: "{doc}"')
    plan = prompts.plan_messages(PROBLEM, attempt=None, failures=[], known_helpers=[
        "def square(x):\n    return x * x"], round_no=1, feedback=False, style=style)  # fmt: skip
    assert str(plan[-1].content).startswith("FIXTURE divide request `add_sq`")
    assert str(plan[-1].content).index("def add_sq") < str(plan[-1].content).index("def square")
    # a PaT checkout has no FunCoder divide: the pbt divide keeps pat-graph's paper text
    assert str(prompts.divide_messages(PROBLEM, "", style)[-1].content).startswith(
        prompts.DIVIDE_TASK
    )
    calls = prompts.call_tests_messages(PROBLEM, CANDIDATE, style)
    assert (
        str(calls[-1].content)
        == f"FIXTURE calls request `add_sq(...)`:\n```python\n{RIGHT_ADD_SQ}\n```"
    )
    extract = prompts.examples_messages(PROBLEM, "def add_sq(a, b): ...", style)
    assert str(extract[-1].content).startswith("FIXTURE extract `add_sq(...)`")
    stdio = prompts.trial_messages(STDIO, style)
    assert str(stdio[-1].content).startswith("FIXTURE stdio implement `main`:\ndef main()")
    assert "FIXTURE above" not in str(stdio[-1].content)  # nothing above: their `if` skipped it


def _write(root: Path, module: str, text: str) -> None:
    path = root / "PaT/methods/PaT/prompts" / module
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_folder_that_is_not_their_layout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a checkout of the authors' code"):
        prompts.load_author_prompts(str(tmp_path))
    for name in ("humaneval.py", "sys_test.py", "xcodeeval.py"):
        _write(tmp_path, name, (FIXTURE / "PaT/methods/PaT/prompts" / name).read_text())
    text = (FIXTURE / "PaT/methods/PaT/prompts/humaneval.py").read_text()
    _write(tmp_path, "humaneval.py", text.replace("PaTHumanEvalUnitTestPrompt", "Other"))
    with pytest.raises(ConfigError, match="has no class PaTHumanEvalUnitTestPrompt"):
        prompts.load_author_prompts(str(tmp_path))
    broken = text.replace('prev_code = prev_code.strip("\\n")', "for c in prev_code: pass")
    _write(tmp_path, "humaneval.py", broken)
    with pytest.raises(ConfigError, match="PaTHumanEvalConquerPrompt: cannot run `for c in"):
        prompts.load_author_prompts(str(tmp_path))
    unknown = text.replace("{func_docstring}", "{func.secret}")
    _write(tmp_path, "humaneval.py", unknown)
    with pytest.raises(ConfigError, match=r"unknown name `func\.secret`"):
        prompts.load_author_prompts(str(tmp_path))


def test_prompts_from_reaches_the_cli(tmp_path: Path, monkeypatch, capsys: Any) -> None:
    from tests.support.fake_server import GatedStub, write_benchmark, write_config

    monkeypatch.chdir(tmp_path)
    write_benchmark(tmp_path / "b.jsonl", 1)
    args = ["run", "--benchmark", "b.jsonl", "--generator", "fake", "--run", "r", "--no-progress",
            "--sandbox", "process", "--policy", "standard"]  # fmt: skip
    assert main([*args, "--prompts-from", str(tmp_path)]) == 2
    assert "not a checkout of the authors' code" in capsys.readouterr().err
    with GatedStub() as stub:
        write_config(tmp_path / "pat.toml", stub.base_url)
        assert main([*args, "--prompts-from", str(FIXTURE)]) == 0
        [request] = stub.requests
    messages = request.body["messages"]
    assert messages[0]["content"] == "/no_think FIXTURE conquer system."
    assert messages[-1]["content"].startswith("FIXTURE conquer request:")
    capsys.readouterr()
    assert main(["report", "--json"]) == 0
    assert f'"prompts_from": "{FIXTURE}"' in capsys.readouterr().out
