"""`pat-graph`: run, report, export, evaluate, graph, benchmarks, serve-local, prune, delete,
explore.

Every configuration mistake is found before the first LLM call and reported as one line that
says what to fix (exit 2); work already recorded in the database is never touched by such errors.
No error path prints a traceback or leaves the process hanging (see tests/unit/test_cli_errors.py).
"""

from __future__ import annotations

# Only what `--help` needs is imported here: everything else is imported by the command that
# uses it, so start-up stays fast (benchmarks/startup.py).
import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pat_graph.graph.budgets import POLICIES, POLICY_ALIASES, PROFILE_NAMES, canonical_policy
from pat_graph.errors import ConfigError, PatError

DEFAULT_DB = "runs.sqlite"
POLICY_CHOICES = (*POLICIES, *POLICY_ALIASES)  # `funcoder` is `pbt`; runs record the canonical name
PROBE_TIMEOUT_S = 3.0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pat-graph", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a policy over a benchmark (resumable)")
    run.add_argument("--benchmark", required=True, help="built-in name or a .jsonl file")
    run.add_argument("--limit", type=int, help="only the first N problems")
    run.add_argument("--task", action="append", default=[], help="only this task id (repeatable)")
    run.add_argument("--policy", default="pat", choices=POLICY_CHOICES)
    run.add_argument("--generator", required=True, help="model name from the config, or 'local'")
    run.add_argument("--planner", help="model name for planning (default: the generator)")
    run.add_argument("--run", required=True, dest="run_name", help="run name; reuse it to resume")
    run.add_argument("--db", default=DEFAULT_DB)
    run.add_argument("--concurrency", type=int, default=1, help="problems solved at once")
    run.add_argument("--max-concurrency", type=int, default=8, help="graph tasks at once")
    run.add_argument("--config", help="config file (default: ./pat.toml)")
    run.add_argument("--seed", type=int, help="sampling seed (a per-request seed is derived)")
    # issue 14 (docs/research.md)
    run.add_argument("--seeds", help="one run per seed: --seeds 0,1,2 makes RUN-seed0, ...")
    run.add_argument("--replay", metavar="DB_OR_RUN", help="answer recorded requests from this run")
    run.add_argument("--pair-with", metavar="RUN", help="share identical requests' samples")
    run.add_argument("--max-cost-usd", type=float, help="start no problem once this is spent")
    run.add_argument("--budget", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument(
        "--profile",
        choices=PROFILE_NAMES,
        help="paper (default: the PaT authors' released code) or strict (pat-graph's variant); "
        "--budget KEY=VALUE overrides single knobs on top (docs/fidelity.md)",
    )
    run.add_argument("--sandbox", default="auto", choices=("auto", "bwrap", "process"))
    run.add_argument("--prune", action="store_true", help="drop finished problems' checkpoints")
    run.add_argument("--verbose", action="store_true", help="print graph nodes as they finish")
    run.add_argument("--no-progress", action="store_true")
    run.add_argument(
        "--workers", type=int, default=1,
        help="worker processes on this machine, each with --concurrency (docs/scale-out.md)",
    )  # fmt: skip

    rep = sub.add_parser("report", help="numbers per run")
    rep.add_argument("--db", default=DEFAULT_DB)
    rep.add_argument("--run", action="append", dest="runs", help="run name (repeatable)")
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--plot", metavar="FILE.png")
    rep.add_argument("--baseline", metavar="RUN", help="report cost relative to this run")
    rep.add_argument(
        "--compare", nargs=2, metavar=("RUN_A", "RUN_B"),
        help="paired Pass@1 difference with a 95%% CI, McNemar p, cost ratio",
    )  # fmt: skip
    rep.add_argument("--force", action="store_true", help="overwrite --plot FILE even if foreign")

    exp = sub.add_parser("export", help="write EvalPlus samples of a run")
    exp.add_argument("--run", required=True, dest="run_name")
    exp.add_argument("--db", default=DEFAULT_DB)
    exp.add_argument("--out", required=True)
    exp.add_argument("--force", action="store_true", help="overwrite --out even if foreign")

    ev = sub.add_parser("evaluate", help="judge a samples file on a benchmark")
    ev.add_argument("--benchmark", required=True)
    ev.add_argument("--samples", required=True)
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--concurrency", type=int, default=2)

    gr = sub.add_parser("graph", help="draw a policy's graph")
    gr.add_argument("--policy", default="pat", choices=POLICY_CHOICES)
    gr.add_argument("--format", default="mermaid", choices=("mermaid", "ascii", "png"))
    gr.add_argument("--out")
    gr.add_argument("--force", action="store_true", help="overwrite --out even if foreign")

    sub.add_parser("benchmarks", help="list built-in benchmarks")

    sl = sub.add_parser("serve-local", help="serve the embedded model (OpenAI-compatible)")
    sl.add_argument("--port", type=int)

    pr = sub.add_parser("prune", help="delete finished problems' checkpoints, keep results")
    pr.add_argument("--run", required=True, dest="run_name")
    pr.add_argument("--db", default=DEFAULT_DB)

    wk = sub.add_parser("worker", help="join a run from any machine (docs/scale-out.md)")
    wk.add_argument("--db", required=True, help="the run's database: a file or postgresql:// URL")
    wk.add_argument("--run", required=True, dest="run_name")
    wk.add_argument("--config", help="this machine's config: endpoints and keys (./pat.toml)")
    wk.add_argument("--concurrency", type=int, default=8, help="problems solved at once")
    wk.add_argument("--max-concurrency", type=int, default=8, help="graph tasks at once")
    wk.add_argument("--sandbox", default="auto", choices=("auto", "bwrap", "process"))
    wk.add_argument("--verbose", action="store_true")
    wk.add_argument("--no-progress", action="store_true")

    de = sub.add_parser("delete", help="delete a run: settings, results, checkpoints, ledger")
    de.add_argument("--run", required=True, dest="run_name")
    de.add_argument("--db", default=DEFAULT_DB)
    de.add_argument("--force", action="store_true", help="also when it has finished results")

    xp = sub.add_parser("explore", help="write a static HTML explorer of runs and solve trees")
    xp.add_argument("--db", default=DEFAULT_DB)
    xp.add_argument("--run", action="append", dest="runs", help="run name (repeatable)")
    xp.add_argument("--out", required=True, metavar="DIR")
    return p


def _budgets(pairs: Sequence[str]) -> dict[str, Any]:
    """KEY=VALUE pairs, each value checked against the type of its `Budgets` field, so a knob
    added to the dataclass is covered without touching this code. Unknown keys are left for
    `budgets_for`, which names the known ones."""
    import dataclasses
    import typing

    from pat_graph.graph.budgets import Budgets

    hints = typing.get_type_hints(Budgets)
    defaults = {f.name: f.default for f in dataclasses.fields(Budgets)}
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--budget {pair!r}: write KEY=VALUE, e.g. --budget n_samples=3")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if key not in hints:
            out[key] = value
            continue
        ok, value = _typed(value, raw, hints[key])
        if not ok:
            example = json.dumps(defaults.get(key))
            raise ConfigError(
                f"--budget {key}={raw}: {key} takes {_describe(hints[key])}, "
                f"e.g. --budget {key}={example}"
            )
        out[key] = value
    return out


def _with_profile(budgets: dict[str, Any], profile: str | None) -> dict[str, Any]:
    """`--profile` as the `profile` knob, so it is recorded with the run's other knobs."""
    if profile and budgets.setdefault("profile", profile) != profile:
        raise ConfigError(f"--profile {profile} and --budget profile={budgets['profile']} disagree")
    return budgets


def _typed(value: Any, raw: str, hint: Any) -> tuple[bool, Any]:
    """(accepted, value converted to the field's type)."""
    origin = get_origin(hint)
    if origin is Literal:
        for choice in get_args(hint):
            if value == choice or raw == str(choice):
                return True, choice
        return False, value
    if origin is Union or type(hint).__name__ == "UnionType":
        for arm in get_args(hint):
            if arm is type(None):
                if value is None:
                    return True, None
                continue
            ok, converted = _typed(value, raw, arm)
            if ok:
                return True, converted
        return False, value
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return number, float(value) if number else value
    if hint is str:
        return True, value if isinstance(value, str) else raw
    return True, value  # a type this check does not know: the dataclass validates it


def _describe(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(str(c) for c in get_args(hint))
    if origin is Union or type(hint).__name__ == "UnionType":
        return " or ".join(_describe(a) for a in get_args(hint))
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    return names.get(hint, "null" if hint is type(None) else getattr(hint, "__name__", str(hint)))


def _probe(spec: Any, api_key: str) -> None:
    """Fail fast on a server that is down, rejects the key, or is not an OpenAI-style API,
    rather than erroring every problem after retries."""
    import urllib.error
    import urllib.request

    url = f"{spec.base_url}/models"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {api_key}"})
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S) as response:
            body = response.read(65536)
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            where = f"api_key_env = {spec.api_key_env!r}" if spec.api_key_env else "no api_key_env"
            raise ConfigError(
                f"model {spec.name!r}: {spec.base_url} refused the API key (HTTP {exc.code} "
                f"{exc.reason}); check the key ([models.{spec.name}] has {where})"
            ) from exc
        return  # it answered (some servers have no /models); other errors surface per call
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConfigError(
            f"model {spec.name!r}: cannot reach {spec.base_url} ({reason}); start the server "
            f"or fix base_url in [models.{spec.name}] of your config"
        ) from exc
    if "html" in kind.lower() or body.lstrip()[:1] == b"<":
        raise ConfigError(
            f"model {spec.name!r}: GET {url} answered with an HTML page, not the JSON of an "
            f"OpenAI-compatible API; fix base_url in [models.{spec.name}] (it is often the "
            "server's root followed by /v1)"
        )


def _with_seed(chat: Any, seed: int | None) -> Any:
    fields = getattr(type(chat), "model_fields", {})
    if seed is None or "seed" not in fields:
        return chat
    return chat.model_copy(update={"seed": seed})


async def _role_models(
    stack: contextlib.AsyncExitStack, chosen: dict[str, Any], seed: int | None
) -> dict[str, Any]:
    """The seeded chat model of each chosen role, generator first, with the embedded model
    server started in `stack` when a role runs on it: `run` and a joining worker
    (workers.py) must build their models alike to compute the same thing."""
    from pat_graph.models.calls import RoleModel
    from pat_graph.models.config import make_chat_model

    local_url = None
    if any(s.is_local for s in chosen.values()):
        from pat_graph.models.local import LocalServer

        server = await stack.enter_async_context(LocalServer())
        local_url = server.base_url

    def role_model(spec: Any) -> RoleModel:
        chat = make_chat_model(spec, base_url_override=local_url if spec.is_local else None)
        return RoleModel(
            _with_seed(chat, seed),
            spec.name,
            spec.input_price,
            spec.output_price,
            cached_input_price=getattr(spec, "cached_input_price", None),
        )

    return {role: role_model(chosen[role]) for role in ("generator", "planner") if role in chosen}


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

    from pat_graph.models.config import read_config
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
    from pat_graph.runs.pgstore import is_postgres_url
    from pat_graph.runs.store import check_db_path, open_db

    # A wrong --db fails now, not after the sandbox and server checks (and creates nothing).
    if not is_postgres_url(args.db) and check_db_path(args.db).exists():
        await (await open_db(args.db, create=False)).close()
    benchmark = _load_benchmark(args.benchmark)
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
        chosen[role] = specs[name]
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


def _load_benchmark(name: str) -> Any:
    from pat_graph.benchmarks import list_benchmarks, load_benchmark

    if name not in list_benchmarks() and Path(name).is_dir():
        raise ConfigError(
            f"--benchmark {name} is a directory; pass a built-in name or a .jsonl file "
            "(one problem a line)"
        )
    return load_benchmark(name)


async def _cmd_report(args: argparse.Namespace) -> int:
    from pat_graph.reporting.report import format_table, load_summaries

    if args.compare:  # issue 14: a paired comparison of two runs (or two --seeds groups)
        from pat_graph.reporting.research_report import compare, format_compare

        result = await compare(args.db, *args.compare)
        print(json.dumps(result, indent=2) if args.json else format_compare(result))
        return 0

    summaries = await load_summaries(args.db, args.runs, args.baseline)
    if args.plot:  # before printing anything: a refused --plot is the whole answer
        from pat_graph.files.outputs import check_output, looks_like_png

        check_output(
            args.plot, purpose="a plot", ours=looks_like_png, force=args.force,
            protect=[args.db], option="--plot",
        )  # fmt: skip
    if args.json:
        print(json.dumps(summaries, indent=2))
    else:
        print(format_table(summaries) or "no runs")
    if args.plot:
        from pat_graph.reporting.plot import plot_runs

        path = plot_runs(summaries, args.plot)
        print(f"plot written to {path}", file=sys.stderr)
    return 0


async def _cmd_evaluate(args: argparse.Namespace) -> int:
    import inspect

    from pat_graph.benchmarks.evaluate import evaluate_samples, load_samples

    if args.concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1 (got {args.concurrency})")
    benchmark = _load_benchmark(args.benchmark)
    result: Any = evaluate_samples(
        benchmark, load_samples(args.samples), concurrency=args.concurrency
    )
    if inspect.isawaitable(result):
        result = await result
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    missing = data.get("missing_samples") or []
    if missing:
        print(
            f"{len(missing)} of {data['problems']} tasks have no sample (counted as failures)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        plus = data.get("pass_at_1_plus")
        plus_text = "-" if plus is None else f"{100 * plus:.1f}%"
        print(
            f"{data['benchmark']}: {data['problems']} problems, pass@1 "
            f"{100 * data['pass_at_1']:.1f}% (plus {plus_text})"
        )
    return 0


def _cmd_graph(args: argparse.Namespace) -> int:
    from pat_graph.graph.diagrams import render  # owned by the diagrams engineer

    if args.out:
        from pat_graph.files.outputs import (
            check_output,
            looks_like_graph_text,
            looks_like_png,
            write_atomic,
        )

        ours = looks_like_png if args.format == "png" else looks_like_graph_text
        target = check_output(args.out, purpose="a graph drawing", ours=ours, force=args.force)
    out = render(args.policy, args.format)
    if args.out:
        write_atomic(target, out)
    elif isinstance(out, bytes):
        raise ConfigError("--format png writes binary data: pass --out FILE.png")
    else:
        print(out)
    return 0


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return await _cmd_run(args)
    if args.command == "report":
        return await _cmd_report(args)
    if args.command == "export":
        from pat_graph.reporting.report import export_samples

        n = await export_samples(args.db, args.run_name, args.out, force=args.force)
        print(f"wrote {n} samples to {args.out}", file=sys.stderr)
        return 0
    if args.command == "evaluate":
        return await _cmd_evaluate(args)
    if args.command == "prune":
        from pat_graph.reporting.report import load_summaries
        from pat_graph.runs.runner import prune_run

        await load_summaries(args.db, [args.run_name])  # same messages for a bad db or run
        n = await prune_run(args.db, args.run_name)
        print(f"pruned the checkpoints of {n} finished problems of {args.run_name}")
        return 0
    if args.command == "worker":
        from pat_graph.runs.workers import cmd_worker

        return await cmd_worker(args)
    if args.command == "delete":
        from pat_graph.runs.runner import delete_run

        counts = await delete_run(args.db, args.run_name, force=args.force)
        print(
            f"deleted run {args.run_name}: {counts['results']} results, {counts['calls']} "
            f"ledger entries, {counts['threads']} checkpoint threads"
        )
        return 0
    if args.command == "explore":
        from pat_graph.reporting.explore import write_site

        index, seconds = await write_site(args.db, args.out, args.runs)
        print(f"explorer written in {seconds:.1f}s; open {index}")
        return 0
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "policy", None):
        args.policy = canonical_policy(args.policy)
    try:
        code = _main(args)
        sys.stdout.flush()  # a pipe buffers: a reader that left shows up here, not at exit
        return code
    except BrokenPipeError:
        # Piped into `head`: the reader left. Exit quietly, as other Unix tools do, and keep
        # Python from complaining about the lost stdout at shutdown.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 0


def _main(args: argparse.Namespace) -> int:
    try:
        if args.command == "benchmarks":
            from pat_graph.benchmarks import list_benchmarks

            for name, description in list_benchmarks().items():
                print(f"{name:<16} {description}")
            return 0
        if args.command == "serve-local":
            from pat_graph.models.local import serve_local

            return serve_local(args.port)
        if args.command == "graph":
            return _cmd_graph(args)
        import asyncio

        return asyncio.run(_dispatch(args))
    except KeyboardInterrupt:
        if args.command == "run":
            print(
                f"\ninterrupted: finished problems are saved and in-flight ones resume from "
                f"their last checkpoint; run the same command again to continue "
                f"(--run {args.run_name} --db {args.db})",
                file=sys.stderr,
            )
        else:
            print("\ninterrupted", file=sys.stderr)
        return 130
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise
    except Exception as exc:
        import sqlite3

        if isinstance(exc, sqlite3.Error):
            from pat_graph.runs.store import db_error_message

            print(f"error: {db_error_message(exc, getattr(args, 'db', '?'))}", file=sys.stderr)
            return 2
        if os.environ.get("PAT_GRAPH_DEBUG"):
            raise
        # Never a traceback: one line, and how to get the details.
        print(
            f"error: {type(exc).__name__}: {exc} (unexpected; set PAT_GRAPH_DEBUG=1 for the "
            "traceback and please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
