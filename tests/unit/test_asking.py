"""`ask_until_usable` / `ask_for_tests`: the retry loop the test, input, plan and divide nodes
share. The nodes' request counts are pinned by the fidelity tests; these pin the loop itself."""

from __future__ import annotations

from langchain_core.messages import HumanMessage

from pat_graph.graph.budgets import Budgets
from pat_graph.graph.nodes.asking import ask_for_tests, ask_until_usable
from pat_graph.graph.nodes.deps import Deps
from pat_graph.models.roles import RoleModel
from pat_graph.testing import ScriptedChatModel

ASK = [HumanMessage(content="write tests")]


def words(text: str) -> list[str]:
    return [w for w in text.split() if w.startswith("ok")]


async def ask(replies: list[str], tries: int) -> tuple[ScriptedChatModel, object, list]:
    chat = ScriptedChatModel(respond=replies)
    result, ledger = await ask_until_usable(
        RoleModel(chat, "scripted"),
        ASK,
        words,
        tries=tries,
        temperature=0.4,
        role="generator",
        purpose="tests",
        depth=2,
    )
    return chat, result, ledger


async def test_asks_again_until_a_reply_parses_then_stops() -> None:
    chat, result, ledger = await ask(["nothing", "still nothing", "ok1 ok2", "ok3"], tries=5)
    assert result == ["ok1", "ok2"]
    assert len(chat.calls) == 3  # the fourth reply is never asked for
    assert len(ledger) == 3
    assert {(e["role"], e["purpose"], e["depth"]) for e in ledger} == {("generator", "tests", 2)}


async def test_gives_up_after_the_tries_with_the_last_parse() -> None:
    chat, result, ledger = await ask(["nothing", "no", "ok late"], tries=2)
    assert result == []
    assert len(chat.calls) == 2 and len(ledger) == 2


async def test_no_tries_asks_nothing() -> None:
    chat, result, ledger = await ask(["ok"], tries=0)
    assert result is None and chat.calls == [] and ledger == []


async def test_tests_are_asked_of_the_generator_under_the_test_budget() -> None:
    generator = ScriptedChatModel(respond=["none", "none", "none", "ok"])
    planner = ScriptedChatModel(respond=["ok"])
    deps = Deps(
        policy="pat",
        generator=RoleModel(generator, "gen"),
        planner=RoleModel(planner, "plan"),
        budgets=Budgets(test_retries=3, test_temperature=0.7),
    )
    tests, ledger = await ask_for_tests(deps, ASK, words, purpose="inputs", depth=0)
    assert tests == []  # three unusable replies use up test_retries; the fourth is not asked for
    assert len(generator.calls) == 3 and planner.calls == []
    assert [e["purpose"] for e in ledger] == ["inputs"] * 3
    assert {c.kwargs.get("temperature") for c in generator.calls} == {0.7}
