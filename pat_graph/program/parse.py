"""Turning model text into Python we are willing to verify, with `ast`, never regex on code.

Models wrap code in chatter and fences, add demo prints, or answer with the wrong function. This
module keeps what the verifier should see and rejects what cannot be the asked-for function.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_KEEP_TOP_LEVEL = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
)

Signature = tuple[tuple[str, ...], str | None, tuple[str, ...], str | None]


def parses(src: str) -> bool:
    try:
        ast.parse(src)
    except (SyntaxError, ValueError):
        return False
    return True


def fenced_blocks(text: str) -> list[str]:
    """Fenced blocks in order; an unterminated last fence runs to the end (truncated replies)."""
    blocks = []
    for match in _FENCE.finditer(text):
        lang = match.group(1).lower()
        if lang in ("", "python", "py", "python3"):
            blocks.append(match.group(2))
    return blocks


def extract_code(text: str, entry_point: str | None = None) -> str | None:
    """The one block of Python in a reply: the block that defines `entry_point`, else the first
    block that parses, else the whole reply when it parses as Python."""
    blocks = [b for b in fenced_blocks(text) if b.strip()]
    parsed = [b for b in blocks if parses(b)]
    if entry_point:
        for block in parsed:
            if find_function(block, entry_point) is not None:
                return block.strip("\n") + "\n"
    if parsed:
        return parsed[0].strip("\n") + "\n"
    if not blocks and text.strip() and parses(text):
        return text.strip("\n") + "\n"
    return None


def parse_module(src: str) -> ast.Module | None:
    try:
        return ast.parse(src)
    except (SyntaxError, ValueError):
        return None


def find_function(
    src: str | ast.Module, name: str
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The last top-level definition of `name` (the one Python would keep). Pass a parsed
    module to avoid parsing the same source again."""
    tree = parse_module(src) if isinstance(src, str) else src
    if tree is None:
        return None
    found = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            found = node
    return found


def signature_of(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Signature:
    """Parameter names by kind; annotations and defaults may differ without changing the call."""
    a = fn.args
    positional = tuple(p.arg for p in [*a.posonlyargs, *a.args])
    return (
        positional,
        a.vararg.arg if a.vararg else None,
        tuple(p.arg for p in a.kwonlyargs),
        a.kwarg.arg if a.kwarg else None,
    )


def target_signature(prompt: str, entry_point: str) -> Signature | None:
    """The signature the problem statement declares, when the statement is Python."""
    fn = find_function(prompt, entry_point)
    return signature_of(fn) if fn else None


def defines_target(src: str | ast.Module, entry_point: str, signature: Signature | None) -> bool:
    fn = find_function(src, entry_point)
    if fn is None:
        return False
    return signature is None or signature_of(fn) == signature


def clean_module(src: str, tree: ast.Module | None = None) -> str:
    """Keep imports, definitions and constants; drop demo code (prints, input(), __main__ blocks)
    that would run, and possibly hang, before the tests do."""
    tree = tree or parse_module(src)
    if tree is None:
        return src
    lines = src.splitlines()
    kept: list[str] = []
    for node in tree.body:
        if isinstance(node, _KEEP_TOP_LEVEL) and not _is_main_guard(node):
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            kept.append("\n".join(lines[start - 1 : node.end_lineno]))
    return "\n\n".join(kept) + "\n"


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)


def remove_functions(src: str, names: set[str], tree: ast.Module | None = None) -> str:
    """The source without every top-level definition of these names (decorators included)."""
    tree = tree or parse_module(src)
    if tree is None:
        return src
    lines = src.splitlines()
    drop: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in names:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            drop.update(range(start - 1, node.end_lineno or node.lineno))
    return "\n".join(line for i, line in enumerate(lines) if i not in drop).strip("\n") + "\n"


def prompt_context(prompt: str, entry_point: str) -> str:
    """What a Python problem statement defines besides the target (imports, given helpers such as
    HumanEval's `poly` or `is_palindrome`), so candidates that omit it still run."""
    tree = parse_module(prompt) if entry_point else None
    if tree is None or find_function(tree, entry_point) is None:
        return ""
    return remove_functions(prompt, {entry_point}, tree).strip()


def docstring_of(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    return ast.get_docstring(fn, clean=True) or ""


def is_stub(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A declaration without an implementation: docstring, `pass`, `...` or NotImplementedError."""
    for stmt in fn.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring or Ellipsis
        if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt):
            continue
        return False
    return True


def raise_in_stubs(src: str) -> str:
    """Every top-level stub with `raise NotImplementedError()` as its body, as the PaT and
    FunCoder prompts show a function still to be written: a `pass` or `...` line becomes the
    raise, a docstring-only stub gets it below the docstring. Unparsable source is unchanged."""
    tree = parse_module(src)
    if tree is None:
        return src
    lines = src.splitlines()
    stubs = [
        n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and is_stub(n)
    ]
    for fn in reversed(stubs):  # bottom-up, so earlier line numbers stay valid
        if any(isinstance(stmt, ast.Raise) for stmt in fn.body):
            continue
        first = fn.body[0]
        indent = " " * first.col_offset if first.lineno > fn.lineno else " " * (fn.col_offset + 4)
        fillers = [
            stmt for stmt in fn.body
            if isinstance(stmt, ast.Pass)
            or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                and stmt.value.value is Ellipsis)
        ]  # fmt: skip
        if first.lineno == fn.lineno:  # `def f(): ...` on one line
            lines[fn.lineno - 1] = lines[fn.lineno - 1][: first.col_offset].rstrip()
            lines.insert(fn.lineno, f"{indent}raise NotImplementedError()")
        elif fillers:
            for stmt in reversed(fillers[1:]):
                del lines[stmt.lineno - 1]
            lines[fillers[0].lineno - 1] = f"{indent}raise NotImplementedError()"
        else:
            lines.insert(fn.end_lineno or fn.lineno, f"{indent}raise NotImplementedError()")
    return "\n".join(lines) + ("\n" if src.endswith("\n") else "")


def function_source(program: str, name: str) -> str:
    """The source of the top-level function `name` in `program` (the whole program when it has
    none): what a test writer is shown of one candidate."""
    tree = parse_module(program)
    fn = find_function(tree, name) if tree is not None else None
    if fn is None:
        return program
    return ast.get_source_segment(program, fn) or program


def header_of(src: str, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """`def name(args) -> ret:` plus the docstring, as the model wrote them."""
    lines = src.splitlines()
    start = min([fn.lineno, *(d.lineno for d in fn.decorator_list)])
    body0 = fn.body[0]
    has_doc = isinstance(body0, ast.Expr) and isinstance(body0.value, ast.Constant)
    has_doc = has_doc and isinstance(body0.value.value, str)
    end = body0.end_lineno if has_doc else fn.body[0].lineno - 1
    text = "\n".join(lines[start - 1 : end])
    if not has_doc:
        text = text.rstrip() + "\n    ..."
    return text


def called_names(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {
        node.func.id
        for node in ast.walk(fn)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


@dataclass
class HelperStub:
    name: str
    header: str  # signature + docstring, the helper's problem statement
    docstring: str


@dataclass
class PlanParse:
    code: str  # the planner's module with helper stubs removed
    stubs: list[HelperStub] = field(default_factory=list)
    implemented: dict[str, str] = field(default_factory=dict)  # helpers the planner wrote in full


def parse_plan(
    text: str,
    entry_point: str,
    signature: Signature | None,
    known: set[str],
    helper_bodies: str = "keep",
) -> PlanParse | None:
    """Parse the planner's answer: the target with a new body plus helper stubs.

    `helper_bodies="keep"` (strict): a helper the planner wrote in full stays in the plan's code.
    `helper_bodies="trial"` (paper, as the released code): every new function of the answer is a
    helper to implement (its body is dropped; its header is the stub), and redefinitions of
    `known` functions are dropped so the implemented ones stay.

    Returns None when the answer cannot be used (no parsable block, target missing or with a
    different signature), so the caller can retry.
    """
    src = extract_code(text, entry_point)
    tree = parse_module(src) if src is not None else None
    if src is None or tree is None or not defines_target(tree, entry_point, signature):
        return None
    target = find_function(tree, entry_point)
    if target is None or is_stub(target):
        return None  # the target itself must get a body
    stubs: list[HelperStub] = []
    stub_names: set[str] = set()
    implemented: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name == entry_point:
            continue
        if is_stub(node) or helper_bodies == "trial":
            if node.name not in known and node.name not in stub_names:
                stubs.append(HelperStub(node.name, header_of(src, node), docstring_of(node)))
            stub_names.add(node.name)
        else:
            implemented[node.name] = ast.get_source_segment(src, node) or ""
    code = remove_functions(src, stub_names, tree)
    return PlanParse(code=code, stubs=stubs, implemented=implemented)
