"""Setting up a run: the benchmark, a reachable model server, the seeded role models.

`pat-graph run` and a worker joining a run (`runs/workers.py`) build these alike, so both compute
the same thing.
"""

from __future__ import annotations

import contextlib
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
    from pat_graph.models.config import make_chat_model
    from pat_graph.models.roles import RoleModel

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


def _load_benchmark(name: str, data: str | None = None) -> Any:
    from pat_graph.benchmarks import list_benchmarks, load_benchmark

    if name not in list_benchmarks() and Path(name).is_dir():
        raise ConfigError(
            f"--benchmark {name} is a directory; pass a built-in name or a .jsonl file "
            "(one problem a line)"
        )
    return load_benchmark(name, data=data)

