"""Running the steps that need no human, and turning a failing step into an Incident.

A failing script/service task is left in SpiffWorkflow's ERROR state with its data as it
was before it ran, so nothing of the failed step is committed; the rest of the process
(other parallel branches) goes on. An admin then retries or skips it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine import audit
from engine.base.context import Context
from engine.base.db import db
from engine.process.instances.projection import element_id
from engine.process.models import Incident, ProcessInstance

log = logging.getLogger("gee.incidents")

#: A process that fails more often than this in one go is broken beyond a single step.
MAX_FAILURES_PER_RUN = 20


@dataclass
class Failure:
    task: Task | None
    message: str
    line: int | None
    #: The message in each language when it is one of GEE's own (a step's service refused):
    #: the administrator reads it in theirs. None for a designer's script error (Python's words).
    messages: dict[str, str] | None = None


def _describe(exc: Exception) -> tuple[str, int | None, dict[str, str] | None]:
    message = str(getattr(exc, "error", None) or exc) or type(exc).__name__
    line = getattr(exc, "line_number", None)
    error_line = getattr(exc, "error_line", None)
    suffix = f" [{error_line.strip()}]" if error_line else ""
    translated: dict[str, str] | None = getattr(exc, "translations", None)  # see service_calls
    messages = {locale: text + suffix for locale, text in translated.items()} if translated else None
    return message + suffix, int(line) if isinstance(line, int) else None, messages


class _Stop(Exception):
    """A step the caller leaves for later was reached: the engine steps stop before it."""


def run_engine_steps(workflow: BpmnWorkflow, stop_before: Callable[[Task], bool] | None = None) -> list[Failure]:
    """``do_engine_steps`` until only human tasks and waiting events remain, or (with
    ``stop_before``) until a step it picks is next: that step stays READY, not run.

    Each failing task is put back as it was before it ran (data, internal data), marked
    ERROR so later runs pass it by, and reported.
    """
    failures: list[Failure] = []
    running: dict[str, Any] = {}

    def remember(task: Task) -> None:
        if stop_before is not None and stop_before(task):
            raise _Stop()
        running.update(task=task, data=deepcopy(task.data), internal=deepcopy(task.internal_data))

    while True:
        running.clear()
        try:
            workflow.do_engine_steps(will_complete_task=remember)
            return failures
        except _Stop:
            return failures
        except Exception as exc:  # designer code may raise anything; each becomes an incident
            current: Any = running.get("task")
            task: Any = getattr(exc, "task", None) or current
            if current is not None and task is current:
                current.data = running["data"]
                current.internal_data = running["internal"]
            if task is not None and task.state != TaskState.ERROR:
                task._set_state(TaskState.ERROR)
            message, line, messages = _describe(exc)
            log.warning("step %s failed: %s", element_id(task) if task else "?", message)
            log.debug("step %s failed", element_id(task) if task else "?", exc_info=exc)
            failures.append(Failure(task, message, line, messages))
            if task is None or len(failures) >= MAX_FAILURES_PER_RUN:
                raise


def open_incidents(ctx: Context, instance: ProcessInstance, failures: list[Failure]) -> list[Incident]:
    incidents = []
    for failure in failures:
        incident = Incident(
            tenant_id=instance.tenant_id,
            instance_id=instance.id,
            task_uuid=str(failure.task.id) if failure.task else None,
            element_id=element_id(failure.task) if failure.task else None,
            line=failure.line,
            message=failure.message,
            messages=failure.messages,
            state="open",
        )
        db.session.add(incident)
        db.session.flush()
        audit.record(
            ctx,
            "incident.opened",
            "incident",
            incident.id,
            expedient_id=instance.expedient_id,
            after={"instance_id": instance.id, "element_id": incident.element_id, "line": incident.line,
                   "message": incident.message},
        )
        incidents.append(incident)
    return incidents


def rearm(task: Task) -> None:
    """Let a failed task run again on the next engine steps."""
    task._set_state(TaskState.FUTURE)
    task.task_spec._update(task)


def complete_without_running(task: Task) -> None:
    """Skip: the task counts as done, its script never ran; the process moves on."""
    task._set_state(TaskState.READY)
    task.complete()


__all__ = ["Failure", "complete_without_running", "open_incidents", "rearm", "run_engine_steps"]
