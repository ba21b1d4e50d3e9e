"""Running untrusted designer code: scripts, gateway conditions, DMN cells, timer expressions.

SpiffWorkflow's default environment runs plain ``exec``/``eval`` in the server. Here every
piece of code runs in a long-lived child process per thread (:mod:`engine.process.sandbox.child`)
under RestrictedPython, with a memory cap and a wall-clock limit: a script that loops or
allocates without end is killed, the child respawned, and the designer gets a clean error.
Only plain comparisons, arithmetic and assignments on task data are computed in the server,
by walking their syntax tree, never by ``eval`` (:mod:`engine.process.sandbox.inline`).

The boundary is JSON lines on a pipe. Task data crosses it as JSON (dates as ISO strings);
after a script, only the variables it changed come back, so values it did not touch keep
their Python type in the parent.
"""

from __future__ import annotations

import ast
import json
import os
import select
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.base.clock import utcnow
from engine.base.i18n import _l
from engine.base.settings import PROJECT_ROOT, Settings, current_settings
from engine.process.sandbox import inline


@dataclass(frozen=True)
class CalendarConfig:
    """The tenant calendar as the child needs it: local holidays (ISO dates) and Aran."""

    local_holidays: tuple[str, ...] = ()
    aran: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"local_holidays": list(self.local_holidays), "aran": self.aran}


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float
    memory_mb: int


def current_limits() -> Limits:
    """The limits of the running app (``GEE_SCRIPT_*``), or of the environment outside one."""
    try:

        settings = current_settings()
    except (RuntimeError, KeyError):
        settings = Settings.from_env()
    return Limits(settings.script_timeout_seconds, settings.script_memory_mb)


_MESSAGES = {
    "syntax": _l("the code is not valid Python (%(detail)s)."),
    "imports": _l("imports are not allowed in scripts."),
    "global": _l("global and nonlocal are not allowed in scripts."),
    "with": _l("'with' blocks are not allowed in scripts."),
    "underscore": _l("names starting or ending with an underscore (%(name)s) are not allowed in scripts."),
    "forbidden": _l("this is not allowed in scripts: %(detail)s"),
    "attribute": _l("'%(name)s' cannot be used in scripts: only plain values and their methods."),
    "unavailable": _l("'%(name)s' is not available in scripts."),
    "name": _l("'%(name)s' is not defined: it is neither task data nor a helper function."),
    "zero_division": _l("division by zero."),
    "key": _l("the key %(key)s is not in the data."),
    "recursion": _l("too many nested calls (a function that calls itself without end?)."),
    "memory": _l("the script needs more memory than allowed (%(memory_mb)s MB)."),
    "timeout": _l("the script ran longer than allowed (%(seconds)s s) and was stopped."),
    "crashed": _l("the script stopped unexpectedly."),
    "unstorable": _l("the variable %(name)s holds a value that cannot be saved in task data (%(type)s)."),
    "unstorable_result": _l("the expression gives a value that cannot be used (%(type)s)."),
    "too_big": _l("the script produced more data than allowed (%(megabytes)s MB)."),
    "data_in": _l("the task data cannot be passed to the script (%(detail)s)."),
}
#: How long a new sandbox child may take to import what it needs (a loaded host is slow).
STARTUP_SECONDS = 60.0
#: Task data a script may hand back in one go; more is refused (the child is restarted).
MAX_ANSWER_BYTES = 16 * 2**20
_WITH_LINE = _l("Line %(line)s: %(message)s")


@dataclass(frozen=True)
class ScriptProblem:
    """One thing wrong with a piece of designer code, worded for the designer."""

    key: str
    line: int | None
    params: dict[str, Any]

    @property
    def message(self) -> str:
        params = _defaults(self.params)
        if self.key in _MESSAGES:
            body = str(_MESSAGES[self.key]) % params
        elif self.key == "helper":  # the helper library words its own messages
            body = str(params["detail"])
        else:  # any other Python error, as Python names it
            body = f"{params['error']}: {params['detail']}"
        return str(_WITH_LINE % {"line": self.line, "message": body}) if self.line else _capitalize(body)


def _defaults(params: dict[str, Any]) -> dict[str, Any]:
    return {"detail": "", "error": "Error", "name": "", "type": "", "key": "", **params}


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


class ScriptError(Exception):
    """Designer code failed to compile or run; ``problems`` say where and why."""

    def __init__(self, kind: str, problems: list[ScriptProblem]):
        self.kind = kind
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))

    @property
    def line(self) -> int | None:
        return self.problems[0].line if self.problems else None

    @classmethod
    def one(cls, kind: str, message_key: str, line: int | None = None, **params: Any) -> ScriptError:
        return cls(kind, [ScriptProblem(message_key, line, params)])


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time_of_day):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(value: Any) -> str:
    return json.dumps(value, default=_json_default, allow_nan=False, separators=(",", ":"))


def tidy(code: str, mode: str) -> str:
    """Modelers indent XML text: expressions lose surrounding blanks, scripts their common
    indentation (line numbers stay the same)."""
    return code.strip() if mode == "eval" else textwrap.dedent(code)


@lru_cache(maxsize=2048)
def used_names(code: str, mode: str) -> frozenset[str] | None:
    """The variable names a piece of code mentions (None if it does not parse).

    Sandboxed code has no ``globals()``, ``vars()`` or ``getattr`` on modules, so it can only
    read task data through a plain name: only those variables cross to the child, which keeps
    a gateway condition cheap however big the task data is. Parsing runs nothing."""
    try:
        tree = ast.parse(code, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


class _Child:
    """One sandbox process and its pipes. Not thread-safe: one per thread."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.owner_pid = os.getpid()
        self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "engine.process.sandbox.child", str(limits.memory_mb),
             str(limits.timeout_seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd="/",
            env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            close_fds=True,
        )  # fmt: skip

    def wait_ready(self) -> bool:
        """Wait for the child's imports, so its start-up never counts against a script's time."""
        try:
            return self._read_answer(STARTUP_SECONDS) == {"ready": True}
        except (TimeoutError, OverflowError, ValueError):
            return False

    def alive(self) -> bool:
        return self.owner_pid == os.getpid() and self.process.poll() is None

    def ask(self, request: bytes, timeout: float) -> dict[str, Any] | None:
        """Send one request line; the answer, or None if the child died or ran out of time."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(request)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        return self._read_answer(timeout)

    def _read_answer(self, timeout: float) -> dict[str, Any] | None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            chunks.append(chunk)
            size += len(chunk)
            if chunk.endswith(b"\n"):
                break
            if size > MAX_ANSWER_BYTES:
                raise OverflowError
        answer: dict[str, Any] = json.loads(b"".join(chunks))
        return answer

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


class _ChildPool(threading.local):
    child: _Child | None = None


_POOL = _ChildPool()


def _child(limits: Limits) -> _Child:
    child = _POOL.child
    if child is not None and child.alive() and child.limits == limits:
        return child
    if child is not None and child.owner_pid == os.getpid():
        child.kill()
    child = _Child(limits)
    if not child.wait_ready():
        child.kill()
        raise ScriptError.one("crashed", "crashed")
    _POOL.child = child
    return child


def run_in_sandbox(request: dict[str, Any], limits: Limits | None = None) -> dict[str, Any]:
    """Send one request to this thread's child; respawn it after a timeout or a crash."""
    limits = limits or current_limits()
    payload = (json.dumps(request, separators=(",", ":")) + "\n").encode()
    child = _child(limits)
    try:
        answer = child.ask(payload, limits.timeout_seconds + 0.5)
    except TimeoutError:
        child.kill()
        _POOL.child = None
        raise ScriptError.one("timeout", "timeout", seconds=f"{limits.timeout_seconds:g}") from None
    except OverflowError:
        child.kill()
        _POOL.child = None
        raise ScriptError.one("data", "too_big", megabytes=MAX_ANSWER_BYTES // 2**20) from None
    if answer is None:
        child.kill()
        _POOL.child = None
        raise ScriptError.one("crashed", "crashed")
    if not answer.get("ok"):
        problems = [
            ScriptProblem(p["key"], p.get("line"), {**p.get("params", {}), "memory_mb": limits.memory_mb})
            for p in answer.get("problems", [])
        ]
        raise ScriptError(answer.get("kind", "runtime"), problems)
    return answer


def shutdown_sandbox() -> None:
    """Stop this thread's child (tests, worker shutdown); the next call starts a new one."""
    if _POOL.child is not None and _POOL.child.owner_pid == os.getpid():
        _POOL.child.kill()
    _POOL.child = None


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that runs everything in the sandbox child."""

    def __init__(self, calendar: CalendarConfig | None = None, limits: Limits | None = None):
        super().__init__({})
        self.calendar = calendar or CalendarConfig()
        self.limits = limits

    def _request(self, op: str, code: str, context: dict[str, Any], external: dict[str, Any] | None) -> Any:
        code = tidy(code, "eval" if op == "eval" else "exec")
        names = used_names(code, "eval" if op == "eval" else "exec")
        if names is not None:
            context = {k: v for k, v in context.items() if k in names}
            external = {k: v for k, v in (external or {}).items() if k in names}
        try:
            data_json = to_json(context)
            extra = json.loads(to_json(external or {}))
        except (TypeError, ValueError) as err:
            raise ScriptError.one("data", "data_in", detail=str(err)) from None
        return run_in_sandbox(
            {"op": op, "code": code, "data_json": data_json, "extra": extra, "calendar": self.calendar.as_json(),
             "now": utcnow().isoformat()},
            self.limits,
        )  # fmt: skip

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        computed = inline.evaluate(tidy(expression, "eval"), context)  # a plain comparison, say
        if computed is not None:
            return computed[0]
        return self._request("eval", expression, context, external_context)["result"]

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        changed = inline.execute(tidy(script, "exec"), context)  # plain assignments, say
        if changed is not None:
            context.update(changed)
            return True
        answer = self._request("exec", script, context, external_context)
        for name in answer["del"]:
            context.pop(name, None)
        context.update(answer["set"])
        return True

    def check(self, code: str, mode: str = "exec") -> ScriptError | None:
        """Compile only (deploy-time validation): the problems, or None if it compiles."""
        try:
            run_in_sandbox({"op": "check", "code": tidy(code, mode), "mode": mode}, self.limits)
        except ScriptError as err:
            return err
        return None

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ScriptError.one("runtime", "unavailable", name="service task")


class SandboxedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine, sandboxed; failures become WorkflowTaskException with
    the designer-facing message and the script line (the engine turns them into incidents)."""

    environment: SandboxEnvironment

    def __init__(self, calendar: CalendarConfig | None = None, limits: Limits | None = None):
        super().__init__(environment=SandboxEnvironment(calendar, limits))

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except ScriptError as err:
            raise _task_exception(task, expression, err) from None

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except ScriptError as err:
            raise _task_exception(task, script, err) from None

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        """Service tasks are refused at deploy; one that slips through becomes an incident."""
        err = ScriptError.one("runtime", "unavailable", name="service task")
        raise _task_exception(task, "", err)


def _task_exception(task: Any, code: str, err: ScriptError) -> WorkflowTaskException:
    line = err.line
    lines = code.splitlines()
    error_line = lines[line - 1] if line and 0 < line <= len(lines) else ""
    exc = WorkflowTaskException(str(err), task=task, exception=err, line_number=line, error_line=error_line)
    exc.error_type = err.kind
    return exc


__all__ = [
    "CalendarConfig",
    "Limits",
    "SandboxEnvironment",
    "SandboxedScriptEngine",
    "ScriptError",
    "ScriptProblem",
    "current_limits",
    "run_in_sandbox",
    "shutdown_sandbox",
]
