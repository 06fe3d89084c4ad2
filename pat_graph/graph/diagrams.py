"""Offline diagrams of each policy's graph: Mermaid, ASCII and PNG, never through a web service.

Drawing needs the graph's shape only, so the graphs are built with scripted stand-in models; the
routers are typed with `Literal[...]`, which is what lets LangGraph draw exactly the real edges.
PNG goes through Graphviz's `dot` on this machine (LangGraph's own PNG helper calls a web API).

`docs/architecture.md` embeds the Mermaid text between marker comments; `update_docs()` rewrites
those blocks and `python -m pat_graph.graph.diagrams --check` tells whether they are stale.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from langchain_core.runnables.graph import Graph

from pat_graph.errors import ConfigError, PatError
from pat_graph.graph.budgets import POLICIES, canonical_policy
from pat_graph.graph.policies import build_graph
from pat_graph.graph.scripted import ScriptedChatModel

FORMATS = ("mermaid", "ascii", "png")
DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
_DOT_TIMEOUT_S = 30.0


class DiagramError(PatError):
    """A local renderer (Graphviz) is missing or failed."""


def drawable(policy: str) -> Graph:
    """The drawable graph of `policy`, built with stand-in models (no model is ever called)."""
    stand_in = ScriptedChatModel(respond=lambda purpose, messages: "")
    return build_graph(policy, generator=stand_in, planner=stand_in).compile().get_graph()


def mermaid(policy: str) -> str:
    return drawable(policy).draw_mermaid(with_styles=False)


def ascii_art(policy: str) -> str:
    """LangGraph's box drawing needs `grandalf`; without it, a plain edge list says the same."""
    graph = drawable(policy)
    try:
        import grandalf  # noqa: F401
    except ImportError:
        return edge_list(graph)
    return graph.draw_ascii()


def edge_list(graph: Graph) -> str:
    lines = []
    for edge in graph.edges:
        arrow = "-.->" if edge.conditional else "--->"
        lines.append(f"{edge.source} {arrow} {edge.target}")
    return "\n".join(lines) + "\n"


def dot_source(graph: Graph, title: str = "") -> str:
    """Graphviz DOT with the same convention as Mermaid: dashed edges are conditional."""
    lines = [
        "digraph pat_graph {",
        '  graph [rankdir=TB, fontname="Helvetica", labelloc=t, label="' + title + '"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f2f0ff", fontname="Helvetica"];',
    ]
    for node_id in graph.nodes:
        shape = "oval" if node_id in ("__start__", "__end__") else "box"
        label = node_id.strip("_")
        lines.append(f'  "{node_id}" [label="{label}", shape={shape}];')
    for edge in graph.edges:
        style = " [style=dashed]" if edge.conditional else ""
        lines.append(f'  "{edge.source}" -> "{edge.target}"{style};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def png(policy: str) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        raise DiagramError(
            "Graphviz `dot` is not installed; install it (Debian: apt-get install graphviz) "
            "or use --format mermaid / ascii"
        )
    source = dot_source(drawable(policy), title=f"policy: {policy}")
    try:
        done = subprocess.run(
            [dot, "-Tpng"],
            input=source.encode(),
            capture_output=True,
            timeout=_DOT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DiagramError(f"Graphviz `dot` did not finish within {_DOT_TIMEOUT_S:.0f}s") from exc
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        raise DiagramError(f"Graphviz `dot` failed: {done.stderr.decode(errors='replace')[:500]}")
    return done.stdout


def render(policy: str, fmt: str) -> str | bytes:
    """The entry point `pat-graph graph` uses: text for mermaid/ascii, PNG bytes for png."""
    policy = canonical_policy(policy)
    if policy not in POLICIES:
        raise ConfigError(f"unknown policy {policy!r}; choose one of: {', '.join(POLICIES)}")
    if fmt == "mermaid":
        return mermaid(policy)
    if fmt == "ascii":
        return ascii_art(policy)
    if fmt == "png":
        return png(policy)
    raise ConfigError(f"unknown diagram format {fmt!r}; choose one of: {', '.join(FORMATS)}")


# ----- the diagrams embedded in docs/architecture.md ---------------------------------------


def _markers(policy: str) -> tuple[str, str]:
    return f"<!-- diagram:{policy}:start -->", f"<!-- diagram:{policy}:end -->"


def docs_block(policy: str) -> str:
    start, end = _markers(policy)
    return f"{start}\n```mermaid\n{mermaid(policy).rstrip()}\n```\n{end}"


def refresh_text(text: str) -> str:
    """`text` with every policy's marked block replaced by the current diagram.

    A document missing a policy's markers is an error rather than silently left alone, so a
    deleted block cannot make the freshness check pass.
    """
    for policy in POLICIES:
        start, end = _markers(policy)
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
        if not pattern.search(text):
            raise ConfigError(f"the document has no {start} ... {end} block for {policy!r}")
        text = pattern.sub(lambda _m, p=policy: docs_block(p), text, count=1)
    return text


def update_docs(path: Path = DOCS_PATH, *, check: bool = False) -> bool:
    """Rewrite the diagram blocks in `path`; with `check`, only report. True when up to date."""
    current = path.read_text(encoding="utf-8")
    fresh = refresh_text(current)
    if fresh == current:
        return True
    if not check:
        path.write_text(fresh, encoding="utf-8")
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pat_graph.graph.diagrams",
        description="Regenerate (or --check) the Mermaid diagrams in docs/architecture.md.",
    )
    parser.add_argument("--docs", type=Path, default=DOCS_PATH)
    parser.add_argument("--check", action="store_true", help="exit 1 if the docs are stale")
    args = parser.parse_args(argv)
    fresh = update_docs(args.docs, check=args.check)
    if args.check and not fresh:
        print(
            f"{args.docs}: diagrams are stale; run python -m pat_graph.graph.diagrams",
            file=sys.stderr,
        )
        return 1
    print(f"{args.docs}: diagrams {'up to date' if fresh else 'updated'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
