"""`pat-graph explore`: write the static site (no server, no network, opens from disk)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from pat_graph.errors import ConfigError
from pat_graph.reporting.explore.data import RunData, load_runs
from pat_graph.reporting.explore.problem_page import problem_page
from pat_graph.reporting.explore.render import ASSETS, slug
from pat_graph.reporting.explore.runs_page import problem_file, run_page, runs_page

ASSET_DIR = Path(__file__).resolve().parent / "assets"


def _run_slugs(runs: Sequence[RunData]) -> dict[str, str]:
    out: dict[str, str] = {}
    used: set[str] = set()
    for r in runs:
        base = candidate = slug(r.name)
        n = 1
        while candidate in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate)
        out[r.name] = candidate
    return out


def write_pages(runs: Sequence[RunData], out: Path, source: str) -> Path:
    """Every page of `runs` under `out`; returns the runs page to open."""
    out.mkdir(parents=True, exist_ok=True)
    assets = out / ASSETS
    assets.mkdir(exist_ok=True)
    for f in ASSET_DIR.iterdir():
        if f.suffix in (".js", ".css"):
            shutil.copyfile(f, assets / f.name)
    slugs = _run_slugs(runs)
    for r in runs:
        folder = out / "run" / slugs[r.name]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(run_page(r), encoding="utf-8")
        for p in r.problems:
            (folder / problem_file(p)).write_text(problem_page(r, p), encoding="utf-8")
    index = out / "index.html"
    index.write_text(runs_page(runs, slugs, source), encoding="utf-8")
    return index


async def write_site(
    db_path: str | Path, out: str | Path, runs: Sequence[str] | None = None
) -> tuple[Path, float]:
    """Read `runs` (all when empty) from the database and write the site into `out`.

    Returns the runs page and the seconds it took."""
    started = time.perf_counter()
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {folder} is a file; pass a folder for the site")
    from pat_graph.runs.pgstore import redact

    data = await load_runs(db_path, runs)
    try:
        index = write_pages(data, folder, redact(str(db_path)))  # a URL's password stays out
    except OSError as exc:
        raise ConfigError(f"--out {folder}: cannot write the site ({exc})") from exc
    return index, time.perf_counter() - started
