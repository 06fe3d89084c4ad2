"""The harness's wipe can only ever empty the private dir the host made for its worker.

An earlier draft emptied "/" as root on the host (the process backend's work dir was "." and the
harness's cwd had become "/"). These tests call `_wipe` on the places that must never be touched
with every destructive call of the harness module replaced by a recorder that raises, so even a
broken guard cannot delete anything here; then one positive control wipes a real `pat-sbx-*`
dir under tmp_path.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import os
import types
from pathlib import Path

import pytest

from pat_graph.sandbox.runner import HARNESS

_DESTRUCTIVE = (
    "unlink", "remove", "rmdir", "removedirs", "rename", "replace", "chmod", "chown", "lchown",
    "fchmod", "fchown", "truncate", "scandir", "listdir", "open", "mkdir", "makedirs", "chdir",
)  # fmt: skip


_loaded = itertools.count()


def _harness() -> types.ModuleType:
    """A fresh copy of the harness's wipe module, loaded the way the sandbox loads it (by path,
    through the harness's own __main__.py), under a name of its own each time."""
    spec = importlib.util.spec_from_file_location("pat_harness_boot_under_test", HARNESS)
    assert spec and spec.loader
    boot = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(boot)
    name = f"pat_harness_under_test_{next(_loaded)}"
    boot._load_package(name)
    return importlib.import_module(f"{name}.wipe")


class _Tripwire:
    """`os` for the harness module, except that every call that could change a file raises."""

    def __init__(self, calls: list[str]) -> None:
        self._calls = calls

    def __getattr__(self, name: str):
        if name in _DESTRUCTIVE:

            def refuse(*args, **kwargs):
                self._calls.append(f"os.{name}{args}")
                raise AssertionError(f"the wipe guard let os.{name}{args} through")

            return refuse
        return getattr(os, name)


@pytest.fixture
def guarded(monkeypatch):
    harness = _harness()
    calls: list[str] = []
    monkeypatch.setattr(harness, "os", _Tripwire(calls))

    def no_rmtree(path, *args, **kwargs):
        calls.append(f"shutil.rmtree({path!r})")
        raise AssertionError(f"the wipe guard let rmtree({path!r}) through")

    monkeypatch.setattr(harness, "shutil", types.SimpleNamespace(rmtree=no_rmtree))
    return harness, calls


@pytest.mark.parametrize("config", [{}, {"wipe_dir": "/"}, {"wipe_dir": "/tmp/pat-sbx-other"}])
@pytest.mark.parametrize("target", ["/", "/root", "/etc", "/usr", "/tmp", "/sandbox", ""])
def test_system_dirs_are_refused(guarded, config, target):
    harness, calls = guarded
    harness._CONFIG.clear()
    harness._CONFIG.update(config)
    assert harness._wipe(target) is False
    assert calls == []


def test_dot_from_root_is_refused(guarded, monkeypatch):
    harness, calls = guarded
    harness._CONFIG.update({"wipe_dir": "/"})
    monkeypatch.chdir("/")
    assert harness._wipe(".") is False
    assert calls == []


def test_a_symlink_named_like_a_work_dir_is_refused(guarded, tmp_path):
    harness, calls = guarded
    for name, target in (("pat-sbx-root", "/"), ("pat-sbx-etc", "/etc"), ("pat-sbx-home", "/root")):
        link = tmp_path / name
        link.symlink_to(target)
        harness._CONFIG.clear()
        harness._CONFIG["wipe_dir"] = str(link)
        assert harness._wipe(str(link)) is False
    assert calls == []


def test_only_the_configured_work_dir_is_accepted(guarded, tmp_path):
    harness, calls = guarded
    mine, other = tmp_path / "pat-sbx-mine", tmp_path / "pat-sbx-other"
    mine.mkdir()
    other.mkdir()
    harness._CONFIG["wipe_dir"] = str(mine)
    assert harness._wipe_allowed(str(mine))
    assert not harness._wipe_allowed(str(other))
    assert harness._wipe(str(other)) is False
    assert calls == []


def test_the_configured_dir_is_emptied_without_following_symlinks(tmp_path):
    harness = _harness()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    work = tmp_path / "pat-sbx-work"
    (work / "deep" / "er").mkdir(parents=True)
    (work / "deep" / "er" / "f").write_text("x")
    (work / "file").write_text("x")
    (work / "link-out").symlink_to(outside)
    (work / "deep" / "link-file").symlink_to(outside / "keep.txt")
    os.chmod(work / "deep", 0)
    harness._CONFIG["wipe_dir"] = str(work)
    assert harness._wipe(str(work)) is True
    assert list(work.iterdir()) == []
    assert (outside / "keep.txt").read_text() == "keep"
    assert Path(outside).stat().st_mode & 0o777 != 0
