"""`pat-graph run`: check everything a run needs before the first model call, then run it."""

from __future__ import annotations

import argparse
import contextlib
import sys

from pat_graph.errors import ConfigError
from pat_graph.graph.budget_args import _budgets, _with_profile
from pat_graph.runs.setup import (
    _load_benchmark,
    _probe,
    _role_models,
    nothing_to_solve,
    unpriced_warnings,
)

EXIT_BUDGET_STOP = 3  # --max-cost-usd stopped the run before every problem had started


async def _cmd_run_seeds(args: argparse.Namespace) -> int:
    """`--seeds 0,1,2`: the same run once per seed, named RUN-seed0, RUN-seed1, ..."""
    try:
        seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
    except ValueError as exc:
        raise ConfigError(f"--seeds {args.seeds}: write whole numbers, e.g. --seeds 0,1,2") from exc
    if not seeds or args.seed is not None:
        raise ConfigError("--seeds takes a list like 0,1,2 and replaces --seed")
    code = 0
    summaries: list[dict] = []  # --json: one list of every seed's summary
    for seed in seeds:
        one = argparse.Namespace(**{**vars(args), "seeds": None, "seed": seed,
                                    "run_name": f"{args.run_name}-seed{seed}",
                                    "json_sink": summaries})  # fmt: skip
        print(f"run {one.run_name} (seed {seed})", file=sys.stderr)
        code = max(code, await _cmd_run(one))
    if args.json:
        _print_json(summaries)
    return code


async def _cmd_run(args: argparse.Namespace) -> int:
    if getattr(args, "seeds", None):
        return await _cmd_run_seeds(args)
    from pat_graph.runs.eventlog import check_log_path, follow_run

    log_json = check_log_path(args.log_json, args.db) if getattr(args, "log_json", None) else None
    async with follow_run(args.db, args.run_name, log_json):  # --log-json (issue 22)
        return await _cmd_run_one(args)


async def _cmd_run_one(args: argparse.Namespace) -> int:
    import asyncio

    from pat_graph.graph.budgets import PLANNING_POLICIES
    from pat_graph.models.config import read_config, with_max_tokens_floor
    from pat_graph.runs.store import check_run_name
    from pat_graph.sandbox import get_sandbox

    check_run_name(args.run_name)  # also each --seeds name: NAME-seedN
    if args.planner and args.policy not in PLANNING_POLICIES:  # issue 22: say it, go on
        print(
            f"warning: --policy {args.policy} never plans, so --planner {args.planner} is not "
            "used (pat and pbt plan)",
            file=sys.stderr,
        )
    for flag, value in (
        ("--limit", args.limit),
        ("--concurrency", args.concurrency),
        ("--max-concurrency", args.max_concurrency),
        ("--workers", args.workers),
    ):
        if value is not None and value < 1:
            raise ConfigError(f"{flag} must be at least 1 (got {value})")
    if args.max_cost_usd is not None and not 0 < args.max_cost_usd < float("inf"):
        raise ConfigError(f"--max-cost-usd must be a positive amount (got {args.max_cost_usd})")
    if args.workers > 1 and (args.replay or args.pair_with or args.max_cost_usd is not None):
        raise ConfigError("--workers N does not combine with --replay, --pair-with or "
                          "--max-cost-usd yet; run them with one worker")  # fmt: skip
    budgets = _with_profile(_budgets(args.budget), args.profile)
    if getattr(args, "prompts_from", None):  # issue 20: read (never run) their prompt modules now
        from pathlib import Path

        from pat_graph.graph.prompts import load_author_prompts

        budgets["prompts_from"] = str(Path(args.prompts_from).expanduser().resolve())
        load_author_prompts(budgets["prompts_from"])
    from pat_graph.graph.budgets import budgets_for

    floor = budgets_for(args.policy, budgets).max_tokens_floor
    from pat_graph.runs.pgstore import is_postgres_url
    from pat_graph.runs.store import check_db_path, check_writable, open_db

    # A wrong --db fails now, not after the sandbox and server checks (and creates nothing).
    if args.dry_run and not is_postgres_url(args.db):
        check_db_path(args.db)  # read-only later (runs/dry_run.py): opening it here could write
    elif not is_postgres_url(args.db):
        db_file = check_db_path(args.db)
        check_writable(db_file)  # a read-only file or folder, said plainly
        if db_file.exists():
            await (await open_db(args.db, create=False)).close()
    benchmark = _load_benchmark(args.benchmark, args.data)
    tasks = list(benchmark.tasks)
    if args.task:
        by_id = benchmark.by_id()
        unknown = [t for t in args.task if t not in by_id]
        if unknown:
            raise ConfigError(f"unknown task id(s) in {benchmark.name}: {', '.join(unknown)}")
        tasks = [by_id[t] for t in args.task]
    if args.limit is not None:
        tasks = tasks[: args.limit]
    config = read_config(args.config)
    specs = config.specs
    roles = {"generator": args.generator, "planner": args.planner}
    chosen = {}
    for role, name in roles.items():
        if name is None:
            continue
        if name not in specs:
            config.check_usable(name)  # its table has a ${NAME} that is not set here
            known = ", ".join(sorted(specs))
            raise ConfigError(
                f"unknown model {name!r} for --{role}; known models: {known}. "
                f"Define it as [models.{name}] in pat.toml (or pass --config); "
                f"{config.describe()}"
            )
        chosen[role] = with_max_tokens_floor(specs[name], floor)
    if config.ignored:  # after the lookup: an unknown model's error already says this
        print(f"warning: {config.describe()}", file=sys.stderr)
    for line in unpriced_warnings(chosen.values(), config, args.max_cost_usd):
        print(f"warning: {line}", file=sys.stderr)
    if args.dry_run:  # issue 22 item 13: before any key, server, sandbox or database is touched
        return await _dry_run(args, benchmark, tasks, budgets, chosen)
    from pat_graph.models.config import NO_KEY, resolve_api_key

    offline = None
    for spec in {s.name: s for s in chosen.values() if not s.is_local}.values():
        try:
            key = resolve_api_key(spec)
        except ConfigError as exc:
            if not (args.replay or args.pair_with):
                raise
            # A replay can finish without the key if the store holds every answer (issue 14).
            offline = str(exc)
            continue
        await asyncio.to_thread(_probe, spec, key)
    if offline:
        import dataclasses

        chosen = {r: dataclasses.replace(s, api_key_env=NO_KEY) for r, s in chosen.items()}
    sandbox = get_sandbox(args.sandbox)

    # The embedded model loads only if this process will ask it something: not when workers
    # solve the problems, nor when the same command runs again after every problem was done.
    # (Only asked when a role is local: other runs start without opening the database twice.)
    local = any(s.is_local for s in chosen.values())
    serve_local = (
        local
        and args.workers == 1
        and not await nothing_to_solve(args.db, args.run_name, [t.task_id for t in tasks])
    )
    # The solver (LangGraph, LangChain, the OpenAI client: about 2 s) is imported once every
    # check above has passed, so a mistake in the command is said at once.
    from pat_graph.runs.research import ResearchOptions
    from pat_graph.runs.runner import run_benchmark

    async with contextlib.AsyncExitStack() as stack:
        models = await _role_models(stack, chosen, args.seed, serve_local=serve_local)
        gen, plan = models["generator"], models.get("planner")
        outcome = await run_benchmark(
            run=args.run_name,
            benchmark=benchmark,
            tasks=tasks,
            policy=args.policy,
            generator=gen,
            planner=plan,
            generator_spec=chosen["generator"],
            planner_spec=chosen.get("planner"),
            budgets=budgets,
            db_path=args.db,
            concurrency=args.concurrency,
            max_concurrency=args.max_concurrency,
            seed=args.seed,
            research=ResearchOptions(
                replay=args.replay,
                pair_with=args.pair_with,
                max_cost_usd=args.max_cost_usd,
                offline=offline,
            ),
            sandbox=sandbox,
            judge_sandbox=sandbox,
            progress=not args.no_progress and args.workers == 1,
            prune=args.prune,
            verbose=args.verbose,
            solve=args.workers == 1,  # else registered here, solved by the workers below
        )
    if args.workers > 1:
        from pat_graph.runs.workers import spawn_and_watch

        code = await spawn_and_watch(args)
        if args.json:
            await _emit_json(args, None, code)
        return code
    # The run's own counts (issue 22): other workers' results are the run's too.
    others = max(0, outcome.run_done - outcome.done - outcome.skipped)
    by_others = f", {others} by other workers" if others else ""
    print(
        f"run {outcome.run}: {outcome.run_done}/{outcome.total} done "
        f"({outcome.done} now, {outcome.skipped} earlier{by_others}), "
        f"{len(outcome.run_errors)} errored",
        file=sys.stderr,
    )
    for task_id, message in outcome.run_errors.items():
        print(f"  errored {task_id}: {(message.splitlines() or [''])[0][:200]}", file=sys.stderr)
    left = outcome.total - outcome.run_done - len(outcome.run_errors)
    code = 1 if outcome.run_errors else 0
    if getattr(outcome, "budget_stopped", 0) and left > 0:
        print(
            f"stopped at --max-cost-usd {args.max_cost_usd} (spent ${outcome.spent_usd:.6f}) "
            f"with {left} problems not started; run again with a higher budget to go on "
            f"(exit code {EXIT_BUDGET_STOP})",
            file=sys.stderr,
        )
        code = EXIT_BUDGET_STOP  # before errors: raising the budget also retries those
    if outcome.run_errors:
        print("re-run the same command to retry the errored problems", file=sys.stderr)
    if args.json:
        await _emit_json(args, outcome, code)
    return code


# ----- issue 22 item 13: --json and --dry-run --------------------------------------------------
def _print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2))


def _json_out(args: argparse.Namespace, data: dict) -> None:
    sink = getattr(args, "json_sink", None)  # --seeds prints one list at the end
    if sink is not None:
        sink.append(data)
    else:
        _print_json(data)


async def _emit_json(args: argparse.Namespace, outcome: object, code: int) -> None:
    from pat_graph.reporting.run_json import run_json

    _json_out(args, await run_json(args.db, args.run_name, outcome, exit_code=code,
                                   workers=args.workers))  # fmt: skip


async def _dry_run(
    args: argparse.Namespace, benchmark: object, tasks: list, budgets: dict, chosen: dict
) -> int:
    from pat_graph.graph.budgets import budgets_for
    from pat_graph.runs.dry_run import estimate_run, format_estimate

    estimate = await estimate_run(
        run=args.run_name, db=args.db, benchmark=benchmark, tasks=tasks, policy=args.policy,
        budgets=budgets_for(args.policy, budgets), models=chosen,
    )  # fmt: skip
    if args.json:
        _json_out(args, estimate)
    else:
        print(format_estimate(estimate))
    return 0
