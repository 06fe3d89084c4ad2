"""Capabilities and uids: what the zygote keeps, and how a test child becomes unprivileged
before any candidate code runs (fail closed)."""

import os

from . import state
from .state import _exit

_CAP_KILL, _CAP_SETGID, _CAP_SETUID, _CAP_SETPCAP = 5, 6, 7, 8
_CANDIDATE_UIDS = (1 << 30, (1 << 31) - (1 << 16))  # far from any real account


def _libc():
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_char_p]  # fmt: skip
    return libc


def _errno():
    import ctypes

    return ctypes.get_errno()


def _host_root():
    """True when uid 0 here is the host's uid 0 (no user namespace maps it elsewhere)."""
    if os.geteuid() != 0:
        return False
    try:
        with open("/proc/self/uid_map") as fh:
            first = fh.read().split()
    except OSError:
        return True
    return first[:3] == ["0", "0", "4294967295"]


def _capset(keep):
    """Effective and permitted capabilities become exactly `keep`; nothing inheritable."""
    import ctypes

    mask = 0
    for cap in keep:
        mask |= 1 << cap
    lo, hi = mask & 0xFFFFFFFF, mask >> 32
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)(lo, lo, 0, hi, hi, 0)
    return state.LIBC.capset(header, data) == 0


def _capabilities():
    """Effective | permitted | inheritable capability bits of this process (capget(2), so no
    /proc access is needed); -1 when they cannot be read, which counts as privileged."""
    import ctypes

    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    if state.LIBC.capget(header, data) != 0:
        return -1
    return data[0] | data[1] | data[2] | data[3] | data[4] | data[5]


def _drop_bounding(keep=()):
    for cap in range(64):
        if cap not in keep:
            state.LIBC.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP (needs CAP_SETPCAP; else no-op)


def _drop_privileges(uid=None):
    """Before any candidate code: no way back to privilege, and never the host's root.

    With `uid` (the harness is host root): every capability goes from the bounding set, then the
    process becomes that unprivileged uid/gid, which clears its capabilities; the securebits are
    locked so nothing can bring them back. Without it (a user namespace, or the process backend
    whose interpreter only root can read) the uid stays and every capability is dropped. Then
    not dumpable, so other processes of the same uid can neither ptrace it nor open its /proc
    fds. Fails closed: a child that is still privileged afterwards exits before the candidate.
    """
    libc = state.LIBC
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    _drop_bounding()
    if uid is not None:
        # SECBIT_NOROOT, NO_SETUID_FIXUP off, KEEP_CAPS off, all three locked.
        libc.prctl(28, 0x2B, 0, 0, 0)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    elif os.geteuid() == 0:
        libc.prctl(28, 0x2F, 0, 0, 0)  # NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, all locked
    _capset(())
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE=0
    if _capabilities() != 0:
        _exit(71)
    ids = (*os.getresuid(), *os.getresgid())
    if uid is not None and ids != (uid,) * 6:
        _exit(71)
    if uid is None and _host_root():
        _exit(71)  # no backend ever runs a candidate as the host's root, capabilities or not


def _candidate_uid():
    """An unprivileged uid/gid of its own for each candidate, when we are the host's root."""
    if not _host_root():
        return None
    low, high = _CANDIDATE_UIDS
    return low + int.from_bytes(os.urandom(4), "big") % (high - low)
