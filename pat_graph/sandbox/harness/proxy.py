"""Test code run against proxies of the candidate's functions, away from the candidate.

Shared by the host (the judge runs a benchmark's trusted hidden tests here: sandbox/proxy.py)
and the sandbox (in-loop tests that cannot be split run here in a process of their own, forked
after the candidate's processes are dead: protocol.py). Either way the test never shares a
process with candidate code: each call of a candidate function becomes a request with plain
arguments, answered by a separate child with a plain value (`plain.py`). The candidate can only
choose what its functions return; every comparison and every verdict happens here.

Calls are batched: a run without answers records every call (returning a placeholder that goes
along with whatever the test does, asserts included) so one sandbox run answers the whole chain;
the test then runs again with the real answers. If its calls differ from those recorded (control
flow that depends on an answer), the calls from there on are asked for in another round. A
verdict is only taken from a run in which every call had its real answer.
"""

import ast
import builtins
import functools
import random
import sys
import traceback
import types

from .plain import _plain, _Suspect, decode, strict_equal

MAX_RECORDED = 5000  # calls recorded in one speculative run
_FAILED = "__pat_assert_failed__"
_TRUTH = "__pat_assert_holds__"
_EQUAL = "__pat_equal__"
_SHOW = 160


class CandidateError(Exception):
    """A call of the candidate raised an exception that is not a built-in one here."""


class CallTimedOut(BaseException):
    """A call of the candidate ran out of time (not swallowed by a test's `except Exception`)."""


class Deadline(BaseException):
    """The test itself ran out of time."""


class _Stop(BaseException):
    """Ends a speculative run: the next call needs an answer that is not there yet."""


_REF = "\x00pat-ref:%d\x00"  # "the answer of the call this many places back"


class Pending:
    """What a call returns before its answer is known. Never part of a verdict. Passed to a later
    call, it is sent as a reference to the call it stands for (`encode_cyclic` then `decode`)."""

    def __init__(self, index=-1):
        self._index = index

    def __call__(self, *args, **kwargs):
        return self

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key):
        return self

    # A comparison is another placeholder: an assert goes on past it (`_truth`), while control
    # flow on it (`if`, `while`) ends the run, since only a real answer can say where it goes.
    def __eq__(self, other):
        return self

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__

    def __bool__(self):
        raise _Stop

    def __hash__(self):
        return 0

    def __len__(self):
        return 0

    def __iter__(self):
        return iter(())

    def __contains__(self, item):
        return True

    def __float__(self):
        return 0.0

    def __int__(self):
        return 0

    __index__ = __int__

    def __str__(self):
        return ""

    def __repr__(self):
        return "<pending>"

    def _same(self, *_):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _same
    __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = __round__ = __and__ = __or__ = _same


class _Session:
    """The calls of one run: answered from earlier rounds while they match, recorded (with a
    placeholder returned) from the first one without an answer."""

    def __init__(self, answers):
        self.answers = answers  # [[key, {"status", "value"?, "message"?}], ...]
        self.position = 0
        self.start = None  # where recording began; answers from there on are stale
        self.recorded = []

    @property
    def speculating(self):
        return self.start is not None

    def call(self, name, args, kwargs):
        here = len(self.recorded)
        try:
            argv = _plain(_refs((args, kwargs), here) if self.speculating else (args, kwargs))
        except (_Suspect, RecursionError):
            if self.speculating:
                raise _Stop from None  # an argument depends on an answer still to come
            raise TypeError(
                f"{name}() got an argument that cannot be sent to the candidate's sandbox "
                "(only built-in values can)"
            ) from None
        key = call_key(name, argv)
        if not self.speculating:
            k = self.position
            if k < len(self.answers) and self.answers[k][0] == key:
                self.position += 1
                return _realise(self.answers[k][1])
            self.start = k
        if here >= MAX_RECORDED:
            raise _Stop
        self.recorded.append([key, {"fn": name, "argv": argv}])
        return Pending(here)

    def failed(self, message=None):
        if not self.speculating:
            raise AssertionError(*(() if message is None else (message,)))


def call_key(name, argv):
    """Identifies a call by its function and plain arguments (plain data has one spelling: its
    only dicts are one-key tags, so `repr` is as exact as JSON and much cheaper)."""
    return name + "\x00" + repr(argv)


def _refs(value, here, depth=0):
    """`value` with every placeholder replaced by a reference to the call it stands for."""
    tp = type(value)
    if tp is Pending:
        if value._index < 0:
            raise _Stop
        return _REF % (here - value._index)
    if depth > 100:
        return value
    if tp in (list, tuple):
        return tp(_refs(v, here, depth + 1) for v in value)
    if tp is dict:
        return {k: _refs(v, here, depth + 1) for k, v in value.items()}
    return value


def resolve(recorded, outcomes):
    """The keys of recorded calls once answered: each reference to an earlier call replaced by
    that call's plain answer, so a run with real values recognises the call as the same one.
    None where a referenced call gave no value (the run will not get that far anyway)."""
    keys = []
    for k, ((_key, call), _outcome) in enumerate(zip(recorded, outcomes, strict=True)):
        try:
            argv = _resolved(call["argv"], k, outcomes)
            keys.append(call_key(call["fn"], argv))
        except LookupError:
            keys.append(None)
    return keys


def _resolved(value, k, outcomes):
    if isinstance(value, str) and value.startswith("\x00pat-ref:"):
        back = int(value[len("\x00pat-ref:") : -1])
        source = outcomes[k - back] if 0 < back <= k else None
        if not source or source.get("status") != "ok":
            raise LookupError(value)
        return source.get("value")
    if isinstance(value, list):
        return [_resolved(v, k, outcomes) for v in value]
    if isinstance(value, dict):
        return {t: _resolved(v, k, outcomes) for t, v in value.items()}
    return value


def unref(value, k, results):
    """In the candidate's child: a decoded argument with each reference replaced by the value
    that call `k - back` of the same batch returned."""
    if type(value) is str and value.startswith("\x00pat-ref:"):
        back = int(value[len("\x00pat-ref:") : -1])
        if (k - back) not in results:
            raise LookupError("an argument depends on a call that gave no value")
        return results[k - back]
    if type(value) in (list, tuple):
        return type(value)(unref(v, k, results) for v in value)
    if type(value) is dict:
        return {t: unref(v, k, results) for t, v in value.items()}
    return value


class _Proxy:
    """Stands for one of the candidate's functions."""

    def __init__(self, name, session):
        self._name, self._session = name, session

    def __call__(self, *args, **kwargs):
        return self._session.call(self._name, args, kwargs)

    def __repr__(self):
        return f"<candidate's {self._name}>"


def _realise(outcome):
    """The answer as the test sees it: the plain value, or the exception the call raised."""
    status = outcome.get("status")
    if status == "timeout":
        raise CallTimedOut(outcome.get("message") or "timed out")
    if status != "ok":
        raise _exception(str(outcome.get("message", "")))
    return decode(outcome.get("value"))


def _exception(message):
    """A built-in exception of the type the candidate raised (so `except ValueError` in a test
    still works); anything else becomes CandidateError."""
    head, _, rest = message.partition(":")
    cls = getattr(builtins, head.strip(), None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls is not StopIteration:
        try:
            return cls(rest.strip())
        except Exception:
            pass
    return CandidateError(message)


class _SoftAsserts(ast.NodeTransformer):
    """`assert T, M` becomes `if not T: __pat_assert_failed__(M)`: a failed assert raises as usual
    once every answer is real, but a speculative run goes on past it to record the calls after
    it (HumanEval/32 asserts on each of 100 answers in a loop). `a == b` becomes the strict
    equality of `_equal`, under which `True` is not `1`. New nodes take the location of the
    node they replace; literal data (often most of a test) is not walked at all."""

    def visit_Constant(self, node):
        return node

    def _elements(self, node):
        if not all(isinstance(e, ast.Constant) for e in getattr(node, "elts", ())):
            self.generic_visit(node)
        return node

    visit_List = visit_Tuple = visit_Set = _elements

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            return node
        call = _at(ast.Call(_at(ast.Name(_EQUAL, ast.Load()), node),
                            [node.left, node.comparators[0]], []), node)  # fmt: skip
        if isinstance(node.ops[0], ast.NotEq):
            call = _at(ast.UnaryOp(_at(ast.Not(), node), call), node)
        return call

    def visit_Assert(self, node):
        self.generic_visit(node)
        message = node.msg if node.msg is not None else _at(ast.Constant(None), node)
        call = _at(ast.Call(_at(ast.Name(_FAILED, ast.Load()), node), [message], []), node)
        truth = _at(ast.Call(_at(ast.Name(_TRUTH, ast.Load()), node), [node.test], []), node)
        test = _at(ast.UnaryOp(_at(ast.Not(), node), truth), node)
        return _at(ast.If(test, [_at(ast.Expr(call), node)], []), node)


def _at(new, old):
    for name in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        if hasattr(old, name):
            setattr(new, name, getattr(old, name))
    return new


def _equal(a, b):
    """`a == b` in a test: strict about bools (`plain.strict_equal`); a placeholder is only ever
    equal to go on recording."""
    if type(a) is Pending or type(b) is Pending:
        return Pending()
    return strict_equal(a, b)


def _truth(value):
    """An assert's condition: a placeholder counts as holding (the run only records calls)."""
    return True if type(value) is Pending else bool(value)


@functools.lru_cache(maxsize=512)
def compile_test(source):
    """The test as code with soft asserts (raises SyntaxError like `compile`); code objects are
    immutable, so a test judged again (another sample of the same task) is compiled once."""
    return compile(_SoftAsserts().visit(ast.parse(source)), "<test>", "exec")


@functools.lru_cache(maxsize=512)
def free_names(source):
    """Names a test reads but never binds: the candidate's functions (and modules it forgot to
    import). Scope-blind on purpose: a name bound anywhere in the test is the test's."""
    loaded, bound = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return frozenset(loaded - bound - set(dir(builtins)))


def _seeded_random(seed=1234):
    """A `random` module of the test's own with a fixed seed: a test drawing random inputs
    (HumanEval/32, /38, /50, /53) must draw the same ones in every round, or no round's answers
    would fit the next run's calls. The process's own `random` is never touched."""
    private = random.Random(seed)
    module = types.ModuleType("random")
    module.__dict__.update({k: v for k, v in vars(random).items() if not k.startswith("_")})
    for name in dir(private):
        if not name.startswith("_") and hasattr(random, name) and callable(getattr(private, name)):
            setattr(module, name, getattr(private, name))
    return module


def _importer(seeded):
    real = builtins.__import__

    def load(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "random" and level == 0:
            return seeded
        return real(name, globals, locals, fromlist, level)

    return load


def run_test(code, source, names, prelude, answers, guard, timeout_s):
    """One run of one test. Returns {"status", "message"} (a verdict) or {"start", "calls"}: the
    calls it needs answered, recorded from position `start` of `answers` on.

    `guard(run, timeout_s)` runs `run` under a deadline and raises Deadline past it."""
    session = _Session(answers)
    if "random" in source or "random" in prelude:
        seeded = _seeded_random()
        own_builtins = {**vars(builtins), "__import__": _importer(seeded)}
    else:
        seeded, own_builtins = None, builtins  # a test that never names `random` draws nothing
    ns = {**prelude, "__name__": "__test__", "__builtins__": own_builtins}
    ns.update({_FAILED: session.failed, _TRUTH: _truth, _EQUAL: _equal})
    if "random" in ns and seeded is not None:
        ns["random"] = seeded
    for name in names:
        if name == "random" and seeded is not None:
            ns[name] = seeded
        elif name in sys.stdlib_module_names:
            try:
                ns[name] = __import__(name)  # used without an import by the test
            except ImportError:
                ns[name] = _Proxy(name, session)
        else:
            ns[name] = _Proxy(name, session)
    status, message = "pass", ""
    try:
        guard(lambda: exec(code, ns), timeout_s)
    except _Stop:
        pass
    except AssertionError as exc:
        status, message = "fail", _assert_message(exc, source)
    except CallTimedOut as exc:
        status, message = "timeout", _text(exc)
    except Deadline:
        status, message = "timeout", f"the test ran past {timeout_s:g}s"
    except Exception as exc:
        status, message = "error", f"{type(exc).__name__}: {_text(exc)}"
    if session.speculating:
        if session.recorded:
            return {"start": session.start, "calls": session.recorded}
        if status == "pass":
            status, message = "error", "the test's calls could not be sent to the sandbox"
    return {"status": status, "message": message}


def _text(exc, limit=300):
    try:
        text = str(exc)
    except Exception:
        text = f"<{type(exc).__name__} that cannot be shown>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _assert_message(exc, source):
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<test>"]
    line = ""
    if frames and frames[-1].lineno:
        lines = source.splitlines()
        if 0 < frames[-1].lineno <= len(lines):
            line = lines[frames[-1].lineno - 1].strip()
    detail = _text(exc)
    text = "AssertionError" + (f": {detail}" if detail else "") + (f" at {line}" if line else "")
    return text if len(text) <= _SHOW else text[: _SHOW - 3] + "..."


def alarm_guard(run, timeout_s):
    """A deadline for the main thread of a process of its own (the sandbox's test process)."""
    import signal

    def ring(_sig, _frame):
        raise Deadline

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, max(timeout_s, 0.001))
    try:
        return run()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_round(tests, answers, guard):
    """One run of every test of a round (the sandbox's test process): `tests` are dicts with
    "source", "names" and "timeout_s"; returns one `run_test` result per test."""
    results = []
    for test, known in zip(tests, answers, strict=True):
        try:
            code = compile_test(test["source"])
        except (SyntaxError, ValueError, RecursionError) as exc:
            results.append({"status": "error", "message": f"{type(exc).__name__}: {_text(exc)}"})
            continue
        results.append(
            run_test(code, test["source"], test["names"], {}, known, guard, test["timeout_s"])
        )
    return results
