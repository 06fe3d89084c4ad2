"""The call/test protocol, on the parent's side: fork a child per test (or per batch of calls),
capture its output under caps and deadlines, turn what it wrote into records, and leave nothing
running afterwards."""

import contextlib
import json
import os
import select
import signal
import time

from .child import _child
from .state import _CONFIG, _exit, _short


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
    """Leave nothing running: the test's group, and in a private PID namespace every process
    (but the job's own call server, `spare_pids`, while its tests still need it)."""
    if pgid > 0:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
    spare = set(job.get("spare_pids") or ())
    # kill(-1) reaches every process we may signal: only ever as init of a candidate's own PID
    # namespace (bwrap), never in the process backend, whose "-1" would be the whole host.
    if job.get("pidns") and _CONFIG.get("isolate") and os.getpid() <= 3 and not spare:
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
            orphans = [pid for pid in _children() if pid not in spare]
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
        "res": _Capture(res_r, job.get("result_bytes", 65536)),
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
    calls, base = job.get("calls") or [], job["n_tests"]
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
