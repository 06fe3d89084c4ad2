"""The zygote: the warm worker the host talks to. It never runs candidate code. Per candidate it
forks a process in fresh namespaces (bwrap backend) that runs the job through `protocol`, and
relays the records, tagged with the run token, to the host."""

import contextlib
import functools
import gc
import json
import os
import signal
import socket
import struct
import sys

from . import state
from .job import _run_job
from .privileges import (
    _CAP_KILL,
    _CAP_SETGID,
    _CAP_SETPCAP,
    _CAP_SETUID,
    _candidate_uid,
    _capset,
    _drop_bounding,
    _errno,
    _libc,
)
from .protocol import _sweep
from .state import _CONFIG, _dumps, _exit, _keep_fds, _read_exactly, _read_line, _write
from .wipe import _wipe, _wipe_allowed

_PRELOAD = (
    "bisect", "collections", "copy", "dataclasses", "decimal", "fractions", "functools", "hashlib",
    "heapq", "itertools", "math", "operator", "random", "re", "statistics", "string", "typing",
)  # fmt: skip


def _preload():
    """Modules imported once here are free in every forked test: most candidates import these."""
    for name in _PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(name)


def _relay(out, run_token, job_id, record):
    data = (_dumps({**record, "tok": run_token, "job": job_id}) + "\n").encode()
    while data:
        data = data[_write(out, data) :]


# --- Isolation of one candidate (bwrap backend): fresh namespaces from a warm zygote -----------
#
# The harness parent (the zygote) never runs candidate code and never shares a namespace with
# one. Per candidate it forks a process that is PID 1 of a new PID namespace; that process enters
# new mount and IPC namespaces, mounts fresh size-capped tmpfs on every writable place and a
# /proc of its own PID namespace (host kernel interfaces read-only), keeps only the capabilities
# it needs to start and stop test children, and runs the job. It talks to the zygote through one
# pipe; the zygote alone holds the host's pipes and the run token. When the job ends PID 1
# exits, the kernel kills everything left in its PID namespace, and the mount and IPC namespaces
# (with every file and IPC object written in them) go with it. The next candidate therefore
# starts from exactly the state the first one found.

_OWN_PIDNS = -1  # fd of the zygote's own PID namespace (bwrap backend)
_SETNS_BACK = False  # whether the zygote may setns back into it (true when bwrap ran as root)
_NEWNS, _NEWIPC, _NEWPID = 0x20000, 0x08000000, 0x20000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 0x4000, 1 << 18
_PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs")
_PROC_HIDDEN = ("/proc/kcore", "/proc/timer_list", "/proc/sched_debug", "/proc/kallsyms")
_RELAY_LINE_MAX = 96 * 1024 * 1024


def _mount(source, target, fstype, flags, data=None):
    enc = [None if v is None else os.fsencode(v) for v in (source, target, fstype, data)]
    if state.LIBC.mount(enc[0], enc[1], enc[2], flags, enc[3]) != 0:
        err = _errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _read_only(path, flags=0):
    """Bind `path` onto itself and make that bind read-only (a host kernel interface)."""
    _mount(path, path, None, _MS_BIND | _MS_REC)
    _mount(None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | flags)


def _fresh_mounts(job):
    """In the candidate's own mount namespace: new size-capped tmpfs on every writable place.

    Binds that live below one of them (an interpreter under the host's /tmp) are put back,
    read-only, on top of the new tmpfs."""
    keep = []
    for path in _CONFIG.get("keep", ()):
        with contextlib.suppress(OSError):
            keep.append((path, os.open(path, os.O_PATH | os.O_DIRECTORY)))
    size = int(_CONFIG["tmpfs_bytes"])
    uid = job.get("uid")
    for path in [job["workdir"], *_CONFIG.get("writable", ())]:
        if not os.path.isdir(path):
            continue
        opts = f"size={size},nr_inodes=65536,mode=1777"
        if path == job["workdir"] and uid is not None:
            opts = f"size={size},nr_inodes=65536,mode=0755,uid={uid},gid={uid}"
        _mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV, opts)
    for path, fd in keep:
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
        _mount(None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
        os.close(fd)


def _fresh_proc():
    """A /proc showing only this candidate's processes; host kernel knobs read-only or hidden.
    Where the kernel refuses (a user namespace that may not mount proc), bwrap's /proc stays:
    it already has /proc/sys read-only, and the processes it shows run as other uids."""
    try:
        _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    except OSError:
        return False
    try:
        for path in _PROC_READ_ONLY:
            if os.path.exists(path):
                _read_only(path, _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
        for path in _PROC_HIDDEN:
            if os.path.exists(path):
                _mount("/dev/null", path, None, _MS_BIND)
    except OSError:
        state.LIBC.umount2(b"/proc", 2)  # MNT_DETACH: back to bwrap's read-only-sys /proc
        return False
    return True


def _send(fd, record):
    data = (_dumps(record) + "\n").encode()
    while data:
        data = data[_write(fd, data) :]


def _candidate_init(job, relay_w):
    """PID 1 of the candidate's namespace: set up, run the job, report through `relay_w`."""
    _fresh_proc()
    # Mounting is over: keep only what starting and stopping test children needs.
    keep = (_CAP_KILL, _CAP_SETGID, _CAP_SETUID, _CAP_SETPCAP)
    _drop_bounding(keep)
    if not _capset(keep):
        _exit(72)
    os.chdir(job["workdir"])
    _run(job, relay_w)
    _exit(0)


def _run(job, relay_w):
    """Run the job with nothing but the relay and the job stream open; the stream (the zygote's
    stdin) is read once more, for the tests, and closed (job.py)."""
    stream = os.dup(0)
    fd_null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(fd_null, fd)  # the zygote's stdin (future jobs) and stdout are not ours
    _keep_fds(relay_w, stream)
    _run_job(job, functools.partial(_send, relay_w), stream)


def _fork_in_new_pidns():
    """Fork a child that is PID 1 of a new PID namespace, then put the zygote's later children
    back into its own namespace (setns), so each candidate gets a namespace of its own."""
    if state.LIBC.unshare(_NEWPID) != 0:
        return -1
    pid = -1
    try:
        pid = os.fork()
    finally:
        if pid != 0 and state.LIBC.setns(_OWN_PIDNS, _NEWPID) != 0:
            _exit(76)  # never fork a later candidate into this one's namespace
    return pid


def _runner(lengths, relay_w, sock_fd):
    """The process forked from the clean template for one candidate. It is the first to read the
    job (from stdin; the tests only later, see job.py), so the job lives in its memory and its
    children's only, and dies with them."""
    os.close(sock_fd)
    job = json.loads(_read_exactly(0, lengths[0]))
    job["tests_length"] = lengths[1]
    if _CONFIG.get("isolate"):
        job["uid"] = _candidate_uid()
        if state.LIBC.unshare(_NEWNS | _NEWIPC) != 0:
            _exit(73)
        _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        _fresh_mounts(job)
        _candidate_init(job, relay_w)
    state.LIBC.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come back to be swept
    workdir = _CONFIG.get("wipe_dir") or job["workdir"]
    os.chdir(workdir)
    job["uid"] = _plain_uid(workdir)
    _run(job, relay_w)
    _sweep(job, 0)
    _wipe(workdir)
    _exit(0)


def _start(lengths, relay_w, sock_fd):
    """In the template: fork the candidate's runner (PID 1 of a new PID namespace on bwrap) and
    return the pid to wait for, which returns once everything of the candidate is dead."""
    if not _CONFIG.get("isolate"):
        init = waited = os.fork()
    elif _SETNS_BACK:
        init = waited = _fork_in_new_pidns()
    else:
        # In a user namespace that does not own our PID namespace (bwrap run unprivileged
        # nests two) the template cannot setns back: a helper unshares and forks the init.
        init = waited = os.fork()
        if waited == 0:
            init = -1  # until the fork below succeeds, this process never runs the job
            try:
                if state.LIBC.unshare(_NEWPID) != 0:
                    _exit(73)
                init = os.fork()
                if init != 0:
                    os.close(relay_w)
                    os.waitpid(init, 0)  # returns once its whole namespace is dead
                    _exit(0)
            finally:
                if init != 0:
                    _exit(75)
    if init == 0:
        try:
            _runner(lengths, relay_w, sock_fd)
        finally:
            _exit(74)
    return waited


def _template(sock):
    """Forked by the zygote before it reads any job: the clean image every candidate's runner is
    forked from. It only ever receives a job's length and the runner's relay pipe, never a job or
    a record, so nothing of one candidate (its program, its tests, its outputs) is in the memory
    the next one inherits."""
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(sock, 64, 1)
        except OSError:
            _exit(0)
        if not msg or not fds:
            _exit(0)
        relay_w = fds[0]
        waited = _start([int(v) for v in msg.split()], relay_w, sock.fileno())
        os.close(relay_w)
        code = 75
        if waited > 0:
            code = os.waitstatus_to_exitcode(os.waitpid(waited, 0)[1])
        sock.sendall(struct.pack("=i", code))


def _isolated(lengths, n, sock, emit):
    """Have the template start one candidate and relay its records (at most one per expected
    index) to `emit`; every index without a record becomes an error."""
    relay_r, relay_w = os.pipe()
    socket.send_fds(sock, [b"%d %d" % lengths], [relay_w])
    os.close(relay_w)
    seen = set()
    buf, scan = bytearray(), 0
    while True:
        chunk = os.read(relay_r, 1 << 20)
        if not chunk:
            break
        buf += chunk
        while True:
            end = buf.find(b"\n", scan)
            if end < 0:
                scan = len(buf)
                if len(buf) > _RELAY_LINE_MAX:
                    buf, scan = bytearray(), 0  # not a record anyone wrote on purpose
                break
            line, buf, scan = bytes(buf[:end]), buf[end + 1 :], 0
            with contextlib.suppress(ValueError):
                rec = json.loads(line)
                index = rec.get("i") if isinstance(rec, dict) else None
                if isinstance(index, int) and 0 <= index < n and index not in seen:
                    seen.add(index)
                    emit(rec)
    os.close(relay_r)
    raw = _read_exactly(sock.fileno(), 4)
    code = struct.unpack("=i", raw)[0] if len(raw) == 4 else 75
    if len(seen) < n:
        why = "the sandbox could not set up this candidate" if code else "no result"
        for i in range(n):
            if i not in seen:
                emit({"i": i, "status": "error", "message": f"{why} (code {code})"})


def _plain_uid(workdir):
    """Process backend: when this is the host's root, every candidate gets an unprivileged uid
    of its own (the host picked an interpreter that uid can read; `_drop_privileges` refuses to
    run a candidate as root), and the work dir, only if it is the host-made one, is handed to it."""
    uid = _candidate_uid()
    real = os.path.realpath(workdir)
    if uid is not None and _wipe_allowed(real):
        os.chown(real, uid, uid)
        os.chmod(real, 0o700)
    return uid


def _serve(out, run_token, sock, template):
    """Warm worker loop: per candidate a header line (the lengths of the job and of its tests,
    the job id, the number of records); the job's bytes are read by the candidate's runner,
    never here."""
    while True:
        header = _read_line(0).split()
        if len(header) != 4:
            return
        length, tests_length, job_id, n = (int(v) for v in header)
        emit = functools.partial(_relay, out, run_token, job_id)
        _isolated((length, tests_length), n, sock, emit)
        done = {"tok": run_token, "job": job_id, "done": True, "spare": [template]}
        _write(out, (_dumps(done) + "\n").encode())


def main():
    global _OWN_PIDNS, _SETNS_BACK
    if len(sys.argv) > 1:
        _CONFIG.update(json.loads(sys.argv[1]))
    state.LIBC = _libc()
    state.LIBC.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come back to be swept
    state.LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE=0: no other process opens our /proc fds
    # A host that died mid-test shows up as a failed write: sweep everything, then leave.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    out = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    if _CONFIG.get("isolate"):
        os.chdir("/")  # the zygote; the process backend stays in the work dir the host made
        _OWN_PIDNS = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        _SETNS_BACK = state.LIBC.setns(_OWN_PIDNS, _NEWPID) == 0
    _preload()
    gc.freeze()  # preloaded objects stay shared with every fork instead of being copied by gc
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    template = os.fork()
    if template == 0:
        try:
            mine.close()
            os.close(out)  # the host's pipe is the zygote's alone
            _template(theirs)
        finally:
            _exit(0)
    theirs.close()
    run_token = _read_line(0).strip().decode()  # after the fork: no runner inherits it
    try:
        _serve(out, run_token, mine, template)
    finally:
        with contextlib.suppress(OSError):
            os.kill(template, signal.SIGKILL)
        _sweep({}, 0)
