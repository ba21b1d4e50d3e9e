"""Service calls: the registry of operators a BPMN service task names, and the script engine that runs them
inside the instance's transaction (scripts cannot: they run in a sandbox without the database).

The core knows operators only by name: the records features register theirs
(:mod:`engine.operators`) with :func:`register_operator`. See that package for the BPMN syntax.
A failing call rolls back what it wrote (a savepoint) and becomes an Incident, like a failing script.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import GeeError
from engine.base.i18n import _l, in_every_language
from engine.process.models import ProcessInstance, ProcessVersion
from engine.process.sandbox.runner import CalendarConfig, SandboxedScriptEngine


class ServiceError(GeeError):
    """A service call that cannot be done; the message is for the administrator."""


@dataclass(frozen=True)
class Binding:
    """What a service call acts with: who, on which instance, with which pinned version."""

    ctx: Context
    instance: ProcessInstance
    version: ProcessVersion


@dataclass(frozen=True)
class Call:
    """One service call: the binding, the evaluated parameters, and the calling task."""

    binding: Binding
    params: dict[str, Any]
    data: dict[str, Any]
    properties: dict[str, str]

    @property
    def ctx(self) -> Context:
        return self.binding.ctx

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)

    def expedient_id(self) -> int:
        expedient_id = self.binding.instance.expedient_id
        if expedient_id is None:
            raise ServiceError(_l("The procedure has no expedient: start it on an expedient."))
        return expedient_id


@dataclass(frozen=True)
class Operator:
    """A registered service operator, its parameters and what it does (for the designer docs)."""

    run: Callable[[Call], dict[str, Any]]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    #: The message that brings the operator's answer later (deploy asks the model to catch it).
    answered_by: str | None = None
    #: Seconds of work (rendering a PDF): a web request leaves it to a worker (see tasks.complete_task).
    slow: bool = False

    @property
    def doc(self) -> str:
        return (self.run.__doc__ or "").strip()


#: Operator name -> operator; filled by :func:`register_operator` when the features load.
OPERATORS: dict[str, Operator] = {}


def register_operator(name: str, run: Callable[[Call], dict[str, Any]], required: tuple[str, ...] = (),
                      optional: tuple[str, ...] = (), answered_by: str | None = None, *, slow: bool = False) -> None:
    """Make ``name`` callable from BPMN service tasks (deploy validates its parameters, and that
    the model catches the message ``answered_by`` when the answer comes later)."""
    OPERATORS[name] = Operator(run, required, optional, answered_by, slow)


def is_slow_step(task: Any) -> bool:
    """Whether ``task`` is a service task whose operator is slow (see :attr:`Operator.slow`)."""
    operator = OPERATORS.get(str(getattr(task.task_spec, "operation_name", "")))
    return operator is not None and operator.slow


# --------------------------------------------------------------------------- the script engine


class ServiceScriptEngine(SandboxedScriptEngine):
    """The sandboxed script engine plus service calls, bound to one run at a time."""

    def __init__(self, calendar: CalendarConfig | None = None):
        super().__init__(calendar)
        self.binding: Binding | None = None

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        name = str(kwargs.get("operation_name"))
        params = {k: v.get("value") for k, v in (kwargs.get("operation_params") or {}).items()}
        try:
            operator = OPERATORS.get(name)
            if operator is None:
                raise ServiceError(_l("Unknown service operator %(name)s.", name=name))
            if self.binding is None:
                raise ServiceError(_l("Service tasks run only inside the engine."))
            properties = dict((getattr(task.task_spec, "extensions", None) or {}).get("properties") or {})
            call = Call(self.binding, params, dict(task.data), properties)
            with db.session.begin_nested():  # a failure keeps nothing of what the call wrote
                result = operator.run(call)
        except (GeeError, ValueError, TypeError, LookupError) as err:
            message = getattr(err, "message", None) or err
            exc = WorkflowTaskException(f"{name}: {message}", task=task, exception=err)
            exc.error_type = "service"
            #: GEE's own message in every language, so the incident reads in the administrator's.
            exc.translations = in_every_language(message, prefix=f"{name}: ")
            raise exc from None
        return json.dumps(result)


@contextmanager
def bound(workflow: BpmnWorkflow, binding: Binding) -> Iterator[None]:
    """Let the workflow's service tasks act with ``binding`` while the engine steps run."""
    engine = workflow.script_engine
    if not isinstance(engine, ServiceScriptEngine):
        yield
        return
    engine.binding = binding
    try:
        yield
    finally:
        engine.binding = None


def operator_docs() -> dict[str, str]:
    """Operator -> what it does, for the designer documentation."""
    return {name: op.doc for name, op in OPERATORS.items()}


__all__ = ["OPERATORS", "Binding", "Operator", "ServiceScriptEngine", "bound", "is_slow_step", "operator_docs",
           "register_operator"]
