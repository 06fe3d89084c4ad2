"""`--prompts-from DIR`: the authors' own prompt text, read from a local checkout of their
repository (ml-postech/PaT, or cometeme/funcoder for the FunCoder baseline).

pat-graph ships none of their text. A user who wants the exact prompts points at a checkout; its
prompt modules are parsed with `ast` and never imported or run. What is read, per prompt class:
the `get_few_shots` list (the system message, then the example turns, each a dict literal whose
content is a string literal or a call of the class's `_format_user_request` with literal
arguments) and how the request turn is formed (the f-string `get_next_turn` returns, or its
`_format_user_request` call). `_format_user_request` bodies are evaluated by a small interpreter
that knows only what those bodies use: string literals and f-strings, names, `str.strip` and
friends, `+`, `+=`, `if` and `return`. Anything else is refused with a message naming the class,
so a checkout whose layout is not theirs fails before a run starts.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pat_graph.errors import ConfigError

# Where each repository keeps its prompts, and the class-name prefix it uses.
LAYOUTS: dict[str, tuple[str, str]] = {
    "PaT": ("PaT/methods/PaT/prompts", "PaT"),
    "FunCoder": ("funcoder/methods/funcoder/prompts", "Funcoder"),
}
# pat-graph's request -> (module, class suffix). Every layout must have all of them.
REQUESTS: dict[str, tuple[str, str]] = {
    "divide": ("humaneval.py", "HumanEvalDividePrompt"),
    "implement": ("humaneval.py", "HumanEvalConquerPrompt"),
    "calls": ("humaneval.py", "HumanEvalFuncCallPrompt"),
    "asserts": ("humaneval.py", "HumanEvalUnitTestPrompt"),
    "examples": ("sys_test.py", "SysTestArgsPrompt"),
    "divide_stdio": ("xcodeeval.py", "XCodeEvalDividePrompt"),
    "implement_stdio": ("xcodeeval.py", "XCodeEvalConquerPrompt"),
}
_STR_METHODS = {"strip", "lstrip", "rstrip", "replace"}
# Every value pat-graph hands a request template (prompts/__init__.py `_code_values`); a template
# naming anything else is refused when the checkout is read, not in the middle of a run.
REQUEST_VALUES = (
    "lang", "code", "code_pre", "prev_code_s", "code_cur", "cur_code_s", "func_name", "func.name",
    "func_docstring",
)  # fmt: skip


class _Refused(Exception):
    """This code is not what the interpreter knows from the released prompt modules."""


@dataclass(frozen=True)
class AuthorPrompt:
    """One prompt class: its system text, example turns and how its request turn is formed."""

    name: str
    system: str
    shots: tuple[tuple[str, str], ...]  # (role the example turn plays, content)
    request: ast.expr  # the content expression of the request turn
    formatter: ast.FunctionDef | None  # `_format_user_request`, when the class has one

    def request_text(self, values: Mapping[str, Any]) -> str:
        """The request turn for pat-graph's values (lang, code, func_name, func_docstring,
        prev_code, cur_func_code, ...: whatever names the released code uses there)."""
        try:
            return str(_Evaluator(self.formatter, values).value(self.request))
        except _Refused as exc:
            raise ConfigError(f"--prompts-from: {self.name}: {exc}") from None


@dataclass(frozen=True)
class AuthorPrompts:
    layout: str  # "PaT" or "FunCoder"
    root: str
    prompts: dict[str, AuthorPrompt]


class _Evaluator:
    """Evaluates the few expressions and statements the released prompt modules use."""

    def __init__(self, formatter: ast.FunctionDef | None, env: Mapping[str, Any]) -> None:
        self.formatter = formatter
        self.env = dict(env)

    def value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | bool | None):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(self._part(p) for p in node.values)
        if isinstance(node, ast.Name | ast.Attribute):
            return self._lookup(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.value(node.left) + self.value(node.right)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            values = [self.value(v) for v in node.values]
            return next((v for v in values if v), values[-1])
        if isinstance(node, ast.Call):
            return self._call(node)
        raise _Refused(f"cannot read `{ast.unparse(node)[:80]}`")

    def _part(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return str(node.value)
        if isinstance(node, ast.FormattedValue) and node.conversion == -1 and not node.format_spec:
            return str(self.value(node.value))
        raise _Refused("an f-string field with a conversion or format")

    def _lookup(self, node: ast.Name | ast.Attribute) -> Any:
        dotted = ast.unparse(node)
        for key in (dotted, dotted.rsplit(".", 1)[-1]):  # `ctx.lrt.lang` -> `lang`
            if key in self.env:
                return self.env[key]
        raise _Refused(f"unknown name `{dotted}`")

    def _call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _STR_METHODS:
            target = self.value(func.value)
            args = [self.value(a) for a in node.args]
            if not isinstance(target, str) or node.keywords:
                raise _Refused(f"cannot read `{ast.unparse(node)[:80]}`")
            return getattr(target, func.attr)(*args)
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called == "_format_user_request" and self.formatter is not None:
            return self.run(self.formatter, node)
        raise _Refused(f"cannot call `{ast.unparse(func)[:80]}`")

    def run(self, fn: ast.FunctionDef, call: ast.Call) -> Any:
        params = [a.arg for a in fn.args.args if a.arg != "self"]
        env = dict(zip(params, (self.value(a) for a in call.args), strict=False))
        env |= {k.arg: self.value(k.value) for k in call.keywords if k.arg}
        if set(env) != set(params):
            raise _Refused(f"{fn.name} called with {sorted(env)}, expects {params}")
        inner = _Evaluator(self.formatter, env)
        result = inner.block(fn.body)
        if result is None:
            raise _Refused(f"{fn.name} returns nothing")
        return result[0]

    def block(self, body: list[ast.stmt]) -> tuple[Any] | None:
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring
            if isinstance(stmt, ast.Return) and stmt.value is not None:
                return (self.value(stmt.value),)
            if isinstance(stmt, ast.Assign) and [type(t) for t in stmt.targets] == [ast.Name]:
                self.env[stmt.targets[0].id] = self.value(stmt.value)  # type: ignore[attr-defined]
            elif (
                isinstance(stmt, ast.AugAssign)
                and isinstance(stmt.op, ast.Add)
                and isinstance(stmt.target, ast.Name)
            ):
                self.env[stmt.target.id] = self._lookup(stmt.target) + self.value(stmt.value)
            elif isinstance(stmt, ast.If):
                found = self.block(stmt.body if self.value(stmt.test) else stmt.orelse)
                if found is not None:
                    return found
            else:
                raise _Refused(f"cannot run `{ast.unparse(stmt).splitlines()[0][:80]}`")
        return None


def _methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}


def _few_shots(cls: ast.ClassDef) -> ast.List:
    for node in cls.body:
        if (
            isinstance(node, ast.Assign)
            and [ast.unparse(t) for t in node.targets] == ["get_few_shots"]
            and isinstance(node.value, ast.List)
        ):
            return node.value
    raise _Refused("no `get_few_shots = [...]` list")


def _message(node: ast.expr, ev: _Evaluator) -> tuple[str, str | None, str]:
    if not isinstance(node, ast.Dict) or None in node.keys:
        raise _Refused("a few-shot message is not a dict literal")
    fields = {ast.literal_eval(k): v for k, v in zip(node.keys, node.values, strict=True) if k}
    role, name = ast.literal_eval(fields["role"]), None
    if "name" in fields:
        name = ast.literal_eval(fields["name"])
    if "content" not in fields:
        raise _Refused("a few-shot message has no content")
    return str(role), name, str(ev.value(fields["content"]))


def _request(methods: dict[str, ast.FunctionDef]) -> ast.expr:
    """The content expression of the request turn: the `_format_user_request(...)` call that
    `wrap_prompt_iter` (or else `get_next_turn`) makes, or the returned dict's content."""
    for name in ("wrap_prompt_iter", "get_next_turn"):
        fn = methods.get(name)
        if fn is None:
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "self._format_user_request":
                return node
        if name == "get_next_turn":
            for node in ast.walk(fn):
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
                    for key, value in zip(node.value.keys, node.value.values, strict=True):
                        if isinstance(key, ast.Constant) and key.value == "content":
                            return value
    raise _Refused("no request turn found in get_next_turn/wrap_prompt_iter")


def _read_class(cls: ast.ClassDef) -> AuthorPrompt:
    methods = _methods(cls)
    formatter = methods.get("_format_user_request")
    ev = _Evaluator(formatter, {})
    messages = [_message(m, ev) for m in _few_shots(cls).elts]
    if not messages or messages[0][:2] != ("system", None):
        raise _Refused("the first few-shot message is not the system prompt")
    shots = tuple((name or role, content) for role, name, content in messages[1:])
    if len(shots) % 2 or any(r != ("user" if i % 2 == 0 else "assistant")
                             for i, (r, _) in enumerate(shots)):  # fmt: skip
        raise _Refused("the example turns are not user/assistant pairs")
    return AuthorPrompt(cls.name, messages[0][2], shots, _request(methods), formatter)


@lru_cache(maxsize=4)
def load_author_prompts(directory: str) -> AuthorPrompts:
    """The prompts of the checkout at `directory`; ConfigError when its layout is not one of
    LAYOUTS or a class cannot be read."""
    root = Path(directory).expanduser()
    for layout, (folder, prefix) in LAYOUTS.items():
        base = root / folder
        if not (base / "humaneval.py").is_file():
            continue
        prompts: dict[str, AuthorPrompt] = {}
        trees: dict[str, ast.Module] = {}
        for request, (module, suffix) in REQUESTS.items():
            path = base / module
            if module not in trees:
                try:
                    trees[module] = ast.parse(path.read_text(encoding="utf-8"))
                except (OSError, SyntaxError, ValueError) as exc:
                    raise ConfigError(f"--prompts-from {root}: cannot read {path}: {exc}") from exc
            wanted = prefix + suffix
            cls = next((n for n in trees[module].body
                        if isinstance(n, ast.ClassDef) and n.name == wanted), None)  # fmt: skip
            if cls is None:
                raise ConfigError(
                    f"--prompts-from {root}: {path} has no class {wanted}; the checkout is not "
                    f"the {layout} repository's layout"
                )
            try:
                prompts[request] = _read_class(cls)
                _Evaluator(prompts[request].formatter, dict.fromkeys(REQUEST_VALUES, "x")).value(
                    prompts[request].request
                )
            except _Refused as exc:
                raise ConfigError(f"--prompts-from {root}: {path}, {wanted}: {exc}") from None
        return AuthorPrompts(layout, str(root), prompts)
    expected = " or ".join(
        f"{folder}/humaneval.py ({name})" for name, (folder, _) in LAYOUTS.items()
    )
    raise ConfigError(
        f"--prompts-from {root}: not a checkout of the authors' code: expected {expected} "
        "under it; clone ml-postech/PaT (or cometeme/funcoder) and pass its top folder"
    )
