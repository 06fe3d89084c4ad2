"""Issue 22 item 13: --version, shell completion, help on every flag, the command list."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

import pat_graph
from pat_graph.cli import main
from pat_graph.cli.parser import _parser

REPO = Path(__file__).resolve().parents[2]


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_version_is_the_package_version(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert capsys.readouterr().out.strip() == f"pat-graph {project['version']}"
    assert pat_graph.__version__ == project["version"]


def test_every_flag_and_argument_of_every_command_has_help() -> None:
    parser = _parser()
    missing = [
        f"{name} {' '.join(a.option_strings) or a.dest}"
        for name, command in [("pat-graph", parser), *subparsers(parser).items()]
        for a in command._actions
        if not isinstance(a, argparse._SubParsersAction)
        and (not a.help or a.help == argparse.SUPPRESS)
    ]
    assert missing == []


def test_the_top_level_help_lists_every_command_with_its_help() -> None:
    parser = _parser()
    text = parser.format_help()
    helps = {a.dest: a.help for a in next(
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    )._choices_actions}  # fmt: skip
    assert set(helps) == set(subparsers(parser))
    for name, help_text in helps.items():
        assert f"  {name}" in text and help_text in text


def test_a_new_command_joins_the_description_by_itself(monkeypatch) -> None:
    from pat_graph.cli import parser as module

    real = argparse._SubParsersAction.add_parser

    def add_parser(self, name, **kwargs):
        made = real(self, name, **kwargs)
        if name == "completion":  # the last one: add one more the way a new feature would
            real(self, "brand-new", help="a command nobody listed by hand")
        return made

    monkeypatch.setattr(argparse._SubParsersAction, "add_parser", add_parser)
    assert "brand-new    a command nobody listed by hand" in module._parser().format_help()


# ----- completion -----------------------------------------------------------------------------
def bash_complete(script: str, *words: str) -> list[str]:
    """COMPREPLY after sourcing `script` in a clean bash and completing `words` (the last one
    is the word under the cursor)."""
    program = (
        f"{script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n_pat_graph\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
    )
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True,
                          text=True, timeout=30, check=True)  # fmt: skip
    assert done.stderr == ""
    return done.stdout.split()


@pytest.fixture(scope="module")
def bash_script() -> str:
    return completion_script("bash")


def completion_script(shell: str) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["completion", shell]) == 0
    return out.getvalue()


def test_bash_completion_completes_commands_flags_and_choices(bash_script) -> None:
    assert bash_complete(bash_script, "pat-graph", "ru") == ["run"]
    assert bash_complete(bash_script, "pat-graph", "run", "--ben") == ["--benchmark"]
    assert bash_complete(bash_script, "pat-graph", "run", "--policy", "c") == ["codet"]
    assert bash_complete(bash_script, "pat-graph", "run", "--limit", "") == []  # a number
    assert bash_complete(bash_script, "pat-graph", "completion", "") == ["bash", "zsh"]
    assert "--version" in bash_complete(bash_script, "pat-graph", "--")


def test_bash_completion_has_every_flag_of_every_command(bash_script) -> None:
    for name, command in subparsers(_parser()).items():
        offered = set(bash_complete(bash_script, "pat-graph", name, "-"))
        flags = {s for a in command._actions for s in a.option_strings}
        assert flags <= offered, (name, flags - offered)


def test_bash_completion_offers_file_names_for_paths(bash_script, tmp_path) -> None:
    (tmp_path / "bench-one.jsonl").write_text("")
    words = bash_complete(bash_script, "pat-graph", "run", "--benchmark", f"{tmp_path}/bench-")
    assert words == [f"{tmp_path}/bench-one.jsonl"]


def test_zsh_completion_names_every_command_and_flag_and_parses() -> None:
    script = completion_script("zsh")
    assert script.startswith("#compdef pat-graph\n")
    for name, command in subparsers(_parser()).items():
        assert f"'{name}:" in script
        for action in command._actions:
            for flag in action.option_strings:
                assert f"{flag}[" in script, (name, flag)
    assert "'--policy[the policy to draw]:POLICY:(standard best-of-n" in script
    shell = shutil.which("zsh") or shutil.which("bash")  # bash -n still checks the quoting
    assert shell is not None
    done = subprocess.run([shell, "-n"], input=script, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
