"""Setting up a run: the benchmark, a reachable model server, the seeded role models.

`pat-graph run` and a worker joining a run (`runs/workers.py`) build these alike, so both compute
the same thing.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from pat_graph.errors import ConfigError

PROBE_TIMEOUT_S = 3.0


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
            from pat_graph.models.config import key_source

            where = key_source(spec)
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


def unpriced_warnings(specs: Any, config: Any, max_cost_usd: float | None) -> list[str]:
    """A line per model a run uses that has no prices: its requests' cost is recorded as
    unknown, never $0 (models.cost). `--max-cost-usd` cannot be kept without them: an error."""
    lines = []
    for spec in {s.name: s for s in specs}.values():
        if spec.has_prices:
            continue
        fix = (
            f"add input_price and output_price (USD per 1M tokens; 0 for a free server) to "
            f"[models.{spec.name}] ({config.describe()})"
        )
        if max_cost_usd is not None:
            raise ConfigError(
                f"--max-cost-usd needs prices, and model {spec.name!r} has none: {fix}"
            )
        lines.append(
            f"model {spec.name!r} has no prices, so this run's cost is unknown for its "
            f"requests (report counts them as cost_unknown_calls, never $0): {fix}"
        )
    return lines


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _with_seed(chat: Any, seed: int | None) -> Any:
    fields = getattr(type(chat), "model_fields", {})
    if seed is None or "seed" not in fields:
        return chat
    return chat.model_copy(update={"seed": seed})


# Where a local role points when its server is not started because nothing will be asked of
# it (port 9, discard): a request there fails at once instead of reaching anything.
NOT_SERVED = "http://127.0.0.1:9/v1"


async def nothing_to_solve(db: str, run: str, task_ids: list[str]) -> bool:
    """True when `run` in `db` has a finished result for every one of `task_ids`: the command
    repeated after a run ended (README: "run it again: finished problems are skipped") then asks
    no model anything and need not load the embedded one. False whenever unsure."""
    from pat_graph.runs.pgstore import is_postgres_url, open_run_store

    if not task_ids or (not is_postgres_url(db) and not Path(db).is_file()):
        return False
    try:
        async with open_run_store(db, readonly=True) as store:
            done = {r.task_id for r in await store.results(run) if r.status == "done"}
    except Exception:  # the run itself opens the database and says what is wrong with it
        return False
    return set(task_ids) <= done


async def _role_models(
    stack: contextlib.AsyncExitStack,
    chosen: dict[str, Any],
    seed: int | None,
    *,
    serve_local: bool = True,
) -> dict[str, Any]:
    """The seeded chat model of each chosen role, generator first, with the embedded model
    server started in `stack` when a role runs on it and `serve_local` (False when no request
    will be made: every problem is done, or workers solve them): `run` and a joining worker
    (workers.py) must build their models alike to compute the same thing."""
    from pat_graph.models.config import make_chat_model
    from pat_graph.models.roles import RoleModel

    local_url = NOT_SERVED
    if serve_local and any(s.is_local for s in chosen.values()):
        from pat_graph.models.local import LocalServer

        # Loading takes seconds to a minute: say so on stderr rather than look hung (issue 22).
        server = await stack.enter_async_context(LocalServer(progress=_to_stderr))
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


def _load_benchmark(name: str, data: str | None = None) -> Any:
    from pat_graph.benchmarks import list_benchmarks, load_benchmark

    if name not in list_benchmarks() and Path(name).is_dir():
        raise ConfigError(
            f"--benchmark {name} is a directory; pass a built-in name or a .jsonl file "
            "(one problem a line)"
        )
    return load_benchmark(name, data=data)
