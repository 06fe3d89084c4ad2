"""The routing invariants hold through the real client stack (ChatOpenAI over HTTP), not only
against in-process fakes: usage fields, `n` and the max-tokens limit are what the wire shows."""

from __future__ import annotations

from typing import Any

import pytest

from pat_graph import solve
from pat_graph.graph.prompts import EXAMPLES_TASK, PLAN_TASK, TESTS_TASK, TRIAL_TASK
from pat_graph.models.config import ModelSpec, make_chat_model
from pat_graph.models.cost import summarize
from pat_graph.testing import fenced
from tests.support.openai_stub import OpenAIStub
from tests.unit.graph_fixtures import PLAN_ADD_SQ, RIGHT_ADD_SQ, WRONG_ADD_SQ, add_sq_problem

pytestmark = pytest.mark.integration


def _last(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


def generator_reply(trial_code: str):
    def reply(body: dict[str, Any]) -> str:
        last = _last(body)
        if last.startswith(TESTS_TASK):
            return fenced("assert add_sq(2, 2) == 8")
        if last.startswith(EXAMPLES_TASK):  # the docstring's examples (example_parser=llm)
            return fenced("assert add_sq(1, 2) == 5\nassert add_sq(0, 3) == 9")
        if last.startswith(TRIAL_TASK) and "`square`" in last.splitlines()[0]:
            return fenced("def square(x):\n    return x * x")
        if last.startswith(TRIAL_TASK):
            return fenced(trial_code)
        return "?"

    return reply


def planner_reply(body: dict[str, Any]) -> str:
    return fenced(PLAN_ADD_SQ) if _last(body).startswith(PLAN_TASK) else "?"


def spec(name: str, stub: OpenAIStub, price_in: float, price_out: float) -> ModelSpec:
    return ModelSpec(
        name=name,
        base_url=stub.base_url,
        model=name,
        input_price=price_in,
        output_price=price_out,
        max_tokens=300,
        max_retries=0,
    )


@pytest.mark.parametrize(("trial_code", "plans"), [(RIGHT_ADD_SQ, False), (WRONG_ADD_SQ, True)])
async def test_pat_over_http_plans_only_after_failure(trial_code, plans):
    with (
        OpenAIStub([generator_reply(trial_code)]) as gen_stub,
        OpenAIStub([planner_reply]) as plan_stub,
    ):
        gen = make_chat_model(spec("gen", gen_stub, 0.2, 0.6))
        plan = make_chat_model(spec("plan", plan_stub, 2.0, 6.0))
        result = await solve(
            add_sq_problem(),
            generator=gen,
            planner=plan,
            prices={"gen": (0.2, 0.6), "plan": (2.0, 6.0)},
        )
        assert result.verified
        assert result.planner_invoked is plans
        assert len(plan_stub.requests) == (1 if plans else 0)

        # n and the token limit went over the wire in a form the server honours
        trial_bodies = [r.body for r in gen_stub.requests if _last(r.body).startswith(TRIAL_TASK)]
        assert trial_bodies[0]["n"] == 5
        assert all(b.get("max_tokens") == 300 for b in trial_bodies)

        # the ledger holds exactly what the servers reported, prompt billed once per request
        usage = summarize(result.ledger)
        for role, stub in (("generator", gen_stub), ("planner", plan_stub)):
            assert usage["llm_calls"][role] == len(stub.responses)
            assert usage["tokens"][role]["input"] == sum(
                r["usage"]["prompt_tokens"] for r in stub.responses
            )
            assert usage["tokens"][role]["output"] == sum(
                r["usage"]["completion_tokens"] for r in stub.responses
            )
        assert usage["cost_usd"] == pytest.approx(result.cost_usd)
        assert result.cost_usd > 0
