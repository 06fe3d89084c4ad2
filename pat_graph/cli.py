"""`pat-graph`: run, report, export, evaluate, graph, benchmarks, serve-local, prune, explore.

Every configuration mistake is found before the first LLM call and reported as one line that
says what to fix (exit 2); work already recorded in the database is never touched by such errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from pat_graph.budgets import POLICIES, POLICY_ALIASES, PROFILE_NAMES, canonical_policy
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
    run.add_argument("--seed", type=int)
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

    rep = sub.add_parser("report", help="numbers per run")
    rep.add_argument("--db", default=DEFAULT_DB)
    rep.add_argument("--run", action="append", dest="runs", help="run name (repeatable)")
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--plot", metavar="FILE.png")
    rep.add_argument("--baseline", metavar="RUN", help="report cost relative to this run")

    exp = sub.add_parser("export", help="write EvalPlus samples of a run")
    exp.add_argument("--run", required=True, dest="run_name")
    exp.add_argument("--db", default=DEFAULT_DB)
    exp.add_argument("--out", required=True)

    ev = sub.add_parser("evaluate", help="judge a samples file on a benchmark")
    ev.add_argument("--benchmark", required=True)
    ev.add_argument("--samples", required=True)
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--concurrency", type=int, default=2)

    gr = sub.add_parser("graph", help="draw a policy's graph")
    gr.add_argument("--policy", default="pat", choices=POLICY_CHOICES)
    gr.add_argument("--format", default="mermaid", choices=("mermaid", "ascii", "png"))
    gr.add_argument("--out")

    sub.add_parser("benchmarks", help="list built-in benchmarks")

    sl = sub.add_parser("serve-local", help="serve the embedded model (OpenAI-compatible)")
    sl.add_argument("--port", type=int)

    pr = sub.add_parser("prune", help="delete finished problems' checkpoints, keep results")
    pr.add_argument("--run", required=True, dest="run_name")
    pr.add_argument("--db", default=DEFAULT_DB)

    xp = sub.add_parser("explore", help="write a static HTML explorer of runs and solve trees")
    xp.add_argument("--db", default=DEFAULT_DB)
    xp.add_argument("--run", action="append", dest="runs", help="run name (repeatable)")
    xp.add_argument("--out", required=True, metavar="DIR")
    return p


def _with_profile(budgets: dict[str, Any], profile: str | None) -> dict[str, Any]:
    """`--profile` as the `profile` knob, so it is recorded with the run's other knobs."""
    if profile and budgets.setdefault("profile", profile) != profile:
        raise ConfigError(f"--profile {profile} and --budget profile={budgets['profile']} disagree")
    return budgets


def _budgets(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--budget {pair!r}: write KEY=VALUE, e.g. --budget n_samples=3")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def _probe(spec: Any) -> None:
    """Fail fast on a server that is down, rather than erroring every problem after retries."""
    url = f"{spec.base_url}/models"
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_S):
            pass
    except urllib.error.HTTPError:
        return  # it answered; auth or routing problems surface per call with the server's text
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConfigError(
            f"model {spec.name!r}: cannot reach {spec.base_url} ({reason}); start the server "
            f"or fix base_url in [models.{spec.name}] of your config"
        ) from exc


def _with_seed(chat: Any, seed: int | None) -> Any:
    fields = getattr(type(chat), "model_fields", {})
    if seed is None or "seed" not in fields:
        return chat
    return chat.model_copy(update={"seed": seed})


async def _cmd_run(args: argparse.Namespace) -> int:
    from pat_graph.benchmarks import load_benchmark
    from pat_graph.llm import RoleModel
    from pat_graph.models import load_config, make_chat_model
    from pat_graph.runner import run_benchmark
    from pat_graph.sandbox import get_sandbox

    if args.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    benchmark = load_benchmark(args.benchmark)
    tasks = list(benchmark.tasks)
    if args.task:
        by_id = benchmark.by_id()
        unknown = [t for t in args.task if t not in by_id]
        if unknown:
            raise ConfigError(f"unknown task id(s) in {benchmark.name}: {', '.join(unknown)}")
        tasks = [by_id[t] for t in args.task]
    if args.limit is not None:
        tasks = tasks[: max(0, args.limit)]
    specs = load_config(args.config)
    roles = {"generator": args.generator, "planner": args.planner}
    chosen = {}
    for role, name in roles.items():
        if name is None:
            continue
        if name not in specs:
            known = ", ".join(sorted(specs))
            raise ConfigError(
                f"unknown model {name!r} for --{role}; known models: {known}. "
                f"Define it as [models.{name}] in pat.toml (or pass --config)"
            )
        chosen[role] = specs[name]
    from pat_graph.models import resolve_api_key

    for spec in chosen.values():
        if not spec.is_local:
            resolve_api_key(spec)
    for spec in {s.name: s for s in chosen.values() if not s.is_local}.values():
        await asyncio.to_thread(_probe, spec)
    sandbox = get_sandbox(args.sandbox)

    async with contextlib.AsyncExitStack() as stack:
        local_url = None
        if any(s.is_local for s in chosen.values()):
            from pat_graph.local_model import LocalServer

            server = await stack.enter_async_context(LocalServer())
            local_url = server.base_url

        def role_model(spec: Any) -> RoleModel:
            chat = make_chat_model(spec, base_url_override=local_url if spec.is_local else None)
            return RoleModel(_with_seed(chat, args.seed), spec.name, spec.input_price,
                             spec.output_price)  # fmt: skip

        gen = role_model(chosen["generator"])
        plan = role_model(chosen["planner"]) if "planner" in chosen else None
        outcome = await run_benchmark(
            run=args.run_name,
            benchmark=benchmark,
            tasks=tasks,
            policy=args.policy,
            generator=gen,
            planner=plan,
            generator_spec=chosen["generator"],
            planner_spec=chosen.get("planner"),
            budgets=_with_profile(_budgets(args.budget), args.profile),
            db_path=args.db,
            concurrency=args.concurrency,
            max_concurrency=args.max_concurrency,
            seed=args.seed,
            sandbox=sandbox,
            judge_sandbox=sandbox,
            progress=not args.no_progress,
            prune=args.prune,
            verbose=args.verbose,
        )
    print(
        f"run {outcome.run}: {outcome.skipped + outcome.done}/{outcome.total} done "
        f"({outcome.done} now, {outcome.skipped} earlier), {outcome.errored} errored",
        file=sys.stderr,
    )
    for task_id, message in outcome.errors.items():
        print(f"  errored {task_id}: {message.splitlines()[0][:200]}", file=sys.stderr)
    if outcome.errored:
        print("re-run the same command to retry the errored problems", file=sys.stderr)
        return 1
    return 0


async def _cmd_report(args: argparse.Namespace) -> int:
    from pat_graph.report import format_table, load_summaries

    summaries = await load_summaries(args.db, args.runs, args.baseline)
    if args.json:
        print(json.dumps(summaries, indent=2))
    else:
        print(format_table(summaries) or "no runs")
    if args.plot:
        from pat_graph.plot import plot_runs

        path = plot_runs(summaries, args.plot)
        print(f"plot written to {path}", file=sys.stderr)
    return 0


async def _cmd_evaluate(args: argparse.Namespace) -> int:
    from pat_graph.benchmarks import load_benchmark
    from pat_graph.evaluate import evaluate_samples, load_samples

    benchmark = load_benchmark(args.benchmark)
    result: Any = evaluate_samples(
        benchmark, load_samples(args.samples), concurrency=max(1, args.concurrency)
    )
    if inspect.isawaitable(result):
        result = await result
    data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
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
    from pat_graph.diagrams import render  # owned by the diagrams engineer

    out = render(args.policy, args.format)
    if args.out:
        mode = "wb" if isinstance(out, bytes) else "w"
        with open(args.out, mode) as fh:
            fh.write(out)
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
        from pat_graph.report import export_samples

        n = await export_samples(args.db, args.run_name, args.out)
        print(f"wrote {n} samples to {args.out}", file=sys.stderr)
        return 0
    if args.command == "evaluate":
        return await _cmd_evaluate(args)
    if args.command == "prune":
        from pat_graph.report import load_summaries
        from pat_graph.runner import prune_run

        await load_summaries(args.db, [args.run_name])  # same messages for a bad db or run
        n = await prune_run(args.db, args.run_name)
        print(f"pruned the checkpoints of {n} finished problems of {args.run_name}")
        return 0
    if args.command == "explore":
        from pat_graph.explore import write_site

        index, seconds = await write_site(args.db, args.out, args.runs)
        print(f"explorer written in {seconds:.1f}s; open {index}")
        return 0
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "policy", None):
        args.policy = canonical_policy(args.policy)
    try:
        if args.command == "benchmarks":
            from pat_graph.benchmarks import list_benchmarks

            for name, description in list_benchmarks().items():
                print(f"{name:<16} {description}")
            return 0
        if args.command == "serve-local":
            from pat_graph.local_model import serve_local

            return serve_local(args.port)
        if args.command == "graph":
            return _cmd_graph(args)
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


if __name__ == "__main__":
    sys.exit(main())
