"""The sandbox child: runs designer scripts under RestrictedPython in its own process.

Started by :mod:`engine.process.sandbox.runner` as ``python -m engine.process.sandbox.child``, it reads
one JSON request per line on stdin and writes one JSON answer per line on stdout. It never
touches the database or the files of the server: its environment is empty, it may not create
files, and its memory is capped (RLIMIT_AS) once its own imports are done. The parent enforces
the wall-clock limit by killing it; RLIMIT_CPU is a backstop if the parent is gone.

Errors are answered as ``{"ok": false, "kind": ..., "line": n|null, "message": ...}`` where
``kind`` is one of ``compile``, ``runtime``, ``memory``, ``data``; the parent turns them into
translated messages.
"""

from __future__ import annotations

import ast
import json
import math
import operator
import resource
import signal
import sys
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from types import CodeType
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
)
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from engine.process.sandbox.helpers import HelperError, ScriptHelpers

SCRIPT_FILENAME = "<script>"

class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: no imports at all (a clearer message than a failing
    ``__import__``), no ``global``/``nonlocal``, no ``with``."""

    def visit_Import(self, node: ast.Import) -> Any:
        self.error(node, "imports")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        self.error(node, "imports")

    def visit_Global(self, node: ast.Global) -> Any:
        self.error(node, "global")

    def visit_Nonlocal(self, node: ast.Nonlocal) -> Any:
        self.error(node, "global")

    def visit_With(self, node: ast.With) -> Any:
        self.error(node, "with")


class ForbiddenAttribute(AttributeError):
    """A script reached for an attribute outside plain data (``__class__``, ``gi_frame``...)."""


class _Math:
    """``math.floor``, ``math.ceil``, ``math.sqrt``, ``math.isclose`` without the module."""

    floor = staticmethod(math.floor)
    ceil = staticmethod(math.ceil)
    sqrt = staticmethod(math.sqrt)
    isclose = staticmethod(math.isclose)


#: Types whose public attributes scripts may read: the JSON types (their methods) and math.
_ATTRIBUTE_TYPES = frozenset({str, int, float, bool, list, dict, tuple, set, frozenset, type(None), _Math})
#: str.format/format_map reach attributes through the format string ("{0.__class__}").
_FORMAT_METHODS = frozenset({"format", "format_map"})


def _guarded_getattr(obj: Any, name: Any, *default: Any) -> Any:
    """Attribute access for scripts: only public, non-introspective attributes of plain data."""
    if (
        not isinstance(name, str)
        or name.startswith("_")
        or name in INSPECT_ATTRIBUTES
        or name in _FORMAT_METHODS
        or type(obj) not in _ATTRIBUTE_TYPES
    ):
        raise ForbiddenAttribute(str(name))
    return getattr(obj, name, *default[:1])


def _guarded_getitem(obj: Any, index: Any) -> Any:
    return obj[index]


def _guarded_write(obj: Any) -> Any:
    """Scripts may change their own lists, dicts and sets in place, nothing else."""
    if type(obj) in (list, dict, set):
        return obj
    raise ForbiddenAttribute("assignment")


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "|=": operator.ior,
    "&=": operator.iand,
    "^=": operator.ixor,
}


def _inplacevar(op: str, left: Any, right: Any) -> Any:
    return _INPLACE[op](left, right)


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


class _DiscardPrint:
    """``print`` in a script goes nowhere: there is no console to read it."""

    def __init__(self, _getattr_: Any = None) -> None:
        pass

    def _call_print(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self) -> str:
        return ""


_ALLOWED_BUILTINS = (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "frozenset", "int",
    "isinstance", "len", "list", "map", "max", "min", "range", "reversed", "round", "set", "sorted",
    "str", "sum", "tuple", "zip", "chr", "ord", "None", "True", "False",
    "ArithmeticError", "Exception", "KeyError", "IndexError", "TypeError", "ValueError", "ZeroDivisionError",
)  # fmt: skip

#: The names every script sees besides its data and the helpers.
SCRIPT_BUILTINS: tuple[str, ...] = (*_ALLOWED_BUILTINS, "math")

#: Builtins a Python programmer may try that scripts deliberately do not have.
UNAVAILABLE = frozenset({
    "open", "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "dir", "input",
    "breakpoint", "help", "getattr", "setattr", "delattr", "hasattr", "type", "object", "super",
    "memoryview", "bytearray", "exit", "quit", "print",
})  # fmt: skip


def _builtins() -> dict[str, Any]:
    import builtins

    allowed = {name: getattr(builtins, name) for name in _ALLOWED_BUILTINS}
    allowed["math"] = _Math()
    return allowed


GUARDS: dict[str, Any] = {
    "__builtins__": _builtins(),
    "__name__": "script",
    "_getattr_": _guarded_getattr,
    "_getitem_": _guarded_getitem,
    "_getiter_": iter,
    "_write_": _guarded_write,
    "_inplacevar_": _inplacevar,
    "_apply_": _apply,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_print_": _DiscardPrint,
}


# --- compiling ---------------------------------------------------------------------------

_CODE_CACHE: OrderedDict[tuple[str, str], CodeType] = OrderedDict()
_CODE_CACHE_SIZE = 512


class ScriptFailure(Exception):
    """One or more problems, each ``{"line", "key", "params"}``; the parent words them."""

    def __init__(self, kind: str, problems: list[dict[str, Any]]):
        super().__init__(kind)
        self.kind = kind
        self.problems = problems

    @classmethod
    def one(cls, kind: str, message_key: str, line: int | None = None, **params: Any) -> ScriptFailure:
        return cls(kind, [{"line": line, "key": message_key, "params": params}])

    def answer(self) -> dict[str, Any]:
        return {"ok": False, "kind": self.kind, "problems": self.problems}


def _policy_problem(raw: str) -> dict[str, Any]:
    """RestrictedPython reports ``Line N: <text>``; keep N and name the problem."""
    head, _, text = raw.partition(": ")
    try:
        line: int | None = int(head.removeprefix("Line ").strip())
    except ValueError:
        line, text = None, raw
    text = text.strip()
    if text in _POLICY_KEYS:
        return {"line": line, "key": text, "params": {}}
    name = text.split('"')[1] if text.count('"') >= 2 else ""
    if "restricted name" in text:
        return {"line": line, "key": "attribute", "params": {"name": name}}
    if name and ("starts with" in text or "ends with" in text):
        return {"line": line, "key": "underscore", "params": {"name": name}}
    return {"line": line, "key": "forbidden", "params": {"detail": text}}


_POLICY_KEYS = frozenset({"imports", "global", "with"})


def compile_script(code: str, mode: str) -> CodeType:
    """Parse, check against the policy and compile; cached, since conditions repeat a lot."""
    key = (mode, code)
    cached = _CODE_CACHE.get(key)
    if cached is not None:
        _CODE_CACHE.move_to_end(key)
        return cached
    try:
        tree = ast.parse(code, SCRIPT_FILENAME, mode)
    except SyntaxError as err:
        raise ScriptFailure.one("compile", "syntax", err.lineno, detail=err.msg) from None
    except (ValueError, RecursionError, MemoryError) as err:
        raise ScriptFailure.one("compile", "syntax", None, detail=type(err).__name__) from None
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(tree, filename=SCRIPT_FILENAME, policy=_Policy)  # type: ignore[arg-type]
    if result.errors or result.code is None:
        raise ScriptFailure("compile", [_policy_problem(e) for e in result.errors])
    _CODE_CACHE[key] = result.code
    if len(_CODE_CACHE) > _CODE_CACHE_SIZE:
        _CODE_CACHE.popitem(last=False)
    return result.code


# --- running -----------------------------------------------------------------------------

class _RequestClock:
    """The parent's "now", sent with each request: ``today()`` and the terms of a script follow the
    engine's clock (the moment the step runs), not this process's own."""

    moment: datetime | None = None

    def __call__(self) -> datetime:
        return self.moment or datetime.now(UTC)


_CLOCK = _RequestClock()
_HELPERS: dict[tuple[tuple[str, ...], bool], dict[str, Any]] = {}


def _helpers(config: dict[str, Any] | None) -> dict[str, Any]:
    """The helper namespace for one tenant calendar (cached: tenants repeat)."""
    config = config or {}
    key = (tuple(sorted(config.get("local_holidays") or ())), bool(config.get("aran")))
    helpers = _HELPERS.get(key)
    if helpers is None:
        from engine.calendar import TenantCalendar

        calendar = TenantCalendar(local_holidays=[date.fromisoformat(d) for d in key[0]], aran=key[1])
        helpers = ScriptHelpers(calendar, _CLOCK).namespace()
        if len(_HELPERS) > 64:
            _HELPERS.clear()
        _HELPERS[key] = helpers
    return helpers


def _script_line(tb: Any) -> int | None:
    line = None
    for frame in traceback.extract_tb(tb):
        if frame.filename == SCRIPT_FILENAME:
            line = frame.lineno
    return line


def _runtime_failure(err: BaseException) -> ScriptFailure:
    line = _script_line(err.__traceback__)
    if isinstance(err, MemoryError):
        return ScriptFailure.one("memory", "memory", line)
    if isinstance(err, RecursionError):
        return ScriptFailure.one("runtime", "recursion", line)
    if isinstance(err, ForbiddenAttribute):
        return ScriptFailure.one("runtime", "attribute", line, name=str(err))
    if isinstance(err, NameError):
        name = getattr(err, "name", None) or str(err)
        return ScriptFailure.one("runtime", "unavailable" if name in UNAVAILABLE else "name", line, name=name)
    if isinstance(err, HelperError):
        return ScriptFailure.one("runtime", "helper", line, detail=str(err))
    if isinstance(err, ZeroDivisionError):
        return ScriptFailure.one("runtime", "zero_division", line)
    if isinstance(err, KeyError):
        return ScriptFailure.one("runtime", "key", line, key=str(err.args[0]) if err.args else "")
    return ScriptFailure.one("runtime", "error", line, error=type(err).__name__, detail=str(err)[:300])


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON: exactly what the parent will store in task data."""
    return json.loads(json.dumps(value, default=_json_default, allow_nan=False))


def _json_default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(type(value).__name__)


def _namespace(request: dict[str, Any], data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Globals of one run: helpers, then external context, then task data (data may shadow a
    helper's name), then the guards (nothing may shadow those)."""
    base = dict(_helpers(request.get("calendar")))
    base.update(request.get("extra") or {})
    namespace = dict(base)
    namespace.update({k: v for k, v in data.items() if not k.startswith("_")})
    namespace.update(GUARDS)
    return namespace, base


def _changes(
    before: dict[str, Any], after: dict[str, Any], base: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Variables the script set or changed (JSON values only), and the ones it deleted."""
    changed: dict[str, Any] = {}
    for name, value in after.items():
        if name.startswith("_") or name in GUARDS or (name in base and value is base[name]):
            continue
        if callable(value):
            continue
        try:
            value = _jsonable(value)
        except (TypeError, ValueError):
            kind = type(value).__name__
            raise ScriptFailure.one("data", "unstorable", None, name=name, type=kind) from None
        if name not in before or before[name] != value:
            changed[name] = value
    deleted = [name for name in before if name not in after and not name.startswith("_")]
    return changed, deleted


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Answer one request: ``check`` (compile only), ``eval`` or ``exec``."""
    op = request.get("op")
    code = request.get("code") or ""
    if op == "check":
        compile_script(code, "eval" if request.get("mode") == "eval" else "exec")
        return {"ok": True}
    mode = "eval" if op == "eval" else "exec"
    compiled = compile_script(code, mode)
    data_json = request.get("data_json") or "{}"
    _CLOCK.moment = datetime.fromisoformat(request["now"]) if request.get("now") else None
    namespace, base = _namespace(request, json.loads(data_json))
    try:
        result = eval(compiled, namespace)  # noqa: S307 - restricted code in a guarded namespace
    except BaseException as err:  # the script may raise anything, SystemExit included
        raise _runtime_failure(err) from None
    if mode == "eval":
        try:
            return {"ok": True, "result": _jsonable(result)}
        except (TypeError, ValueError):
            raise ScriptFailure.one("data", "unstorable_result", None, type=type(result).__name__) from None
    changed, deleted = _changes(json.loads(data_json), namespace, base)
    return {"ok": True, "set": changed, "del": deleted}


def _limit_resources(memory_mb: int) -> None:
    """Cap the address space at what the imports took plus ``memory_mb``; no files, no cores."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[0])
    used = pages * resource.getpagesize()
    cap = used + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _arm_cpu_backstop(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spent = usage.ru_utime + usage.ru_stime
    soft = int(spent + seconds) + 2
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def serve(lines: Iterable[bytes], write: Callable[[bytes], Any], timeout: float) -> None:
    for raw in lines:
        try:
            _arm_cpu_backstop(timeout)
            answer = handle(json.loads(raw))
        except ScriptFailure as failure:
            answer = failure.answer()
        except MemoryError:
            answer = ScriptFailure.one("memory", "memory").answer()
        except Exception as err:  # one bad request never ends the loop
            answer = _runtime_failure(err).answer()
        try:
            payload = json.dumps(answer, allow_nan=False).encode() + b"\n"
        except (TypeError, ValueError, MemoryError):
            fallback = ScriptFailure.one("data", "unstorable_result", type="?").answer()
            payload = json.dumps(fallback).encode() + b"\n"
        write(payload)


def main() -> None:
    memory_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    sys.setrecursionlimit(400)
    # Warm up what scripts commonly reach, before the memory cap: the helpers and the calendar.
    _helpers(None)["working_days"](1, "2026-01-02")
    compile_script("a > 1 and b == 'x'", "eval")
    _limit_resources(memory_mb)
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer

    def write(payload: bytes) -> None:
        stdout.write(payload)
        stdout.flush()

    sys.stdout = sys.stderr  # nothing but answers on the answer pipe
    write(b'{"ready":true}\n')
    serve(iter(stdin.readline, b""), write, timeout)


if __name__ == "__main__":
    main()
