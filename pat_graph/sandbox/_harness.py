"""In-sandbox test harness: run as a script (stdlib only), never imported by the host process.

Why this shape: the harness parent never executes candidate code, so whatever the candidate does
(exit early, patch functions, kill itself, hang) it cannot touch the process that writes verdicts.
Each test runs in a forked child that reports over a private pipe with a per-test token; the parent
relays verdicts to the host prefixed with the run token it read from stdin before any fork.

Protocol (a warm worker serving many candidates): stdin = run token line, then per candidate a
byte-length line and that many bytes of JSON job. stdout = JSON lines ``{"tok", "job", "i",
"status", "message", "value"?, "duration_s"}`` per test, then ``{"tok", "job", "done": true}``
once every process of that candidate is dead and the work dir is empty again.
"""

import builtins
import collections
import contextlib
import functools
import gc
import json
import linecache
import os
import resource
import select
import shutil
import signal
import sys
import time
import traceback

_write = os.write
_exit = os._exit
_exec = exec
_compile = compile
_dumps = json.dumps
_settrace = sys.settrace
_setprofile = sys.setprofile
_BUILTINS = builtins
_BUILTIN_SNAPSHOT = dict(builtins.__dict__)
_HEAPTYPE = 1 << 9
_SUSPECT_DUNDERS = (
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__",
    "__float__", "__int__", "__index__", "__abs__", "__sub__", "__rsub__", "__round__",
    "__contains__", "__hash__", "__str__", "__repr__", "__iter__",
)  # fmt: skip
_MSG_MAX = 600


def _dunders(klass):
    return {d: vars(klass).get(d) for d in _SUSPECT_DUNDERS}


# Standard containers written in Python (heap types that define comparison): a correct answer may
# be a Counter compared with a dict. They are trusted only while their methods are the ones seen
# here, before any candidate ran, so a candidate patching Counter.__eq__ gains nothing.
_TRUSTED = {
    k: _dunders(k)
    for k in (collections.Counter, collections.OrderedDict, collections.defaultdict,
              collections.deque)
}  # fmt: skip


def _short(text: str, limit: int = _MSG_MAX) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 15] + " ...[truncated]"


def _suspect_type(value, depth=0):
    """A Python-defined class that overrides comparison/truthiness could make any assert pass."""
    if depth > 50:
        return None
    tp = type(value)
    trusted = tp in _TRUSTED and _dunders(tp) == _TRUSTED[tp]
    if tp.__flags__ & _HEAPTYPE and not trusted:
        for klass in tp.__mro__:
            if klass.__flags__ & _HEAPTYPE and any(d in vars(klass) for d in _SUSPECT_DUNDERS):
                return tp.__qualname__
    if tp in (list, tuple, set, frozenset) or (trusted and tp is collections.deque):
        for item in value:
            found = _suspect_type(item, depth + 1)
            if found:
                return found
    elif tp is dict or (trusted and isinstance(value, dict)):
        for k, v in value.items():
            found = _suspect_type(k, depth + 1) or _suspect_type(v, depth + 1)
            if found:
                return found
    return None


class _Suspect(Exception):
    pass


def _guard(fn):
    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        result = fn(*args, **kwargs)
        bad = _suspect_type(result)
        if bad:
            raise _Suspect(f"returned an instance of {bad}, which overrides comparison")
        return result

    return guarded


_BIG_INT_DIGITS = 4000  # the host's json refuses longer decimal ints; send those in hex
_DICT_LIKE = (collections.Counter, collections.OrderedDict, collections.defaultdict)


def _plain(value, depth=0):
    """Tagged JSON form of a value, built only from exact built-in types (plus the standard dict
    containers, read through dict's own C methods so no override can lie), so whatever the host
    compares is plain data: no __eq__, no subclass, no hook of the candidate survives it."""
    tp = type(value)
    if depth > 100:
        raise _Suspect("return value nested too deeply")
    if value is None or tp is bool or tp is str:
        return value
    if tp is int:
        if value.bit_length() > _BIG_INT_DIGITS * 3:
            return {"__int__": int.__format__(value, "x")}
        return value
    if tp is float:
        if value != value or value in (float("inf"), float("-inf")):
            return {"__float__": float.__repr__(value)}
        return value
    if tp is list:
        return [_plain(v, depth + 1) for v in list.__iter__(value)]
    if tp is tuple:
        return {"__tuple__": [_plain(v, depth + 1) for v in tuple.__iter__(value)]}
    if tp in (set, frozenset):
        items = [_plain(v, depth + 1) for v in tp.__iter__(value)]
        return {"__set__": sorted(items, key=_dumps)}
    if tp is dict or tp in _DICT_LIKE:
        pairs = dict.items(value)
        return {"__dict__": [[_plain(k, depth + 1), _plain(v, depth + 1)] for k, v in pairs]}
    if tp is collections.deque:
        return {"__deque__": [_plain(v, depth + 1) for v in collections.deque.__iter__(value)]}
    if tp is bytes:
        return {"__bytes__": bytes.hex(value)}
    if tp is complex:
        return {"__complex__": [_plain(value.real, depth + 1), _plain(value.imag, depth + 1)]}
    raise _Suspect(f"returned a {tp.__qualname__}; only built-in values can be compared")


def _limit(job):
    cpu = int(job["cpu_s"])
    for name, soft in (
        ("RLIMIT_AS", job["memory_bytes"]),
        ("RLIMIT_CPU", cpu),
        ("RLIMIT_FSIZE", job["fsize_bytes"]),
        ("RLIMIT_NPROC", job["nproc"]),
        ("RLIMIT_CORE", 0),
    ):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(getattr(resource, name), (soft, soft))


def _source(name, text):
    """Registers source so tracebacks can quote the failing assert line."""
    linecache.cache[name] = (len(text), None, text.splitlines(True), name)
    return _compile(text, name, "exec")


def _child_function(job, test, res_fd, token):
    """Runs candidate + one test; only a completed test writes the token-authenticated pass."""
    if isinstance(test, dict) and "__calls_from__" in test:
        _call_loop(job, test["__calls_from__"], res_fd, token)
    ns = {"__name__": "__candidate__", "__builtins__": _BUILTINS}
    status, message, value = "error", "", None
    try:
        candidate = _source("<candidate>", job["code"])
        checks = _source("<test>", test) if isinstance(test, str) else None
        _exec(candidate, ns)
        _settrace(None)
        _setprofile(None)
        _BUILTINS.__dict__.clear()
        _BUILTINS.__dict__.update(_BUILTIN_SNAPSHOT)
        ns["__builtins__"] = _BUILTINS
        entry = job.get("entry_point")
        # Tests run in a copy of the namespace whose entry point is guarded; the candidate's own
        # (recursive) calls still reach the real function, so the guard costs nothing per call.
        test_ns = ns
        if entry and callable(ns.get(entry)):
            test_ns = dict(ns)
            test_ns[entry] = _guard(ns[entry])
        if checks is not None:
            _exec(checks, test_ns)
        else:
            if not entry or entry not in ns:
                raise NameError(f"entry point {entry!r} is not defined by the candidate")
            value = _plain(test_ns[entry](*test.get("args", []), **test.get("kwargs", {})))
        status = "pass"
    except AssertionError as exc:
        status = "fail"
        tb = traceback.extract_tb(exc.__traceback__)
        where = [f for f in tb if f.filename in ("<test>", "<candidate>")]
        line = (where[-1].line or "") if where else ""
        detail = str(exc)
        message = (
            "AssertionError" + (f": {detail}" if detail else "") + (f" at {line}" if line else "")
        )
    except BaseException as exc:
        status = "error"
        message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    record = {"i": token, "status": status, "message": _short(message)}
    if status == "pass" and value is not None:
        record["value"] = value
    _write(res_fd, _dumps(record).encode())
    _exit(0)


def _emit_line(fd, record):
    data = (_dumps(record) + "\n").encode()
    while data:
        data = data[_write(fd, data) :]


def _call_loop(job, first, res_fd, token):
    """Call mode, in the child: load the candidate once, then evaluate calls `first`.. in order,
    one JSON line each. Only inputs are here: expected values never enter the sandbox, and the
    host compares what these lines carry, so nothing in this process decides a verdict."""
    ns = {"__name__": "__candidate__", "__builtins__": _BUILTINS}
    digest = None
    if job.get("canonical_src"):
        helpers = {"__builtins__": _BUILTINS}
        _exec(_compile(job["canonical_src"], "<canonical>", "exec"), helpers)
        digest = helpers["canonical_form"]
    try:
        _exec(_source("<candidate>", job["code"]), ns)
    except BaseException as exc:
        message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        _emit_line(res_fd, {"t": token, "ready": False, "message": _short(message)})
        _exit(0)
    _settrace(None)
    _setprofile(None)
    _BUILTINS.__dict__.clear()
    _BUILTINS.__dict__.update(_BUILTIN_SNAPSHOT)
    ns["__builtins__"] = _BUILTINS
    _emit_line(res_fd, {"t": token, "ready": True})
    calls, entry, cap = job["calls"], job.get("entry_point"), job["value_bytes"]
    import hashlib

    done_setup = None
    for k in range(first, len(calls)):
        call = calls[k]
        try:
            if "setup" in call and call["setup"] != done_setup:
                _exec(_compile(call["setup"], "<test>", "exec"), ns)
                done_setup = call["setup"]  # the same imports again would change nothing
            if "src" in call:
                value = eval(_compile(call["src"], "<call>", "eval"), ns)
            else:
                if not entry or not callable(ns.get(entry)):
                    raise NameError(f"entry point {entry!r} is not defined by the candidate")
                value = ns[entry](*call.get("args", ()), **call.get("kwargs", {}))
            if call.get("digest"):
                form = digest(value) if digest else _dumps(_plain(value))
                plain = {"__digest__": hashlib.sha256(form.encode()).hexdigest()}
            else:
                plain = _plain(value)
            line = _dumps({"t": token, "c": k, "status": "ok", "value": plain})
            if len(line) > cap:
                why = f"returned a value over {cap} bytes when serialised"
                line = _dumps({"t": token, "c": k, "status": "error", "message": why})
        except BaseException as exc:
            message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            line = _dumps({"t": token, "c": k, "status": "error", "message": _short(message)})
        data = (line + "\n").encode()
        while data:
            data = data[_write(res_fd, data) :]
    _exit(0)


_CAP_KILL, _CAP_SETGID, _CAP_SETUID, _CAP_SETPCAP = 5, 6, 7, 8
_CANDIDATE_UIDS = (1 << 30, (1 << 31) - (1 << 16))  # far from any real account


def _libc():
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_char_p]  # fmt: skip
    return libc


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
    return _LIBC.capset(header, data) == 0


def _capabilities():
    """Effective | permitted | inheritable capability bits of this process (capget(2), so no
    /proc access is needed); -1 when they cannot be read, which counts as privileged."""
    import ctypes

    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    if _LIBC.capget(header, data) != 0:
        return -1
    return data[0] | data[1] | data[2] | data[3] | data[4] | data[5]


def _drop_bounding(keep=()):
    for cap in range(64):
        if cap not in keep:
            _LIBC.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP (needs CAP_SETPCAP; else a no-op)


def _drop_privileges(uid=None):
    """Before any candidate code: no way back to privilege, and never the host's root.

    With `uid` (the harness is host root): every capability goes from the bounding set, then the
    process becomes that unprivileged uid/gid, which clears its capabilities; the securebits are
    locked so nothing can bring them back. Without it (a user namespace, or the process backend
    whose interpreter only root can read) the uid stays and every capability is dropped. Then
    not dumpable, so other processes of the same uid can neither ptrace it nor open its /proc
    fds. Fails closed: a child that is still privileged afterwards exits before the candidate.
    """
    _LIBC.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    _drop_bounding()
    if uid is not None:
        # SECBIT_NOROOT, NO_SETUID_FIXUP off, KEEP_CAPS off, all three locked.
        _LIBC.prctl(28, 0x2B, 0, 0, 0)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    elif os.geteuid() == 0:
        _LIBC.prctl(28, 0x2F, 0, 0, 0)  # NOROOT, NO_SETUID_FIXUP, KEEP_CAPS off, all locked
    _capset(())
    _LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE=0
    if _capabilities() != 0:
        _exit(71)
    ids = (*os.getresuid(), *os.getresgid())
    if uid is not None and ids != (uid,) * 6:
        _exit(71)
    if uid is None and _host_root():
        _exit(71)  # no backend ever runs a candidate as the host's root, capabilities or not


def _child(job, index, res_fd, out_fd, err_fd, token):
    os.setpgid(0, 0)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as fh:
        fh.write("1000")  # under the memory cap, the kernel kills candidates, not the harness
    _limit(job)
    _drop_privileges(job.get("uid"))
    test = job["tests"][index]
    if job["kind"] == "stdio":
        stdin = os.memfd_create("stdin")
        os.write(stdin, str(test.get("input", "")).encode())
        os.lseek(stdin, 0, os.SEEK_SET)
    else:
        stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    high = 200 + (os.getpid() % 700)
    os.dup2(res_fd, high)
    os.closerange(3, high)
    os.closerange(high + 1, 65536)
    if job["kind"] == "stdio":
        ns = {"__name__": "__main__", "__builtins__": _BUILTINS}
        code = 0
        try:
            _exec(_compile(job["code"], "<candidate>", "exec"), ns)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
        try:
            sys.stdout.flush()
        finally:
            _exit(code)
    _child_function(job, test, high, token)


class _Capture:
    def __init__(self, fd, cap):
        self.fd, self.cap, self.buf, self.over, self.open = fd, cap, bytearray(), False, True

    def pump(self):
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        if not data:
            self.open = False
            return
        room = self.cap - len(self.buf)
        self.buf += data[: max(room, 0)]
        if len(data) > room:
            self.over = True


def _sweep(job, pgid):
    """Leave nothing running: the test's group, and in a private PID namespace every process."""
    if pgid > 0:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
    # kill(-1) reaches every process we may signal: only ever as init of a candidate's own PID
    # namespace (bwrap), never in the process backend, whose "-1" would be the whole host.
    if job.get("pidns") and _CONFIG.get("isolate") and os.getpid() <= 3:
        for _ in range(50):
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
            others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) > os.getpid()]
            _reap()
            if not others:
                break
            time.sleep(0.002)
    else:
        for _ in range(50):
            orphans = _children()
            for pid in orphans:
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            _reap()
            if not orphans:
                break
            time.sleep(0.002)
    _reap()


def _children():
    me, found = str(os.getpid()), []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                found.append(int(pid))
    return found


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _run_one(job, index):
    token = os.urandom(16).hex()
    res_r, res_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            _child(job, index, res_w, out_w, err_w, token)
        finally:
            _exit(70)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    for fd in (res_w, out_w, err_w):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    caps = {
        "res": _Capture(res_r, 65536),
        "out": _Capture(out_r, job["output_bytes"]),
        "err": _Capture(err_r, 8192),
    }
    for cap in caps.values():
        os.set_blocking(cap.fd, False)
    deadline = start + job["timeout_s"]
    exited, timed_out, status_code = False, False, None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        fds = [c.fd for c in caps.values() if c.open] + ([] if exited else [pidfd])
        if not fds:
            break
        ready, _, _ = select.select(fds, [], [], min(left, 1.0))
        for cap in caps.values():
            if cap.fd in ready:
                cap.pump()
        if caps["out"].over:
            break
        if pidfd in ready:
            exited = True
            _, raw = os.waitpid(pid, 0)
            status_code = os.waitstatus_to_exitcode(raw)
            deadline = min(deadline, time.monotonic() + 0.05)  # grace for pipe contents only
    duration = time.monotonic() - start
    _sweep(job, pid)
    if not exited:
        try:
            _, raw = os.waitpid(pid, 0)
            status_code = os.waitstatus_to_exitcode(raw)
        except ChildProcessError:
            pass
    for cap in caps.values():
        if cap.open:
            cap.pump()
        os.close(cap.fd)
    os.close(pidfd)
    out = {"i": index, "duration_s": round(duration, 4), "exit": status_code}
    if caps["out"].over:
        out.update(status="error", message=f"output exceeded {job['output_bytes']} bytes")
    elif timed_out and not exited:
        out.update(status="timeout", message=f"timed out after {job['timeout_s']:g}s")
    elif job["kind"] == "stdio":
        out["stdout"] = caps["out"].buf.decode("utf-8", "replace")
        out["stderr"] = _short(caps["err"].buf.decode("utf-8", "replace")[-2000:])
        out["status"] = "pass" if status_code == 0 else "error"
    else:
        out.update(_verdict(caps["res"].buf, token, status_code, caps["err"].buf))
    return out


def _verdict(raw, token, status_code, err):
    try:
        record = json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        record = None
    if not isinstance(record, dict) or record.get("i") != token:
        tail = _short(err.decode("utf-8", "replace")[-400:], 300)
        why = f"exited (code {status_code}) before its test reported a result"
        return {"status": "error", "message": why + (f"; stderr: {tail}" if tail else "")}
    verdict = {"status": record.get("status", "error"), "message": record.get("message", "")}
    if verdict["status"] not in ("pass", "fail", "error"):
        verdict = {"status": "error", "message": "malformed result record"}
    if "value" in record:
        verdict["value"] = record["value"]
    return verdict


def _run_calls(job, emit):
    """Call mode, in the harness parent: outputs of `job["calls"]` (numbered after the tests),
    each emitted as soon as it is known. Function calls share one child that loads the candidate
    once; a call that hangs or crashes it costs only that call: a fresh child takes the next."""
    calls, base = job.get("calls") or [], len(job["tests"])
    if not calls:
        return
    limits = job["call_timeouts"]
    end = time.monotonic() + job["budget_s"]
    if job["kind"] == "stdio":
        for k, text in enumerate(calls):
            left = end - time.monotonic()
            if left <= 0:
                _skip(
                    emit, base, k, len(calls), "timeout", "not run: the job's time budget ran out"
                )
                return
            view = {**job, "tests": [{"input": text}], "timeout_s": min(limits[k], left)}
            view["cpu_s"] = max(1, int(limits[k] + 0.999))
            out = {**_stdio_output(_run_one(view, 0)), "i": base + k}
            emit(out)
            if job.get("stop_on_error") and out["status"] != "ok":
                _skip(emit, base, k + 1, len(calls), "error", "not run: an earlier call failed")
                return
        return
    k = 0
    while k < len(calls):
        k = _calls_child(job, k, emit, base, end)


def _stdio_output(rec):
    out = {"duration_s": rec.get("duration_s", 0.0)}
    if rec.get("status") == "pass":
        out.update(status="ok", value=rec.get("stdout", ""))
    elif rec.get("status") == "timeout":
        out.update(status="timeout", message=rec.get("message", ""))
    else:
        err = str(rec.get("stderr", "")).strip().splitlines()
        why = rec.get("message") or f"exit code {rec.get('exit')}"
        out.update(status="error", message=_short(why + (f": {err[-1][:300]}" if err else "")))
    return out


def _skip(emit, base, start, stop, status, message):
    for k in range(start, stop):
        emit({"i": base + k, "status": status, "message": message, "duration_s": 0.0})


def _calls_child(job, first, emit, base, end):
    """Run calls from `first` in one fresh child; return the index of the next call to run."""
    limits, n = job["call_timeouts"], len(job["calls"])
    token = os.urandom(16).hex()
    res_r, res_w = os.pipe()
    err_r, err_w = os.pipe()
    null = os.open(os.devnull, os.O_WRONLY)
    view = {**job, "tests": [{"__calls_from__": first}], "cpu_s": job["calls_cpu_s"]}
    pid = os.fork()
    if pid == 0:
        try:
            _child(view, 0, res_w, null, err_w, token)
        finally:
            _exit(70)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    for fd in (res_w, err_w, null):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    err = _Capture(err_r, 8192)
    os.set_blocking(res_r, False)
    os.set_blocking(err_r, False)
    buf, k, ready, exited = bytearray(), first, False, False
    line_cap = job["value_bytes"] + 4096
    clock = time.monotonic()
    deadline = min(end, clock + job["timeout_s"])  # loading the candidate
    outcome = None  # why the child stopped early: (status, message)
    try:
        while k < n and outcome is None:
            left = deadline - time.monotonic()
            if left <= 0:
                outcome = ("timeout", None)
                break
            fds = [res_r, err.fd] if err.open else [res_r]
            wait = 0 if exited else left  # after exit only what is already written counts
            ready_fds, _, _ = select.select(fds + ([] if exited else [pidfd]), [], [], wait)
            if err.fd in ready_fds:
                err.pump()
            if pidfd in ready_fds:
                exited = True
            chunk = _drain(res_r, exited)
            buf += chunk
            lines = bytes(buf).split(b"\n") if b"\n" in chunk else [bytes(buf)]
            buf = bytearray(lines.pop())
            for line in lines:
                if k >= n:
                    break
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(rec, dict) or rec.get("t") != token:
                    continue
                now = time.monotonic()
                if not ready and "ready" in rec:
                    if rec["ready"] is not True:
                        why = "the candidate failed to load: " + str(rec.get("message", ""))
                        _skip(emit, base, k, n, "error", _short(why))
                        return n
                    ready, clock, deadline = True, now, min(end, now + limits[k])
                    continue
                if not ready or rec.get("c") != k:
                    continue
                status = rec.get("status")
                out = {"i": base + k, "duration_s": round(now - clock, 4)}
                if status == "ok" and "value" in rec:
                    out.update(status="ok", value=rec["value"])
                else:
                    out.update(status="error", message=_short(str(rec.get("message", ""))))
                emit(out)
                k += 1
                if out["status"] != "ok" and job.get("stop_on_error"):
                    _skip(emit, base, k, n, "error", "not run: an earlier call failed")
                    return n
                if k < n:
                    clock, deadline = now, min(end, now + limits[k])
            if len(buf) > line_cap:
                outcome = ("error", f"returned a value over {job['value_bytes']} bytes")
            elif exited and not chunk and k < n and outcome is None:
                code = None
                with contextlib.suppress(ChildProcessError):
                    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
                err.pump()
                tail = _short(err.buf.decode("utf-8", "replace")[-400:], 300)
                why = f"crashed (exit code {code})" + (f"; stderr: {tail}" if tail else "")
                outcome = ("error", why)
    finally:
        _sweep(job, pid)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        for fd in (res_r, err_r, pidfd):
            os.close(fd)
    if k >= n:
        return n
    status, message = outcome
    if not ready:
        if status == "timeout":
            message = f"the candidate did not finish loading within {job['timeout_s']:g}s"
        _skip(emit, base, k, n, status, _short(message or "the candidate failed to load"))
        return n
    if status == "timeout":
        if time.monotonic() >= end:
            message = "timed out: the job's time budget ran out"
            emit({"i": base + k, "status": "timeout", "message": message, "duration_s": 0.0})
            _skip(emit, base, k + 1, n, "timeout", "not run: the job's time budget ran out")
            return n
        message = f"timed out after {limits[k]:g}s"
    took = round(time.monotonic() - clock, 4)
    emit({"i": base + k, "status": status, "message": _short(message), "duration_s": took})
    if job.get("stop_on_error"):
        _skip(emit, base, k + 1, n, "error", "not run: an earlier call failed")
        return n
    return k + 1


def _drain(fd, exited):
    """Everything readable now; after the child exited, read to end of file."""
    data = bytearray()
    while True:
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            return bytes(data)
        if not chunk:
            return bytes(data)
        data += chunk
        if not exited and len(data) >= 1 << 22:
            return bytes(data)


_PRELOAD = (
    "bisect", "collections", "copy", "dataclasses", "decimal", "fractions", "functools", "hashlib",
    "heapq", "itertools", "math", "operator", "random", "re", "statistics", "string", "typing",
)  # fmt: skip


def _preload():
    """Modules imported once here are free in every forked test: most candidates import these."""
    for name in _PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(name)


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

_CONFIG = {}
_LIBC = None
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
    if _LIBC.mount(enc[0], enc[1], enc[2], flags, enc[3]) != 0:
        err = _errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _errno():
    import ctypes

    return ctypes.get_errno()


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
        _LIBC.umount2(b"/proc", 2)  # MNT_DETACH: back to bwrap's read-only-sys /proc
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
    high = 3 + relay_w % 5
    os.dup2(relay_w, high)
    fd_null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(fd_null, fd)  # the zygote's stdin (future jobs) and stdout are not ours
    os.closerange(3, high)
    os.closerange(high + 1, 65536)
    _run_job(job, functools.partial(_send, high))
    _exit(0)


def _run_job(job, emit):
    for index in range(len(job["tests"])):
        emit(_run_one(job, index))
    _run_calls(job, emit)


def _fork_in_new_pidns():
    """Fork a child that is PID 1 of a new PID namespace, then put the zygote's later children
    back into its own namespace (setns), so each candidate gets a namespace of its own."""
    if _LIBC.unshare(_NEWPID) != 0:
        return -1
    pid = -1
    try:
        pid = os.fork()
    finally:
        if pid != 0 and _LIBC.setns(_OWN_PIDNS, _NEWPID) != 0:
            _exit(76)  # never fork a later candidate into this one's namespace
    return pid


def _isolated(job, emit):
    """Run one candidate in fresh namespaces (see above) and relay its records to `emit`."""
    relay_r, relay_w = os.pipe()
    if _SETNS_BACK:
        init = waited = _fork_in_new_pidns()
    else:
        # In a user namespace that does not own our PID namespace (bwrap run unprivileged
        # nests two) the zygote cannot setns back: a helper unshares and forks the init.
        init = waited = os.fork()
        if waited == 0:
            init = -1  # until the fork below succeeds, this process never runs the job
            try:
                os.close(relay_r)
                if _LIBC.unshare(_NEWPID) != 0:
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
            with contextlib.suppress(OSError):
                os.close(relay_r)
            if _LIBC.unshare(_NEWNS | _NEWIPC) != 0:
                _exit(73)
            _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
            _fresh_mounts(job)
            _candidate_init(job, relay_w)
        finally:
            _exit(74)
    os.close(relay_w)
    seen = set()
    n = len(job["tests"]) + len(job.get("calls") or ())
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
    code = 75
    if waited > 0:  # returns once the kernel has killed everything in the candidate's namespace
        code = os.waitstatus_to_exitcode(os.waitpid(waited, 0)[1])
    if len(seen) < n:
        why = "the sandbox could not set up this candidate" if code else "no result"
        for i in range(n):
            if i not in seen:
                emit({"i": i, "status": "error", "message": f"{why} (code {code})"})


def _candidate_uid():
    """An unprivileged uid/gid of its own for each candidate, when we are the host's root."""
    if not _host_root():
        return None
    low, high = _CANDIDATE_UIDS
    return low + int.from_bytes(os.urandom(4), "big") % (high - low)


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


def _serve(out, run_token):
    """Warm worker loop: one framed job per candidate on stdin, verdicts as JSON lines."""
    inp = sys.stdin.buffer
    while True:
        header = inp.readline()
        if not header:
            return
        job = json.loads(inp.read(int(header)))
        emit = functools.partial(_relay, out, run_token, job["id"])
        if _CONFIG.get("isolate"):
            job["uid"] = _candidate_uid()
            _isolated(job, emit)
        else:
            workdir = _CONFIG.get("wipe_dir") or job["workdir"]
            os.chdir(workdir)
            job["uid"] = _plain_uid(workdir)
            _run_job(job, emit)
            _sweep(job, 0)
            _wipe(workdir)
        _write(out, (_dumps({"tok": run_token, "job": job["id"], "done": True}) + "\n").encode())


def main():
    global _LIBC, _OWN_PIDNS, _SETNS_BACK
    if len(sys.argv) > 1:
        _CONFIG.update(json.loads(sys.argv[1]))
    run_token = sys.stdin.buffer.readline().strip().decode()
    _LIBC = _libc()
    _LIBC.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come back to be swept
    _LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE=0: no other process opens our /proc fds
    # A host that died mid-test shows up as a failed write: sweep everything, then leave.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    out = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    if _CONFIG.get("isolate"):
        os.chdir("/")  # the zygote; the process backend stays in the work dir the host made
        _OWN_PIDNS = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        _SETNS_BACK = _LIBC.setns(_OWN_PIDNS, _NEWPID) == 0
    _preload()
    gc.freeze()  # preloaded objects stay shared with every fork instead of being copied by gc
    try:
        _serve(out, run_token)
    finally:
        _sweep({}, 0)


if __name__ == "__main__":
    main()
