"""The `pat-graph` argument parser: every command, flag and its help."""

from __future__ import annotations

import argparse

from pat_graph.graph.budgets import POLICIES, POLICY_ALIASES, PROFILE_NAMES

DEFAULT_DB = "runs.sqlite"
POLICY_CHOICES = (*POLICIES, *POLICY_ALIASES)  # `funcoder` is `pbt`; runs record the canonical name
DESCRIPTION = (
    "run, report, export, evaluate, graph, benchmarks, serve-local, prune, delete, explore."
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pat-graph", description=DESCRIPTION)
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
    _reproduction_flags(run, ev, wk)
    return p


def _reproduction_flags(
    run: argparse.ArgumentParser, ev: argparse.ArgumentParser, wk: argparse.ArgumentParser
) -> None:
    """Issue 20 (docs/reproduce.md): the user's copy of a benchmark pat-graph does not ship, and
    the PaT authors' own prompt text."""
    data_help = "folder with the user's copy of the benchmark's files (xcodeeval)"
    for sub in (run, ev, wk):
        sub.add_argument("--data", metavar="DIR", help=data_help)
    run.add_argument(
        "--prompts-from", metavar="DIR",
        help="a local checkout of the PaT (or FunCoder) repository: its prompt modules are "
        "parsed, never run, and their text is used verbatim (docs/fidelity.md)",
    )  # fmt: skip

