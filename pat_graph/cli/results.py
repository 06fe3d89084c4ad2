"""`pat-graph report`, `evaluate` and `graph`: numbers, scores and drawings out of what exists."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pat_graph.errors import ConfigError
from pat_graph.runs.setup import _load_benchmark


async def _cmd_report(args: argparse.Namespace) -> int:
    from pat_graph.reporting.report import format_table, load_summaries

    if args.compare:  # issue 14: a paired comparison of two runs (or two --seeds groups)
        from pat_graph.reporting.research_report import compare, format_compare

        result = await compare(args.db, *args.compare)
        print(json.dumps(result, indent=2) if args.json else format_compare(result))
        return 0

    summaries = await load_summaries(args.db, args.runs, args.baseline, _ks(args.k))
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


def _ks(text: str | None) -> list[int] | None:
    """--k 1,10 (None when not given: the defaults)."""
    from pat_graph.benchmarks.passk import parse_ks

    try:
        return parse_ks(text) if text else None
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


async def _cmd_evaluate(args: argparse.Namespace) -> int:
    from pat_graph.benchmarks.evaluate import judge_samples, load_samples

    if args.concurrency < 1:
        raise ConfigError(f"--concurrency must be at least 1 (got {args.concurrency})")
    ks = _ks(args.k)
    target = None
    if args.results:  # refused before any judging: a refusal is the whole answer
        from pat_graph.benchmarks.evalplus_results import looks_like_results
        from pat_graph.files.outputs import check_output

        target = check_output(
            args.results, purpose="an EvalPlus results file", ours=looks_like_results,
            force=args.force, protect=[args.samples], option="--results",
        )  # fmt: skip
    benchmark = _load_benchmark(args.benchmark, getattr(args, "data", None))
    evaluation = await judge_samples(
        benchmark, load_samples(args.samples), concurrency=args.concurrency,
        only_sampled=args.only_sampled, ks=ks,
    )  # fmt: skip
    data = evaluation.to_dict()
    missing = data["missing_samples"]
    if missing:
        print(
            f"{len(missing)} of {data['problems']} tasks have no sample (counted as failures); "
            "--only-sampled scores only the sampled tasks",
            file=sys.stderr,
        )
    if target is not None:
        from pat_graph.benchmarks.evalplus_results import evalplus_results
        from pat_graph.files.outputs import write_atomic

        write_atomic(target, json.dumps(evalplus_results(evaluation), indent=1) + "\n")
        print(f"EvalPlus results written to {target}", file=sys.stderr)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(evaluate_text(data))
    return 0


def evaluate_text(data: dict[str, Any]) -> str:
    """One line: problems, pass@1 (plus), and pass@k beyond 1 when there were enough samples."""

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    scope = " sampled" if data.get("only_sampled") else ""
    text = (
        f"{data['benchmark']}: {data['problems']}{scope} problems, pass@1 "
        f"{pct(data['pass_at_1'])} (plus {pct(data['pass_at_1_plus'])})"
    )
    plus = data.get("pass_at_k_plus") or {}
    for k, value in (data.get("pass_at_k") or {}).items():
        if k != "1":
            text += f", pass@{k} {pct(value)} (plus {pct(plus.get(k))})"
    if data.get("samples", data["problems"]) != data["problems"]:
        text += f"; {data['samples']} samples"
    return text


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
