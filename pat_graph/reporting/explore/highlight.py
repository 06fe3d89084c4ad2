"""A small Python syntax highlighter: the standard tokenizer, one <span> class per token kind.

Why our own: the site must open from disk with no network and no third-party script, and the
tokenizer already knows Python's grammar (strings, f-strings, comments, numbers) exactly.
Code that does not tokenize (model output can be anything) falls back to plain escaped text.
"""

from __future__ import annotations

import builtins
import html
import io
import keyword
import token
import tokenize
from functools import lru_cache

_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))
_SOFT = frozenset({"self", "cls", *keyword.softkwlist})


def _kind(tok: tokenize.TokenInfo, previous: str) -> str | None:
    if tok.type == token.NAME:
        if keyword.iskeyword(tok.string):
            return "kw"
        if previous in ("def", "class"):
            return "fn"
        if tok.string in _BUILTINS:
            return "bi"
        return "sk" if tok.string in _SOFT else None
    if tok.type == token.STRING or tok.type in _FSTRING_TYPES:
        return "st"
    if tok.type == token.NUMBER:
        return "nu"
    if tok.type == token.COMMENT:
        return "co"
    if tok.type == token.OP:
        return "op"
    return None


_FSTRING_TYPES = frozenset(
    getattr(token, name)
    for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
    if hasattr(token, name)
)


@lru_cache(maxsize=4096)
def highlight(code: str) -> str:
    """HTML for `code` (escaped; spans `kw fn bi sk st nu co op`), for use inside <pre>.

    Cached: the same program recurs on a page (a trial sample that became the final answer) and
    across pages (identical samples, shared helpers)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return html.escape(code)
    lines = code.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    out: list[str] = []
    pos = 0
    previous = ""
    for tok in tokens:
        if tok.type in (token.ENDMARKER, token.DEDENT, token.INDENT, token.NEWLINE, token.NL):
            continue
        (srow, scol), (erow, ecol) = tok.start, tok.end
        if srow - 1 >= len(lines) or erow - 1 >= len(lines):
            continue
        start = offsets[srow - 1] + scol
        end = offsets[erow - 1] + ecol
        if start < pos:
            continue
        out.append(html.escape(code[pos:start]))
        text = html.escape(code[start:end])
        kind = _kind(tok, previous)
        out.append(f'<span class="{kind}">{text}</span>' if kind else text)
        pos = end
        if tok.type == token.NAME:
            previous = tok.string
    out.append(html.escape(code[pos:]))
    return "".join(out)
