"""`${NAME}` in pat.toml string values: the value of environment variable NAME.

Why: one pat.toml can then serve several machines or CI (a host name, a model id, a port), while
the file itself holds no machine's details. Keys still belong in `api_key_env`, which names a
variable rather than holding its value, so a key never lands in the run database.

Rules: only string values are expanded (TOML numbers stay numbers); `$${NAME}` is a literal
`${NAME}`; a `$` not followed by `{` is left alone; an unset variable is an error naming the
variable, the key and the line; a variable set to the empty string expands to it, as in the shell.
No message here or after it (see `redact`) ever shows a substituted value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from pat_graph.errors import ConfigError

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)(\}?)")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MIN_REDACTED = 4  # shorter values (a port digit, "v1") are no secret and too common to blank out


class UnsetVariable(ConfigError):
    """A `${NAME}` whose variable is not set: the model that uses it cannot be built here."""


def expand(
    table: Mapping[str, Any],
    *,
    where: str,
    line_of: Any = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The table with every `${NAME}` in its strings replaced, and the values used (name ->
    value, for `redact`). `where` starts each message ("FILE: [models.x]"); `line_of(text)` gives
    the line a `${NAME}` is written on, or None."""
    env = os.environ if environ is None else environ
    used: dict[str, str] = {}

    def one(key: str, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            name, closed = match.group(1), match.group(2)
            at = _at(line_of, match.group(0))
            if not closed:
                raise ConfigError(
                    f"{where}{at}: {key} has an unclosed ${{ ; write ${{NAME}}, or $${{ for a "
                    "literal ${"
                )
            if not _NAME.match(name):
                raise ConfigError(
                    f"{where}{at}: {key} has ${{{name}}}, which is not an environment variable "
                    "name; write ${NAME} (letters, digits, _), or $${ for a literal ${"
                )
            if name not in env:
                raise UnsetVariable(
                    f"{where}{at}: {key} uses ${{{name}}}, but environment variable {name} is "
                    f"not set; export {name}=... (or write $${{{name}}} for a literal "
                    f"${{{name}}})"
                )
            used[name] = env[name]
            return env[name]

        return _TOKEN.sub(replace, text)

    def walk(key: str, value: Any) -> Any:
        if isinstance(value, str):
            return one(key, value)
        if isinstance(value, list):
            return [walk(key, v) for v in value]
        if isinstance(value, dict):
            return {k: walk(f"{key}.{k}", v) for k, v in value.items()}
        return value

    return {k: walk(k, v) for k, v in table.items()}, used


def _at(line_of: Any, token: str) -> str:
    line = line_of(token) if line_of is not None else None
    return "" if line is None else f" (line {line})"


def redact(message: str, used: Mapping[str, str]) -> str:
    """`message` with every substituted value (of MIN_REDACTED characters or more) written back
    as the `${NAME}` it came from: a later check that quotes a bad value must not print a secret
    that came from the environment."""
    for name, value in sorted(used.items(), key=lambda kv: -len(kv[1])):
        for form in {value, repr(value)[1:-1]}:
            if len(form) >= MIN_REDACTED:
                message = message.replace(form, f"${{{name}}}")
    return message


def line_finder(text: str, table: str) -> Any:
    """A `line_of` for `expand`: the first line at or after the `[models.NAME]` header that holds
    the token, 1-based (None when not found, e.g. an inline table written elsewhere)."""
    lines = text.splitlines()
    header = re.compile(rf"^\s*\[\s*models\s*\.\s*(\"?){re.escape(table)}\1\s*\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), 0)

    def line_of(token: str) -> int | None:
        for index in range(start, len(lines)):
            line = lines[index]
            position = line.find(token)
            while position > 0 and line[position - 1] == "$" and token.startswith("${"):
                position = line.find(token, position + 1)  # skip the escaped $${
            if position >= 0:
                return index + 1
        return None

    return line_of
