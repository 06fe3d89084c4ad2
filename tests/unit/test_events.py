"""Progress events from LangGraph streaming: trial pass counts, planner calls, rounds, cost."""

from __future__ import annotations

import pytest

from pat_graph import build_graph, solve
from pat_graph.graph.events import ProgressEvent, format_event, stream_solve
from pat_graph.graph.solve import initial_state
from tests.unit.test_events_scenario import PRICES, RuleSandbox, generator, planner, problem


async def run_events(**kwargs) -> list[ProgressEvent]:
    # The counts below are the strict profile's (assert tests written next to the trial).
    kwargs.setdefault("profile", "strict")
    events: list[ProgressEvent] = []
    result = await solve(
        problem(),
        generator=kwargs.pop("generator", None) or generator(),
        planner=planner(),
        sandbox=RuleSandbox(),
        prices=PRICES,
        on_event=events.append,
        **kwargs,
    )
    events.append(result)  # type: ignore[arg-type]  # the caller splits it off again
    return events


async def test_failed_trial_then_planner_round_then_verified_composition() -> None:
    *events, result = await run_events()
    root = [e for e in events if e.depth == 0]
    trial = next(e for e in root if e.node == "verify" and e.phase == "trial")
    assert (trial.passing, trial.candidates) == (0, 5)  # five wrong samples
    assert (trial.best_passed, trial.tests_total) == (0, 3)  # visible + docstring + generated
    assert trial.status == "failed" and trial.planner_calls == 0

    plan = next(e for e in root if e.node == "plan")
    assert plan.planner_called and plan.round == 1 and plan.planner_calls == 1
    assert plan.helpers == ("add", "double")

    helper_events = [e for e in events if e.depth == 1]
    assert {e.function for e in helper_events} == {"add", "double"}
    assert all(
        e.namespace and e.namespace[0].startswith("implement_helper:") for e in helper_events
    )

    composed = next(e for e in root if e.node == "verify" and e.phase == "plan")
    assert composed.round == 1 and composed.status == "passed"
    assert (composed.passing, composed.best_passed, composed.tests_total) == (1, 3, 3)

    final = root[-1]
    assert final.node == "finalize" and final.verified is True
    assert result.verified and result.planner_calls == final.planner_calls == 1


async def test_cost_so_far_grows_and_ends_at_the_ledger_total() -> None:
    *events, result = await run_events()
    costs = [e.cost_usd for e in events]
    assert costs == sorted(costs)  # never goes down
    assert costs[0] > 0  # the first node that called a model already cost something
    # Helpers' ledgers are repeated by the parent's implement_helper update: counted once only.
    assert events[-1].cost_usd == pytest.approx(result.cost_usd)
    assert events[-1].llm_calls == len(result.ledger)
    plan = next(e for e in events if e.node == "plan")
    before = events[events.index(plan) - 1].cost_usd
    planner_entry = next(e for e in result.ledger if e["role"] == "planner")
    assert plan.cost_usd - before == pytest.approx(planner_entry["cost_usd"])


async def test_a_passing_trial_never_calls_the_planner() -> None:
    *events, result = await run_events(generator=generator(trial_right=True))
    assert not any(e.node == "plan" or e.planner_called for e in events)
    trial = next(e for e in events if e.node == "verify")
    assert (trial.passing, trial.candidates, trial.status) == (5, 5, "passed")
    assert result.verified and result.planner_calls == 0


async def test_async_callbacks_are_awaited_and_results_match_plain_solve() -> None:
    seen: list[str] = []

    async def on_event(event: ProgressEvent) -> None:
        seen.append(event.node)

    streamed = await solve(
        problem(), generator=generator(), planner=planner(), sandbox=RuleSandbox(),
        prices=PRICES, on_event=on_event,
    )  # fmt: skip
    plain = await solve(
        problem(), generator=generator(), planner=planner(), sandbox=RuleSandbox(), prices=PRICES
    )
    assert seen[-1] == "finalize" and "plan" in seen
    assert streamed.to_dict() == plain.to_dict()


async def test_stream_solve_exposes_the_final_state() -> None:
    graph = build_graph(
        "best-of-n", generator=generator(trial_right=True), sandbox=RuleSandbox()
    ).compile()
    stream = stream_solve(graph, initial_state(problem()))
    nodes = [e.node async for e in stream]
    assert sorted(nodes[:2]) == ["build_tests", "generate"] and nodes[-2:] == ["verify", "finalize"]
    assert stream.final_state is not None and stream.final_state["final"]["verified"] is True


async def test_format_event_is_one_informative_line() -> None:
    *events, _ = await run_events()
    lines = [format_event(e) for e in events]
    assert all("\n" not in line for line in lines)
    trial = next(ln for e, ln in zip(events, lines, strict=True) if e.node == "verify")
    assert "trial: 0/5 pass all (best 0/3) -> failed" in trial
    plan = next(ln for e, ln in zip(events, lines, strict=True) if e.node == "plan")
    assert "round 1 planner called: add, double" in plan and "planner 1" in plan
    helper = next(ln for e, ln in zip(events, lines, strict=True) if e.depth == 1)
    assert " d1 " in helper
    assert "verified (3/3 tests)" in lines[-1]


async def test_event_call_counts_are_http_requests_like_reports():
    from pat_graph import solve
    from pat_graph.models.cost import summarize
    from pat_graph.testing import ScriptedChatModel, fenced
    from tests.unit.graph_fixtures import RIGHT_ADD_SQ, add_sq_problem, responder

    class ToppedUp(ScriptedChatModel):
        """Reports one request per sample, as the clients do for servers that ignore n."""

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            result = super()._generate(messages, stop, run_manager, **kwargs)
            result.llm_output["requests"] = len(result.generations)
            return result

    gen = ToppedUp(respond=responder({("trial", "add_sq"): fenced(RIGHT_ADD_SQ)}))
    events = []
    result = await solve(
        add_sq_problem(), generator=gen, policy="best-of-n", n_samples=3, generate_tests=False,
        example_parser="doctest", on_event=events.append,
    )  # fmt: skip
    calls = summarize(result.ledger)["llm_calls"]["generator"]
    assert calls == 3
    assert events[-1].llm_calls == calls
