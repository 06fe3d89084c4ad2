"""Offline diagrams: every format renders, and docs/architecture.md embeds the current ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pat_graph.errors import ConfigError
from pat_graph.graph.budgets import POLICIES
from pat_graph.graph.diagrams import (
    DOCS_PATH,
    dot_source,
    drawable,
    edge_list,
    mermaid,
    refresh_text,
    render,
    update_docs,
)


def test_architecture_doc_embeds_the_current_diagrams() -> None:
    """Fails when a graph changed and `python -m pat_graph.graph.diagrams` was not run."""
    text = DOCS_PATH.read_text(encoding="utf-8")
    assert refresh_text(text) == text, "stale diagrams: run `python -m pat_graph.graph.diagrams`"
    for policy in POLICIES:
        assert mermaid(policy).strip() in text


def test_a_stale_block_is_detected_and_rewritten(tmp_path: Path) -> None:
    doc = tmp_path / "arch.md"
    stale = DOCS_PATH.read_text(encoding="utf-8").replace("verify -.-> plan;", "verify --> plan;")
    doc.write_text(stale, encoding="utf-8")
    assert update_docs(doc, check=True) is False
    assert doc.read_text(encoding="utf-8") == stale  # --check never writes
    assert update_docs(doc) is False  # rewrote it
    assert update_docs(doc, check=True) is True
    assert "verify -.-> plan;" in doc.read_text(encoding="utf-8")


def test_a_missing_block_is_an_error_not_a_pass() -> None:
    text = DOCS_PATH.read_text(encoding="utf-8").replace("<!-- diagram:pbt:start -->", "")
    with pytest.raises(ConfigError, match="pbt"):
        refresh_text(text)


def test_ascii_shows_every_node() -> None:
    art = render("pat", "ascii")
    assert isinstance(art, str)
    for node in ("generate", "build_tests", "verify", "plan", "implement_helper", "compose"):
        assert node in art


def test_edge_list_fallback_marks_conditional_edges() -> None:
    lines = edge_list(drawable("pat")).splitlines()
    assert "verify -.-> plan" in lines and "implement_helper ---> compose" in lines
    assert len(lines) == len(drawable("pat").edges)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("policy", ["pat", "standard"])
def test_png_is_rendered_locally(policy: str) -> None:
    image = render(policy, "png")
    assert isinstance(image, bytes) and image.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(image) > 1000


def test_dot_source_has_the_graph_edges_with_dashed_routers() -> None:
    dot = dot_source(drawable("pat"))
    assert '"verify" -> "plan" [style=dashed];' in dot
    assert '"implement_helper" -> "compose";' in dot
    assert '"__start__" -> "plan";' in dot_source(drawable("pbt"))


def test_unknown_policy_or_format_says_what_to_use() -> None:
    with pytest.raises(ConfigError, match="best-of-n"):
        render("planless", "mermaid")
    assert render("funcoder", "mermaid") == render("pbt", "mermaid")  # an alias
    with pytest.raises(ConfigError, match="mermaid, ascii, png"):
        render("pat", "svg")
