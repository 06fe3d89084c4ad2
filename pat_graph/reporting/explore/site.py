"""`pat-graph explore`: write the static site (no server, no network, opens from disk)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from pat_graph.errors import ConfigError
from pat_graph.files.outputs import check_output_dir, write_atomic
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


SITE_MARKER = ".pat-graph-site"  # in every folder `explore` wrote: the next run may replace it


def looks_like_site(folder: Path) -> bool:
    """A site written before the marker existed: only our entries, our runs page at the top."""
    names = {p.name for p in folder.iterdir()}
    index = folder / "index.html"
    if not names <= {"index.html", ASSETS, "run"} or not index.is_file():
        return False
    with index.open("rb") as fh:
        return b"pat-graph explorer" in fh.read(4096)


def write_pages(runs: Sequence[RunData], out: Path, source: str) -> Path:
    """Every page of `runs` under `out` (checked by `write_site`); returns the runs page to open.
    Every file goes through `write_atomic`: umask modes, nothing but regular files replaced."""
    assets = out / ASSETS
    assets.mkdir(exist_ok=True)
    for f in ASSET_DIR.iterdir():
        if f.suffix in (".js", ".css"):
            write_atomic(assets / f.name, f.read_bytes())
    slugs = _run_slugs(runs)
    for r in runs:
        folder = out / "run" / slugs[r.name]
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / "index.html", run_page(r))
        for p in r.problems:
            write_atomic(folder / problem_file(p), problem_page(r, p))
    index = out / "index.html"
    write_atomic(index, runs_page(runs, slugs, source))
    return index


async def write_site(
    db_path: str | Path, out: str | Path, runs: Sequence[str] | None = None, *, force: bool = False
) -> tuple[Path, float]:
    """Read `runs` (all when empty) from the database and write the site into `out`: a new or
    empty folder, or one `explore` wrote before; any other folder only with `force`.

    Returns the runs page and the seconds it took."""
    started = time.perf_counter()
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {folder} is a file; pass a folder for the site")
    from pat_graph.runs.pgstore import redact

    data = await load_runs(db_path, runs)
    check_output_dir(folder, marker=SITE_MARKER, ours=looks_like_site, force=force)
    try:
        index = write_pages(data, folder, redact(str(db_path)))  # a URL's password stays out
    except OSError as exc:
        raise ConfigError(f"--out {folder}: cannot write the site ({exc})") from exc
    return index, time.perf_counter() - started
