"""Small HTML helpers shared by the explorer's pages: escaping, numbers, code, page frame."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

from pat_graph.reporting.explore.highlight import highlight

ASSETS = "assets"


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def usd(value: float | None) -> str:
    return "–" if value is None else f"${value:.6f}"


def yes_no(value: bool | None) -> str:
    if value is None:
        return '<span class="na">–</span>'
    return '<span class="ok">pass</span>' if value else '<span class="bad">fail</span>'


def code_block(code: str, *, lang: str = "python", cls: str = "") -> str:
    body = highlight(code) if lang == "python" else esc(code)
    return f'<pre class="code {cls}"><code>{body}</code></pre>'


def format_test(test: Any) -> str:
    """A test as the loop stored it: Python source, or a stdio {input, output} pair."""
    if isinstance(test, Mapping) and "args" in test:
        return f"args: {test.get('args')!r}\nexpected: {test.get('expected')!r}"
    if isinstance(test, Mapping):
        return f"input:\n{test.get('input', '')}\nexpected output:\n{test.get('output', '')}"
    return str(test)


def json_script(element_id: str, data: Any) -> str:
    """Data for the page's script; `</` is escaped so no value can close the script tag."""
    text = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="{esc(element_id)}">{text}</script>'


_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str) -> str:
    return _SLUG.sub("_", text).strip("._") or "x"


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """`{"a": {"b": 1}}` -> [("a.b", 1)]: every report field as one row, however nested."""
    if isinstance(value, Mapping) and value:
        out: list[tuple[str, Any]] = []
        for key, item in value.items():
            out += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    return [(prefix, value)]


def page(title: str, body: str, *, depth: int, page_kind: str) -> str:
    """A whole page; `depth` is how many folders below the site root it lives (asset paths)."""
    up = "../" * depth
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title>"
        f'<link rel="stylesheet" href="{up}{ASSETS}/explore.css">'
        f'</head><body data-page="{esc(page_kind)}">'
        f'<header><a class="home" href="{up}index.html">pat-graph explorer</a>'
        f'<span class="crumb">{esc(title)}</span></header>'
        f"<main>{body}</main>"
        f'<script src="{up}{ASSETS}/explore.js"></script>'
        "</body></html>\n"
    )
