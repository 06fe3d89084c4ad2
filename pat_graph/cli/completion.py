"""`pat-graph completion bash|zsh`: shell completion scripts written from the argparse parser.

Why generated: a hand-written script drifts the day a flag is added; this one is read from the
same parser that parses the command line, so every command, flag and choice is in it. What a
flag's value completes to: its choices when it has them, nothing for numbers, file names for
anything else (databases, configs, benchmark files and outputs are all paths).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    names: tuple[str, ...]
    help: str
    values: int  # how many values it takes (0: a switch)
    choices: tuple[str, ...]  # the words its value can be, when fixed
    files: bool  # its value is a path (complete file names)
    repeat: bool  # may be given more than once
    metavars: tuple[str, ...]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    flags: tuple[Flag, ...]
    positionals: tuple[tuple[str, ...], ...]  # each positional's choices (() when free)


def _flag(action: argparse.Action) -> Flag:
    values = 0 if action.nargs == 0 else (action.nargs if isinstance(action.nargs, int) else 1)
    choices = tuple(str(c) for c in action.choices or ())
    numeric = action.type in (int, float)
    metavar = action.metavar or action.dest.upper()
    metavars = tuple(metavar) if isinstance(metavar, tuple) else (metavar,) * values
    return Flag(
        names=tuple(action.option_strings),
        help=action.help or "",
        values=values,
        choices=choices,
        files=values > 0 and not choices and not numeric,
        repeat=isinstance(action, argparse._AppendAction),
        metavars=metavars,
    )


def commands(parser: argparse.ArgumentParser) -> tuple[list[Flag], list[Command]]:
    """The top-level flags, and each command with its flags, as the parser defines them."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help or "" for a in sub._choices_actions}
    top = [_flag(a) for a in parser._actions if a.option_strings]
    found = []
    for name, child in sub.choices.items():
        flags = tuple(_flag(a) for a in child._actions if a.option_strings)
        positionals = tuple(
            tuple(str(c) for c in a.choices or ()) for a in child._actions if not a.option_strings
        )
        found.append(Command(name, helps.get(name, ""), flags, positionals))
    return top, found


# ----- bash -----------------------------------------------------------------------------------
def bash_script(parser: argparse.ArgumentParser) -> str:
    top, cmds = commands(parser)
    words = " ".join([*(c.name for c in cmds), *(n for f in top for n in f.names)])
    cases = "\n".join(_bash_command(c) for c in cmds)
    return f"""# bash completion for pat-graph, written from its parser by `pat-graph completion`.
# Use: source <(pat-graph completion bash), or save it as
# ~/.local/share/bash-completion/completions/pat-graph
_pat_graph() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" cmd="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            -*) ;;
            *) cmd="${{COMP_WORDS[i]}}"; break ;;
        esac
    done
    COMPREPLY=()
    if [[ -z "$cmd" ]]; then
        COMPREPLY=($(compgen -W "{words}" -- "$cur"))
        return 0
    fi
    case "$cmd" in
{cases}
    esac
    return 0
}}
complete -F _pat_graph pat-graph
"""


def _bash_command(cmd: Command) -> str:
    values = []
    for flag in cmd.flags:
        if not flag.values:
            continue
        pattern = "|".join(flag.names)
        if flag.choices:
            action = f'COMPREPLY=($(compgen -W "{" ".join(flag.choices)}" -- "$cur"))'
        elif flag.files:
            action = 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
        else:
            action = ":"  # a number: nothing to offer
        values.append(f"                {pattern}) {action}; return 0 ;;")
    flags = " ".join(n for f in cmd.flags for n in f.names)
    choices = " ".join(c for group in cmd.positionals for c in group)
    body = "\n".join(values)
    prev = f'            case "$prev" in\n{body}\n            esac\n' if values else ""
    offer = f'            COMPREPLY=($(compgen -W "{flags}" -- "$cur"))\n'
    if choices:  # a positional with choices (`completion bash|zsh`): offered unless cur is -...
        offer = (
            f'            if [[ "$cur" == -* ]]; then\n    {offer}'
            f'            else\n                COMPREPLY=($(compgen -W "{choices}" -- "$cur"))\n'
            "            fi\n"
        )
    return f"        {cmd.name})\n{prev}{offer}            ;;"


# ----- zsh ------------------------------------------------------------------------------------
def zsh_script(parser: argparse.ArgumentParser) -> str:
    top, cmds = commands(parser)
    described = "\n".join(f"        {_quote(c.name + ':' + c.help)}" for c in cmds)
    top_specs = " \\\n        ".join(spec for f in top for spec in _zsh_specs(f, exclusive=True))
    cases = "\n".join(
        f"            {c.name})\n                _arguments -s \\\n                    "
        + " \\\n                    ".join([*_zsh_positionals(c), *_all_specs(c.flags)])
        + "\n                ;;"
        for c in cmds
    )
    return f"""#compdef pat-graph
# zsh completion for pat-graph, written by `pat-graph completion zsh` from its parser.
# Use: pat-graph completion zsh > "${{fpath[1]}}/_pat-graph" (then restart zsh), or
# source <(pat-graph completion zsh) after compinit.
_pat_graph() {{
    local curcontext="$curcontext" state line
    typeset -A opt_args
    local -a commands
    commands=(
{described}
    )
    _arguments -C \\
        {top_specs} \\
        '1:command:->command' \\
        '*::argument:->argument'
    case $state in
        command)
            _describe -t commands 'pat-graph command' commands
            ;;
        argument)
            case $words[1] in
{cases}
            esac
            ;;
    esac
}}
if [[ "${{funcstack[1]}}" == "_pat-graph" ]]; then
    _pat_graph "$@"
else
    compdef _pat_graph pat-graph
fi
"""


def _all_specs(flags: tuple[Flag, ...]) -> Iterator[str]:
    for flag in flags:
        yield from _zsh_specs(flag)


def _zsh_specs(flag: Flag, *, exclusive: bool = False) -> Iterator[str]:
    """One `_arguments` spec per flag name: --name[help]:message:action."""
    help_text = flag.help.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    values = []
    for metavar in flag.metavars[: flag.values]:
        if flag.choices:
            action = "(" + " ".join(flag.choices) + ")"
        elif flag.files:
            action = "_files"
        else:
            action = " "
        values.append(f":{metavar.replace(':', '_')}:{action}")
    prefix = "(- *)" if exclusive else ("*" if flag.repeat else "")
    for name in flag.names:
        yield _quote(f"{prefix}{name}[{help_text}]{''.join(values)}")


def _zsh_positionals(cmd: Command) -> list[str]:
    return [
        _quote(f"{i}:value:({' '.join(choices)})" if choices else f"{i}:value:_files")
        for i, choices in enumerate(cmd.positionals, start=1)
    ]


def _quote(text: str) -> str:
    """A single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    return bash_script(parser) if shell == "bash" else zsh_script(parser)
