"""`pat-graph` entry point: parse, dispatch to a command, turn errors into one line and an
exit code.

Every configuration mistake is found before the first LLM call and reported as one line that
says what to fix (exit 2); work already recorded in the database is never touched by such errors.
No error path prints a traceback or leaves the process hanging (see tests/unit/test_cli_errors.py).
"""

from __future__ import annotations

# Only what `--help` needs is imported here: everything else is imported by the command that
# uses it, so start-up stays fast (benchmarks/startup.py).
import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence

from pat_graph.cli.parser import _parser
from pat_graph.errors import ConfigError, PatError
from pat_graph.graph.budgets import canonical_policy


async def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        from pat_graph.cli.run import _cmd_run

        return await _cmd_run(args)
    if args.command == "report":
        from pat_graph.cli.results import _cmd_report

        return await _cmd_report(args)
    if args.command == "export":
        from pat_graph.reporting.report import export_samples

        n = await export_samples(args.db, args.run_name, args.out, force=args.force)
        print(f"wrote {n} samples to {args.out}", file=sys.stderr)
        return 0
    if args.command == "evaluate":
        from pat_graph.cli.results import _cmd_evaluate

        return await _cmd_evaluate(args)
    if args.command == "prune":
        from pat_graph.reporting.report import load_summaries
        from pat_graph.runs.housekeeping import prune_run

        await load_summaries(args.db, [args.run_name])  # same messages for a bad db or run
        n = await prune_run(args.db, args.run_name)
        print(f"pruned the checkpoints of {n} finished problems of {args.run_name}")
        return 0
    if args.command == "worker":
        from pat_graph.runs.workers import cmd_worker

        return await cmd_worker(args)
    if args.command == "delete":
        from pat_graph.runs.housekeeping import delete_run

        counts = await delete_run(args.db, args.run_name, force=args.force)
        print(
            f"deleted run {args.run_name}: {counts['results']} results, {counts['calls']} "
            f"ledger entries, {counts['threads']} checkpoint threads"
        )
        return 0
    if args.command == "explore":
        from pat_graph.reporting.explore import write_site

        if args.watch:  # issue 22: the live view
            from pat_graph.reporting.explore.watch import watch

            return await watch(args.db, args.runs, args.out, port=args.port,
                               interval=args.interval, announce=_announce,
                               force=args.force)  # fmt: skip
        if not args.out:
            raise ConfigError("explore needs --out DIR (the site's folder), or --watch")
        index, seconds = await write_site(args.db, args.out, args.runs, force=args.force)
        print(f"explorer written in {seconds:.1f}s; open {index}")
        return 0
    raise AssertionError(args.command)


def _announce(line: str) -> None:
    print(line, flush=True)  # a script waiting for the address reads it at once


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


def _stopped(args: argparse.Namespace, exc: KeyboardInterrupt) -> int:
    """One line on how the work was left, and 128 + the signal (130 Ctrl-C, 143 SIGTERM)."""
    from pat_graph.runs.workers import SPAWNED_ENV

    signum = getattr(exc, "signum", signal.SIGINT)
    word = "interrupted" if signum == signal.SIGINT else f"stopped ({signal.Signals(signum).name})"
    if os.environ.get(SPAWNED_ENV):  # a worker of `run --workers N`: the run says it once
        return 128 + signum
    if args.command in ("run", "worker"):
        print(
            f"\n{word}: finished problems are saved and in-flight ones resume from their last "
            f"checkpoint; run the same command again to continue (--run {args.run_name} --db "
            f"{args.db})",
            file=sys.stderr,
        )
    else:
        print(f"\n{word}", file=sys.stderr)
    return 128 + signum


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
            from pat_graph.cli.results import _cmd_graph

            return _cmd_graph(args)
        if args.command == "completion":  # issue 22 item 13
            from pat_graph.cli.completion import script

            print(script(_parser(), args.shell), end="")
            return 0
        from pat_graph.processes import run_stoppable

        return run_stoppable(_dispatch(args))
    except KeyboardInterrupt as exc:  # Ctrl-C, or processes.Stopped: SIGINT / SIGTERM
        return _stopped(args, exc)
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
