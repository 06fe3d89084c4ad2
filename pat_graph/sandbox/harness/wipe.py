"""The process backend's work dir, emptied between candidates: fail closed, only ever the private
`pat-sbx-*` directory the host made for this worker (bwrap's scratch space is a fresh tmpfs per
candidate and is never wiped)."""

import contextlib
import os
import shutil

from .state import _CONFIG


def _wipe_allowed(real):
    """Fail closed: the only directory the harness ever empties is the private temp dir the host
    made for this worker (named ``pat-sbx-*`` and passed in the harness's config), compared after
    resolving symlinks. Never "/", never a system directory, never whatever a job names; with no
    configured work dir (the bwrap backend, whose scratch space is a fresh tmpfs per candidate)
    nothing at all is wiped."""
    configured = _CONFIG.get("wipe_dir")
    if not isinstance(configured, str) or not configured:
        return False
    allowed = os.path.realpath(configured)
    if real != allowed or not os.path.isabs(real):
        return False
    parent, name = os.path.split(real)
    return name.startswith("pat-sbx-") and parent not in ("", "/") and real.count("/") >= 2


def _wipe(workdir):
    """Empty the worker's private dir between candidates so one candidate cannot leave files for
    the next. Returns False (touching nothing) unless `_wipe_allowed` accepts the directory."""
    real = os.path.realpath(workdir)
    if not _wipe_allowed(real):
        return False
    prefix = real + "/"

    def unlock(func, path, _exc):
        # Only needed when we are not root (a candidate of our uid made a dir unreadable); chmod
        # follows symlinks, so never on one, and never outside the allowed dir.
        if os.geteuid() == 0 or not path.startswith(prefix):
            return
        with contextlib.suppress(OSError):
            for target in (os.path.dirname(path), path):
                if target.startswith(prefix) and not os.path.islink(target):
                    os.chmod(target, 0o700)
            func(path)

    with os.scandir(real) as entries:
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, onerror=unlock)  # never follows symlinks
                else:
                    os.unlink(entry.path)
            except OSError:
                unlock(os.unlink, entry.path, None)
    return True
