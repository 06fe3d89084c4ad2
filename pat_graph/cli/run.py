"""`pat-graph run`: check everything a run needs before the first model call, then run it."""

from __future__ import annotations

import argparse
import contextlib
import sys

from pat_graph.errors import ConfigError
from pat_graph.graph.budget_args import _budgets, _with_profile
from pat_graph.runs.setup import _load_benchmark, _probe, _role_models


async def _cmd_run_seeds(args: argparse.Namespace) -> int:
    """`--seeds 0,1,2`: the same run once per seed, named RUN-seed0, RUN-seed1, ..."""
    try:
        seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
    except ValueError as exc:
        raise ConfigError(f"--seeds {args.seeds}: write whole numbers, e.g. --seeds 0,1,2") from exc
    if not seeds or args.seed is not None:
        raise ConfigError("--seeds takes a list like 0,1,2 and replaces --seed")
    code = 0
    for seed in seeds:
        one = argparse.Namespace(**{**vars(args), "seeds": None, "seed": seed,
                                    "run_name": f"{args.run_name}-seed{seed}"})  # fmt: skip
        print(f"run {one.run_name} (seed {seed})", file=sys.stderr)
        code = max(code, await _cmd_run(one))
    return code


async def _cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    if getattr(args, "seeds", None):
        return await _cmd_run_seeds(args)

    from pat_graph.models.config import read_config, with_max_tokens_floor
    from pat_graph.runs.research import ResearchOptions
    from pat_graph.runs.runner import run_benchmark
    from pat_graph.sandbox import get_sandbox

    for flag, value in (
        ("--limit", args.limit),
        ("--concurrency", args.concurrency),
        ("--max-concurrency", args.max_concurrency),
        ("--workers", args.workers),
    ):
        if value is not None and value < 1:
            raise ConfigError(f"{flag} must be at least 1 (got {value})")
    if args.max_cost_usd is not None and not args.max_cost_usd > 0:
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
    from pat_graph.runs.store import check_db_path, open_db

    # A wrong --db fails now, not after the sandbox and server checks (and creates nothing).
    if not is_postgres_url(args.db) and check_db_path(args.db).exists():
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
            known = ", ".join(sorted(specs))
            raise ConfigError(
                f"unknown model {name!r} for --{role}; known models: {known}. "
                f"Define it as [models.{name}] in pat.toml (or pass --config); "
                f"{config.describe()}"
            )
        chosen[role] = with_max_tokens_floor(specs[name], floor)
    if config.ignored:  # after the lookup: an unknown model's error already says this
        print(f"warning: {config.describe()}", file=sys.stderr)
    from pat_graph.models.config import resolve_api_key

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

        chosen = {r: dataclasses.replace(s, api_key_env=None) for r, s in chosen.items()}
    sandbox = get_sandbox(args.sandbox)

    async with contextlib.AsyncExitStack() as stack:
        models = await _role_models(stack, chosen, args.seed)
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

        return await spawn_and_watch(args)
    print(
        f"run {outcome.run}: {outcome.skipped + outcome.done}/{outcome.total} done "
        f"({outcome.done} now, {outcome.skipped} earlier), {outcome.errored} errored",
        file=sys.stderr,
    )
    for task_id, message in outcome.errors.items():
        print(f"  errored {task_id}: {message.splitlines()[0][:200]}", file=sys.stderr)
    if getattr(outcome, "budget_stopped", 0):
        print(
            f"stopped at --max-cost-usd {args.max_cost_usd} (spent ${outcome.spent_usd:.6f}); "
            "run again with a higher budget to go on",
            file=sys.stderr,
        )
    if outcome.errored:
        print("re-run the same command to retry the errored problems", file=sys.stderr)
        return 1
    return 0

