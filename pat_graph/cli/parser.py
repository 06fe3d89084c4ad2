"""The `pat-graph` argument parser: every command, flag and its help."""

from __future__ import annotations

import argparse

from pat_graph.graph.budgets import POLICIES, POLICY_ALIASES, PROFILE_NAMES
from pat_graph.version import __version__

DEFAULT_DB = "runs.sqlite"
POLICY_CHOICES = (*POLICIES, *POLICY_ALIASES)  # `funcoder` is `pbt`; runs record the canonical name
DESCRIPTION = (
    "Planning-after-Trial code generation: run policies over benchmarks, report cost and Pass@1."
)
CONFIG_HELP = "config file (default: $PAT_GRAPH_CONFIG, ./pat.toml, ~/.config/pat-graph/pat.toml)"
SANDBOXES = ("auto", "bwrap", "process")
SANDBOX_HELP = "where candidate code runs: bwrap (isolated), process, or auto (bwrap if usable)"
NO_PROGRESS_HELP = "no progress bar or progress lines"
DB_HELP = f"the run database: an SQLite file or a postgresql:// URL (default: {DEFAULT_DB})"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pat-graph",
        usage="pat-graph [-h] [--version] COMMAND ...",
        description=DESCRIPTION,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    # issue 22 item 13: --version
    p.add_argument("--version", action="version", version=f"pat-graph {__version__}",
                   help="print the version and exit")  # fmt: skip
    # The commands are listed in the description (describe_commands), not a second time here.
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", help=argparse.SUPPRESS)

    run = sub.add_parser("run", help="run a policy over a benchmark (resumable)")
    run.add_argument("--benchmark", required=True, help="built-in name or a .jsonl file")
    run.add_argument("--limit", type=int, help="only the first N problems")
    run.add_argument("--task", action="append", default=[], help="only this task id (repeatable)")
    run.add_argument(
        "--policy", default="pat", choices=POLICY_CHOICES, help="the policy (default: pat)"
    )
    run.add_argument("--generator", required=True, help="model name from the config, or 'local'")
    run.add_argument("--planner", help="model name for planning (default: the generator)")
    run.add_argument("--run", required=True, dest="run_name", help="run name; reuse it to resume")
    run.add_argument("--db", default=DEFAULT_DB, help=DB_HELP)
    run.add_argument("--concurrency", type=int, default=1, help="problems solved at once")
    run.add_argument("--max-concurrency", type=int, default=8, help="graph tasks at once")
    run.add_argument("--config", help=CONFIG_HELP)
    run.add_argument("--seed", type=int, help="sampling seed (a per-request seed is derived)")
    # issue 14 (docs/research.md)
    run.add_argument("--seeds", help="one run per seed: --seeds 0,1,2 makes RUN-seed0, ...")
    run.add_argument("--replay", metavar="DB_OR_RUN", help="answer recorded requests from this run")
    run.add_argument("--pair-with", metavar="RUN", help="share identical requests' samples")
    run.add_argument("--max-cost-usd", type=float, help="start no problem once this is spent")
    run.add_argument(
        "--budget", action="append", default=[], metavar="KEY=VALUE",
        help="one policy knob, e.g. n_samples=3 (repeatable; docs/usage.md)",
    )  # fmt: skip
    run.add_argument(
        "--profile",
        choices=PROFILE_NAMES,
        help="paper (default: the PaT authors' released code) or strict (pat-graph's variant); "
        "--budget KEY=VALUE overrides single knobs on top (docs/fidelity.md)",
    )
    run.add_argument("--sandbox", default="auto", choices=SANDBOXES, help=SANDBOX_HELP)
    run.add_argument("--prune", action="store_true", help="drop finished problems' checkpoints")
    run.add_argument("--verbose", action="store_true", help="print graph nodes as they finish")
    run.add_argument("--no-progress", action="store_true", help=NO_PROGRESS_HELP)
    run.add_argument(
        "--log-json", metavar="FILE",
        help="append one JSON line per finished request and problem ('-': stdout; "
        "docs/usage.md#event-log)",
    )  # fmt: skip
    run.add_argument(
        "--workers", type=int, default=1,
        help="worker processes on this machine, each with --concurrency (docs/scale-out.md)",
    )  # fmt: skip
    # issue 22 item 13: the final summary as JSON, and an estimate instead of a run
    run.add_argument(
        "--json",
        action="store_true",
        help="print the final summary as JSON on stdout (report --json's keys)",
    )
    run.add_argument("--dry-run", action="store_true",
                     help="estimate requests and cost from the budgets (and from a recorded "
                     "run in --db); calls no model and creates nothing")  # fmt: skip

    rep = sub.add_parser("report", help="numbers per run")
    rep.add_argument("--db", default=DEFAULT_DB, help=DB_HELP)
    rep.add_argument("--run", action="append", dest="runs", help="run name (repeatable)")
    rep.add_argument("--json", action="store_true", help="print a JSON list, one object per run")
    rep.add_argument("--plot", metavar="FILE.png", help="draw Pass@1 against cost per problem")
    rep.add_argument("--baseline", metavar="RUN", help="report cost relative to this run")
    rep.add_argument(
        "--compare", nargs=2, metavar=("RUN_A", "RUN_B"),
        help="paired Pass@1 difference with a 95%% CI, McNemar p, cost ratio",
    )  # fmt: skip
    rep.add_argument("--force", action="store_true", help="overwrite --plot FILE even if foreign")
    rep.add_argument(
        "--k", metavar="K[,K...]",
        help="pass@k of --seeds groups (each seed one sample per task), e.g. 1,3",
    )  # fmt: skip

    exp = sub.add_parser("export", help="write EvalPlus samples of a run")
    exp.add_argument("--run", required=True, dest="run_name", help="the run to export")
    exp.add_argument("--db", default=DEFAULT_DB, help=DB_HELP)
    exp.add_argument("--out", required=True, help="the samples file to write (JSON Lines)")
    exp.add_argument("--force", action="store_true", help="overwrite --out even if foreign")

    ev = sub.add_parser("evaluate", help="judge a samples file on a benchmark")
    ev.add_argument("--benchmark", required=True, help="built-in name or a .jsonl file")
    ev.add_argument(
        "--samples",
        required=True,
        help="JSON Lines of {task_id, solution} or {task_id, completion}",
    )
    ev.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    ev.add_argument("--concurrency", type=int, default=2, help="programs judged at once")
    ev.add_argument(
        "--only-sampled", action="store_true",
        help="score only the tasks the samples name (else a missing task counts as failed)",
    )  # fmt: skip
    ev.add_argument(
        "--k", metavar="K[,K...]",
        help="pass@k to report, e.g. 1,10 (needs k samples per task; default 1,10,100 where "
        "there are enough)",
    )  # fmt: skip
    ev.add_argument(
        "--results", metavar="FILE.json",
        help="also write EvalPlus's eval_results.json layout (every sample's verdict, pass@k)",
    )  # fmt: skip
    ev.add_argument("--force", action="store_true", help="overwrite --results even if foreign")

    gr = sub.add_parser("graph", help="draw a policy's graph")
    gr.add_argument("--policy", default="pat", choices=POLICY_CHOICES, help="the policy to draw")
    gr.add_argument(
        "--format",
        default="mermaid",
        choices=("mermaid", "ascii", "png"),
        help="mermaid text (default), ascii art, or a png (needs --out)",
    )
    gr.add_argument("--out", help="write to this file instead of stdout")  # fmt: skip
    gr.add_argument("--force", action="store_true", help="overwrite --out even if foreign")

    sub.add_parser("benchmarks", help="list built-in benchmarks")

    sl = sub.add_parser("serve-local", help="serve the embedded model (OpenAI-compatible)")
    sl.add_argument("--port", type=int, help="the port to listen on (default: a free one)")

    pr = sub.add_parser("prune", help="delete finished problems' checkpoints, keep results")
    pr.add_argument("--run", required=True, dest="run_name", help="the run to prune")
    pr.add_argument("--db", default=DEFAULT_DB, help=DB_HELP)

    wk = sub.add_parser("worker", help="join a run from any machine (docs/scale-out.md)")
    wk.add_argument("--db", required=True, help="the run's database: a file or postgresql:// URL")
    wk.add_argument("--run", required=True, dest="run_name", help="the run to join")
    wk.add_argument("--config", help="this machine's config: endpoints and keys; " + CONFIG_HELP)
    wk.add_argument("--concurrency", type=int, default=8, help="problems solved at once")
    wk.add_argument("--max-concurrency", type=int, default=8, help="graph tasks at once")
    wk.add_argument("--sandbox", default="auto", choices=SANDBOXES, help=SANDBOX_HELP)
    wk.add_argument("--verbose", action="store_true", help="print graph nodes as they finish")
    wk.add_argument("--no-progress", action="store_true", help=NO_PROGRESS_HELP)

    de = sub.add_parser("delete", help="delete a run: settings, results, checkpoints, ledger")
    de.add_argument("--run", required=True, dest="run_name", help="the run to delete")
    de.add_argument("--db", default=DEFAULT_DB, help=DB_HELP)
    de.add_argument("--force", action="store_true", help="also when it has finished results")

    xp = sub.add_parser("explore", help="write a static HTML explorer of runs and solve trees")
    xp.add_argument("--db", default=DEFAULT_DB, help=DB_HELP)
    xp.add_argument("--run", action="append", dest="runs", help="run name (repeatable)")
    xp.add_argument("--out", metavar="DIR", help="the site's folder (required without --watch)")
    # issue 22: a folder holding files pat-graph did not write is refused without --force
    xp.add_argument("--force", action="store_true", help="write into --out DIR even if foreign")
    xp.add_argument(
        "--watch", action="store_true",
        help="serve the explorer on 127.0.0.1 and rewrite it as results land (Ctrl-C stops)",
    )  # fmt: skip
    xp.add_argument("--port", type=int, default=0, help="--watch's port (default: a free one)")
    xp.add_argument(
        "--interval", type=float, default=1.0, help="--watch: seconds between database polls"
    )

    # issue 22 item 13: shell completion, generated from this parser (cli/completion.py)
    co = sub.add_parser("completion", help="print a shell completion script: bash or zsh")
    co.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete in")

    _reproduction_flags(run, ev, wk)
    p.description = describe_commands(p.description or "", sub)
    return p


def describe_commands(text: str, sub: argparse._SubParsersAction) -> str:
    """The top-level description with every command and its help, read from the subparsers,
    so a new command can never be left out of it."""
    helps = {a.dest: a.help or "" for a in sub._choices_actions}
    width = max(map(len, sub.choices))
    lines = [f"  {name:<{width}}  {helps.get(name, '')}" for name in sub.choices]
    return (
        f"{text}\n\ncommands:\n"
        + "\n".join(lines)
        + "\n\n`pat-graph COMMAND --help` shows a command's flags."
    )


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
