"""Rows derived from a workflow after each step: human tasks, timers and completed steps.

Inboxes, counters, the timer sweeper and the history read only these rows, never the
workflow state. They are written in the same transaction as the state they mirror.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.base.clock import utcnow
from engine.base.db import db
from engine.process.definition.pinned import pinned_content
from engine.process.instances import batch_writes, human_task_rows
from engine.process.instances.state import all_tasks
from engine.process.models import HumanTask, ProcessInstance, ProcessVersion, Timer
from engine.tenancy.models import ROLES

FORM_PROPERTY = "formJsonSchemaFilename"
#: A user task done by signing: the property names the variable holding the document or decree.
SIGN_PROPERTY = "gee:sign"
#: A user task that waits for a notification's outcome: the property names the variable holding
#: what ``gee.notify`` answered (``{"notification_id": …}``).
AWAIT_NOTIFICATION_PROPERTY = "gee:await-notification"
#: A user task for an administrative unit: the property holds the unit's code (e.g. ``urbanisme``).
UNIT_PROPERTY = "gee:unit"


def lane_role(version: ProcessVersion, lane: str | None) -> str | None:
    """The role a lane stands for: the deployed mapping, else a lane named like a role."""
    if not lane:
        return None
    wanted = lane.strip().lower()
    for name, role in pinned_content(version).lanes.items():
        if name.strip().lower() == wanted:
            return str(role)
    return wanted if wanted in ROLES else None


def form_name(task: Task) -> str | None:
    extensions = getattr(task.task_spec, "extensions", None) or {}
    value = (extensions.get("properties") or {}).get(FORM_PROPERTY)
    return str(value) if value else None


def sign_variable(task: Task) -> str | None:
    """The variable a sign task signs (its ``gee:sign`` property), or None for other tasks."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    value = (extensions.get("properties") or {}).get(SIGN_PROPERTY)
    return str(value).strip() if value else None


def await_notification_variable(task: Task) -> str | None:
    """The variable naming the notification a task waits for (``gee:await-notification``), or None."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    value = (extensions.get("properties") or {}).get(AWAIT_NOTIFICATION_PROPERTY)
    return str(value).strip() if value else None


def task_unit(task: Task) -> str | None:
    """The code of the unit a task is for (its ``gee:unit`` property), or None."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    value = str((extensions.get("properties") or {}).get(UNIT_PROPERTY) or "").strip().lower()
    return value or None


def element_id(task: Task) -> str:
    return str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name)


def element_name(task: Task) -> str:
    return str(getattr(task.task_spec, "bpmn_name", None) or element_id(task))


def timer_definition(task: Task) -> TimerEventDefinition | None:
    """The timer a waiting event listens for: its own, or the timer branch of an event-based
    gateway (SpiffWorkflow merges the gateway's events into one MultipleEventDefinition)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return definition
    if isinstance(definition, MultipleEventDefinition):
        return next((d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)), None)
    return None


def timer_due(task: Task) -> datetime | None:
    """When a waiting timer event is due, from the value SpiffWorkflow evaluated for it."""
    definition = timer_definition(task)
    if definition is None:
        return None
    value: Any = task.internal_data.get("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        value = value.get("next") if isinstance(value, dict) else None
        if value is None:
            return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(definition, TimeDateEventDefinition):
        parsed = TimerEventDefinition.parse_time_or_duration(str(value))
        return parsed.astimezone(UTC) if isinstance(parsed, datetime) else None
    return TimerEventDefinition.get_datetime(str(value))


def has_timer_events(workflow: BpmnWorkflow) -> bool:
    """Whether the process (or one of its subprocesses) has a timer event anywhere: without one
    it never has Timer rows, so there is nothing to read or write for them."""
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    return any(
        isinstance(getattr(t, "event_definition", None), TimerEventDefinition | MultipleEventDefinition)
        for spec in specs for t in spec.task_specs.values()
    )


def waiting_timers(workflow: BpmnWorkflow) -> list[Task]:
    return [
        t
        for t in all_tasks(workflow)
        if t.state == TaskState.WAITING
        and isinstance(t.task_spec, CatchingEvent)
        and timer_definition(t) is not None
    ]


def _boundary_due(task: Task) -> datetime | None:
    """The earliest timer attached to a user task (its deadline, shown in the inbox)."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    dues = [d for d in (timer_due(s) for s in parent.children if s is not task) if d is not None]
    return min(dues, default=None)


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return [t for t in all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual]


def human_task_changes(
    instance: ProcessInstance,
    version: ProcessVersion,
    workflow: BpmnWorkflow,
    completed_by_id: int | None = None,
    open_rows: dict[str, HumanTask] | None = None,
) -> human_task_rows.RowChanges:
    """Rows to open for newly ready user/manual tasks and rows to close whose task moved on.

    ``open_rows`` are the instance's ready rows by task uuid when the caller has them all
    already (read when None). Nothing is written: see :mod:`human_task_rows`."""
    if open_rows is None:
        rows = db.session.execute(
            select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "ready")
        ).scalars()
        open_rows = {row.task_uuid: row for row in rows}
    ready = {str(t.id): t for t in ready_human_tasks(workflow)}
    changes = human_task_rows.RowChanges(utcnow(), completed_by_id, completed=[], cancelled=[], opened=[])
    for task_uuid, row in open_rows.items():
        if task_uuid in ready:
            continue
        task = workflow.get_task_from_id(UUID(task_uuid))
        (changes.completed if task is not None and task.state == TaskState.COMPLETED else changes.cancelled).append(row)
    for task_uuid, task in ready.items():
        if task_uuid in open_rows:
            continue
        role = lane_role(version, task.task_spec.lane)
        changes.opened.append({
            "tenant_id": instance.tenant_id,
            "instance_id": instance.id,
            "expedient_id": instance.expedient_id,
            "process_model_id": version.model_id,
            "task_uuid": task_uuid,
            "element_id": element_id(task),
            "name": element_name(task)[:300],
            "lane": task.task_spec.lane,
            "role": role,
            "unit": task_unit(task),
            "potential_owners": [role] if role else [],
            "state": "ready",
            "form_key": form_name(task),
            "created_at": changes.at,
            "due_at": _boundary_due(task),
        })
    return changes


def sync_timers(instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Pending Timer rows mirror the waiting timer events (the worker sweeps ``due_at``).

    In a batch (see :mod:`batch_writes`) the rows come from the batch's one read and the fired
    ones are marked by the batch's one UPDATE."""
    writes = batch_writes.current()
    known = writes.pending_timers.get(instance.id) if writes is not None else None
    if known is None:
        known = list(db.session.execute(
            select(Timer).where(Timer.instance_id == instance.id, Timer.state == "pending")).scalars())
    rows = {row.task_uuid: row for row in known}
    waiting = {str(t.id): t for t in waiting_timers(workflow)}
    now = utcnow()
    for task_uuid, row in rows.items():
        if task_uuid in waiting:
            continue
        task = workflow.get_task_from_id(UUID(task_uuid))
        if task is not None and task.state in (TaskState.READY, TaskState.COMPLETED):
            if writes is not None:
                writes.timer_fired(row.id)
            else:
                row.state, row.fired_at = "fired", now
        else:
            row.state = "cancelled"
    for task_uuid, task in waiting.items():
        due = timer_due(task)
        if due is None:
            continue
        existing = rows.get(task_uuid)
        if existing is None:
            db.session.add(
                Timer(
                    tenant_id=instance.tenant_id,
                    instance_id=instance.id,
                    task_uuid=task_uuid,
                    element_id=element_id(task),
                    due_at=due,
                    state="pending",
                )
            )
        else:
            existing.due_at = due


def finished_ids(workflow: BpmnWorkflow) -> set[UUID]:
    return {t.id for t in all_tasks(workflow) if t.state == TaskState.COMPLETED}


#: The columns of a completed step row, in the order :func:`completed_step_rows` gives them.
STEP_COLUMNS = ("tenant_id", "instance_id", "element_id", "element_type", "completed_at")


def completed_step_rows(
    instance: ProcessInstance, workflow: BpmnWorkflow, before: Iterable[UUID]
) -> list[dict[str, Any]]:
    """A CompletedStep row (:data:`STEP_COLUMNS`) for every BPMN element completed since
    ``before`` was taken; the save writes them all in one statement (nobody needs their ids)."""
    seen = set(before)
    return [
        {
            "tenant_id": instance.tenant_id,
            "instance_id": instance.id,
            "element_id": element_id(task),
            "element_type": type(task.task_spec).__name__[:60],
            "completed_at": datetime.fromtimestamp(task.last_state_change, UTC),
        }
        for task in all_tasks(workflow)
        # SpiffWorkflow's internal tasks (Root, Start, End, event splits) have no BPMN id
        if task.state == TaskState.COMPLETED and task.id not in seen and getattr(task.task_spec, "bpmn_id", None)
    ]


__all__ = [
    "STEP_COLUMNS",
    "completed_step_rows",
    "element_id",
    "finished_ids",
    "form_name",
    "has_timer_events",
    "human_task_changes",
    "lane_role",
    "ready_human_tasks",
    "sync_timers",
    "task_unit",
    "timer_due",
    "waiting_timers",
]
