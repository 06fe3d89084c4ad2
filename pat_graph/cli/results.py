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
    benchmark = _load_benchmark(args.benchmark, getattr(args, "data", None))
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

