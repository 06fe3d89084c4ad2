"""Many workers on one run: `pat-graph worker` (join a run from any machine) and
`pat-graph run --workers N` (N worker processes on this machine, one progress display).

A worker reads the run's definition from the database (benchmark and its data hash, policy,
profile and budgets, models by name with their ids and prices, seed) and takes only endpoints and
keys from its own config, so each machine can talk to its own model server while every worker
computes the same thing. The sharing itself is the claims protocol (claims.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

from pat_graph.errors import ConfigError

# What must agree between the run's record and a worker's own config for a model: everything
# that changes the answers or the bill, but not where the server is (base_url) nor the key.
MODEL_FIELDS = ("model", "api", "input_price", "output_price", "max_tokens")
POLL_S = 0.5
STOP_GRACE_S = 30.0  # a stopped worker's in-flight problems save their checkpoints meanwhile
SPAWNED_ENV = "PAT_GRAPH_SPAWNED_WORKER"  # set for the workers of `run --workers N`


def model_differences(role: str, recorded: Mapping[str, Any], spec: Any) -> list[str]:
    """How a worker's [models.NAME] differs from what the run recorded for `role`."""
    out = []
    for key in MODEL_FIELDS:
        mine = getattr(spec, key, None)
        theirs = recorded.get(key)
        if mine != theirs:
            name = recorded.get("name")
            out.append(f"{role} {name!r}: {key} is {theirs!r} in the run, {mine!r} here")
    return out


def _spec_for(role: str, recorded: Mapping[str, Any], config: Any) -> Any:
    name = recorded.get("name")
    spec = config.specs.get(name)
    if spec is None:
        config.check_usable(name)  # its table has a ${NAME} that is not set on this machine
        known = ", ".join(sorted(config.specs)) or "none"
        raise ConfigError(
            f"this run's {role} is model {name!r}, which this machine's config does not define "
            f"(known: {known}); add [models.{name}] with model = {recorded.get('model')!r} and "
            f"this machine's base_url to pat.toml (or pass --config); {config.describe()}"
        )
    return spec


async def cmd_worker(args: argparse.Namespace) -> int:
    """`pat-graph worker --db URL --run NAME`: solve the run's unclaimed problems until none is
    left, alongside any other workers."""
    from pat_graph.models.config import read_config, resolve_api_key, with_max_tokens_floor
    from pat_graph.runs.pgstore import is_postgres_url, open_run_store, redact
    from pat_graph.runs.setup import _load_benchmark, _probe, _role_models
    from pat_graph.sandbox import get_sandbox

    for flag, value in (
        ("--concurrency", args.concurrency),
        ("--max-concurrency", args.max_concurrency),
    ):
        if value < 1:
            raise ConfigError(f"{flag} must be at least 1 (got {value})")
    if not is_postgres_url(args.db):
        from pat_graph.runs.store import check_db_path

        check_db_path(args.db, create=False)
    async with open_run_store(args.db) as store:
        record = await store.get_run(args.run_name)
        if record is None:
            known = ", ".join(r.name for r in await store.list_runs()) or "none"
            raise ConfigError(
                f"unknown run {args.run_name!r} in {redact(str(args.db))}; known: {known}. "
                "Start it with `pat-graph run ... --db` first"
            )
    try:
        benchmark = _load_benchmark(record.benchmark, getattr(args, "data", None))
    except ConfigError as exc:
        raise ConfigError(
            f"run {record.name!r} uses benchmark {record.benchmark!r}, which this machine cannot "
            f"load ({exc}); copy the file to the same path or run from its directory"
        ) from exc
    if benchmark.data_hash != record.data_hash:
        raise ConfigError(
            f"benchmark {record.benchmark!r} on this machine is not the run's data (hash "
            f"{benchmark.data_hash[:12]} here, {record.data_hash[:12]} in the run); use the "
            "same file or version"
        )
    config = read_config(args.config)
    roles = {"generator": record.generator}
    if record.planner is not None:
        roles["planner"] = record.planner
    floor = int(record.budgets.get("max_tokens_floor") or 0)  # as `run` applied it
    chosen = {
        role: with_max_tokens_floor(_spec_for(role, rec, config), floor)
        for role, rec in roles.items()
    }
    diffs = [d for role, rec in roles.items() for d in model_differences(role, rec, chosen[role])]
    if diffs:
        raise ConfigError(
            f"this worker's models differ from run {record.name!r}, so it would not compute the "
            f"same thing: {'; '.join(diffs)}. Make [models.*] in this machine's pat.toml match "
            "(only base_url and api_key_env may differ)"
        )
    for spec in {s.name: s for s in chosen.values() if not s.is_local}.values():
        await asyncio.to_thread(_probe, spec, resolve_api_key(spec))
    sandbox = get_sandbox(args.sandbox)
    # The solver (LangGraph, LangChain, the OpenAI client: about 2 s) is imported once every
    # check above has passed, so a worker pointed at the wrong database or run says so at once.
    from pat_graph.runs.runner import run_benchmark

    async with contextlib.AsyncExitStack() as stack:
        models = await _role_models(stack, chosen, record.seed)
        outcome = await run_benchmark(
            run=record.name,
            benchmark=benchmark,
            tasks=[],
            policy=record.policy,
            generator=models["generator"],
            planner=models.get("planner"),
            generator_spec=chosen["generator"],
            planner_spec=chosen.get("planner"),
            budgets=record.budgets,
            db_path=args.db,
            concurrency=args.concurrency,
            max_concurrency=args.max_concurrency,
            seed=record.seed,
            sandbox=sandbox,
            judge_sandbox=sandbox,
            progress=not args.no_progress,
            verbose=args.verbose,
            join=True,
        )
    print(
        f"worker {os.getpid()} on run {outcome.run}: {outcome.done} solved here, "
        f"{outcome.errored} errored here; the run has {outcome.total} problems",
        file=sys.stderr,
    )
    return 1 if outcome.errored else 0


async def stop_workers(procs: list[subprocess.Popen[bytes]], grace: float = STOP_GRACE_S) -> None:
    """SIGTERM every worker's process group: each cancels its problems in flight (their
    checkpoints stay), gives its leases back and exits; what is left after `grace` is killed."""
    for p in procs:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for p in procs:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def worker_command(args: argparse.Namespace) -> list[str]:
    """The `pat-graph worker` command line a `run --workers N` starts N times."""
    cmd = [sys.executable, "-m", "pat_graph.cli", "worker", "--db", str(args.db), "--run",
           args.run_name, "--concurrency", str(args.concurrency), "--max-concurrency",
           str(args.max_concurrency), "--sandbox", args.sandbox, "--no-progress"]  # fmt: skip
    if args.config:
        cmd += ["--config", str(args.config)]
    if getattr(args, "data", None):
        cmd += ["--data", str(args.data)]
    return cmd


async def spawn_and_watch(args: argparse.Namespace) -> int:
    """Start `args.workers` workers on the registered run and show one progress display, read
    from the database (so it also counts other machines' workers)."""
    from pat_graph.processes import die_with_parent
    from pat_graph.runs.claims import claims_of
    from pat_graph.runs.pgstore import open_run_store
    from pat_graph.runs.progress import Progress

    # Each in its own session (a terminal's Ctrl-C reaches the parent, which stops them in
    # order), SIGTERMed by the kernel should the parent die without doing so (SIGKILL).
    procs = [
        subprocess.Popen(
            die_with_parent(worker_command(args)),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, SPAWNED_ENV: "1"},
        )
        for _ in range(args.workers)
    ]
    started = time.time()
    bar: Progress | None = None
    try:
        async with open_run_store(args.db) as store:
            claims = claims_of(store)
            left = await claims.pending(args.run_name)
            total = left.free + left.held + left.done + left.errored
            rows = {r.task_id: r for r in await store.results(args.run_name)}
            done = [r for r in rows.values() if r.status == "done"]
            last_call = 0
            if not args.no_progress:
                bar = Progress(total, done=len(done), passed=sum(1 for r in done if r.base))
                bar.start()
            seen: set[str] = {t for t, r in rows.items() if r.status == "done"}
            after = started
            while True:
                running = any(p.poll() is None for p in procs)
                for call_id, entry in await claims.calls_since(args.run_name, last_call):
                    last_call = call_id
                    if bar:
                        bar.add_call(entry)
                for finished, task_id, status, base in await claims.results_since(
                    args.run_name, after
                ):
                    after = max(after, finished)
                    if task_id in seen:
                        continue
                    if status == "done":
                        seen.add(task_id)
                    if bar:
                        bar.update(ok=status == "done", passed=bool(base), task_id=task_id)
                if not running:
                    break
                await asyncio.sleep(POLL_S)
            final = await claims.pending(args.run_name)
    except BaseException:
        await stop_workers(procs)  # a stopped parent stops its workers; checkpoints are kept
        raise
    finally:
        if bar:
            bar.close()
    codes = [p.returncode for p in procs]
    print(
        f"run {args.run_name}: {final.done}/{total} done, {final.errored} errored, "
        f"{args.workers} workers (exit codes {', '.join(map(str, codes))})",
        file=sys.stderr,
    )
    if final.errored:
        print("re-run the same command to retry the errored problems", file=sys.stderr)
    if final.free or final.held:
        print(
            f"{final.free + final.held} problems are unfinished; re-run the same command",
            file=sys.stderr,
        )
        return 1
    return 1 if final.errored or any(codes) else 0
