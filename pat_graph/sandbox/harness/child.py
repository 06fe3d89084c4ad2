"""A child of the candidate's runner: forked per batch of calls (or per stdio run, or per round of
tests), it drops every privilege and installs the seccomp filter before anything else runs; then
it loads the candidate and answers calls, or runs a round of tests against proxies of it."""

import contextlib
import linecache
import os
import resource
import signal
import sys
import traceback

from . import proxy, seccomp, state
from .plain import _plain, decode
from .privileges import _drop_privileges
from .state import (
    _BUILTIN_SNAPSHOT,
    _BUILTINS,
    _compile,
    _dumps,
    _emit_line,
    _exec,
    _exit,
    _setprofile,
    _settrace,
    _short,
    _write,
)


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
    """A function-kind child: either the candidate answering calls, or (never both) one round
    of tests run against proxies of it, in a process with no candidate code (see `job.py`)."""
    if "__calls_from__" in test:
        _call_loop(job, test["__calls_from__"], res_fd, token)
    status, message, value = "error", "", None
    try:
        if "__round__" not in test:
            raise ValueError("tests never run next to the candidate")
        rounds = test["__round__"]
        value = proxy.run_round(rounds["tests"], rounds["answers"], proxy.alarm_guard)
        status = "pass"
    except BaseException as exc:
        message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    record = {"i": token, "status": status, "message": _short(message)}
    if value is not None:
        record["value"] = value
    data = _dumps(record).encode()
    while data:
        data = data[_write(res_fd, data) :]
    _exit(0)


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
    results = {}  # what earlier proxied calls of this batch returned, for references to them
    for k in range(first, len(calls)):
        call = calls[k]
        try:
            if "setup" in call and call["setup"] != done_setup:
                _exec(_compile(call["setup"], "<test>", "exec"), ns)
                done_setup = call["setup"]  # the same imports again would change nothing
            if "fn" in call:
                # A proxied call (sandbox/proxy.py): the host ran the test and sends only the
                # name of the candidate's function and plain arguments.
                fn = ns.get(call["fn"])
                if not callable(fn):
                    raise NameError(f"name {call['fn']!r} is not a function of the candidate")
                args, kwargs = proxy.unref(decode(call["argv"]), k, results)
                value = fn(*args, **kwargs)
                results[k] = value
            elif "src" in call:
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


def _child(job, index, res_fd, out_fd, err_fd, token):
    os.setpgid(0, 0)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as fh:
        fh.write("1000")  # under the memory cap, the kernel kills candidates, not the harness
    _limit(job)
    _drop_privileges(job.get("uid"))
    try:
        seccomp.install(state.LIBC)
    except OSError:
        _exit(77)  # fail closed: no candidate runs without the filter where it is known
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
