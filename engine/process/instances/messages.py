"""Messages from outside a process: the event it waits for (e.g. a citizen's answer to a
requeriment) is delivered to a waiting BPMN message catch event and the process goes on.

A model waits for a message with an intermediate message catch event (often behind an
event-based gateway racing a timer: "answer | 10 working days") or a receive task whose
``bpmn:message`` has a ``name`` such as ``resposta_requeriment``. While it waits, an
:class:`AwaitedMessage` row mirrors the wait (like HumanTask rows mirror user tasks), with the
deadline taken from the timer racing it, so the citizen's folder can show "we are waiting for
your answer until …" without deserializing a workflow.

Delivery (:func:`deliver_message`) follows the rules of every instance change: the instance's
row lock, the version compare-and-swap, one transaction, audited. The payload lands in the
process data under the message name, with ``received_at`` and ``late``. An answer after the
deadline is still delivered while the process waits for it (Ley 39/2015 art. 73.3: a late act
is admitted until the resolution that declares the term passed is notified), and is recorded
as late in the data, on the AwaitedMessage row and in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from engine import audit
from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden
from engine.base.events import Event, publish
from engine.base.i18n import _l
from engine.process.instances.projection import element_id, element_name, timer_due, waiting_timers
from engine.process.instances.state import all_tasks
from engine.process.models import ProcessInstance


class AwaitedMessage(db.Model):  # type: ignore[name-defined]
    """Projection of a message catch event an instance waits (or waited) for."""

    __tablename__ = "awaited_messages"
    __table_args__ = (UniqueConstraint("instance_id", "task_uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    expedient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_uuid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    message_name: Mapped[str] = mapped_column(String(200), index=True)
    #: waiting | received | cancelled (another branch won, e.g. the deadline passed)
    state: Mapped[str] = mapped_column(String(20), default="waiting", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The deadline: the earliest timer racing this wait, if any.
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Every message the wait takes (an event-based gateway may race several, e.g. the answer to a
    #: requeriment and a request to extend its term); ``message_name`` is the first of them.
    message_names: Mapped[list[str] | None] = mapped_column(JSON)

    def accepts(self, message_name: str) -> bool:
        return message_name == self.message_name or message_name in (self.message_names or [])


@dataclass(frozen=True)
class Delivery:
    instance_id: int
    message_name: str
    late: bool
    due_at: datetime | None
    awaited_id: int | None


# --------------------------------------------------------------------------- projection


def _message_names(task: Task) -> list[str]:
    """The messages a waiting catch event (or an event-based gateway's message branches) takes."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MessageEventDefinition):
        return [str(definition.name)]
    if isinstance(definition, MultipleEventDefinition):  # SpiffWorkflow's event-based gateway
        return [str(d.name) for d in definition.event_definitions if isinstance(d, MessageEventDefinition)]
    return []


def _message_name(task: Task) -> str | None:
    names = _message_names(task)
    return names[0] if names else None


def _definition(task: Task, message_name: str) -> MessageEventDefinition:
    definition = task.task_spec.event_definition
    candidates = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    return next(d for d in candidates if isinstance(d, MessageEventDefinition) and d.name == message_name)


def waiting_message_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return [
        t
        for t in all_tasks(workflow)
        if t.state == TaskState.WAITING and isinstance(t.task_spec, CatchingEvent) and _message_name(t)
    ]


def _racing_deadline(task: Task, timers: list[Task]) -> datetime | None:
    """The earliest timer racing ``task``: a timer branch of the same event-based gateway (kept in
    the gateway task's own data), or a timer waiting beside it (same boundary split)."""
    definition = getattr(task.task_spec, "event_definition", None)
    dues: list[datetime | None] = []
    if isinstance(definition, MultipleEventDefinition):
        value = task.internal_data.get("event_value")
        if value is not None and any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions):
            parsed = TimerEventDefinition.parse_time_or_duration(str(value))
            dues.append(parsed.astimezone(UTC) if isinstance(parsed, datetime) else None)
    parent = task.parent
    dues += [timer_due(t) for t in timers if parent is not None and t.parent is parent and t is not task]
    return min((d for d in dues if d is not None), default=None)


def sync_awaited_messages(instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Rows for newly waiting message events; close rows whose event is no longer waited for."""
    rows = {
        row.task_uuid: row
        for row in db.session.execute(
            select(AwaitedMessage).where(AwaitedMessage.instance_id == instance.id, AwaitedMessage.state == "waiting")
        ).scalars()
    }
    waiting = {str(t.id): t for t in waiting_message_tasks(workflow)}
    timers = waiting_timers(workflow)
    for task_uuid, row in rows.items():
        if task_uuid in waiting:
            continue
        task = workflow.get_task_from_id(UUID(task_uuid))
        if task is not None and task.state in (TaskState.READY, TaskState.COMPLETED):
            row.state = "received"
            row.received_at = row.received_at or utcnow()
        else:
            row.state = "cancelled"
    for task_uuid, task in waiting.items():
        due = _racing_deadline(task, timers)
        existing = rows.get(task_uuid)
        if existing is not None:
            existing.due_at = due
            continue
        db.session.add(
            AwaitedMessage(
                tenant_id=instance.tenant_id,
                instance_id=instance.id,
                expedient_id=instance.expedient_id,
                task_uuid=task_uuid,
                element_id=element_id(task),
                name=element_name(task)[:300],
                message_name=str(_message_name(task))[:200],
                message_names=_message_names(task),
                state="waiting",
                due_at=due,
            )
        )
    db.session.flush()


# --------------------------------------------------------------------------- delivery


def deliver_in_transaction(
    ctx: Context,
    instance_id: int,
    message_name: str,
    payload: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> Delivery:
    """Deliver inside the caller's transaction (the caller commits), e.g. together with the
    registry entry that carried the answer. ``at`` is when the answer counts as presented
    (default now); after the deadline the delivery is marked late."""
    from engine.process.instances import tasks as instances

    if not ctx.roles:
        raise Forbidden(_l("You have no role in this organisation."))
    instance = instances._lock_instance(ctx, instance_id)
    if instance.status in ("completed", "cancelled"):
        raise Conflict(_l("The procedure is not waiting for %(name)s.", name=message_name))
    run = instances._open(ctx, instance)
    waiting = [t for t in waiting_message_tasks(run.workflow) if message_name in _message_names(t)]
    if not waiting:
        raise Conflict(_l("The procedure is not waiting for %(name)s.", name=message_name))
    task_uuid = str(waiting[0].id)
    row = db.session.execute(
        select(AwaitedMessage).where(AwaitedMessage.instance_id == instance.id, AwaitedMessage.task_uuid == task_uuid)
    ).scalar_one_or_none()
    due_at = as_utc(row.due_at) if row is not None else _racing_deadline(waiting[0], waiting_timers(run.workflow))
    moment = as_utc(at) or utcnow()
    late = due_at is not None and moment > due_at
    body = {**(payload or {}), "received_at": moment.isoformat(), "late": late}
    # The event must carry the model's own definition object (SpiffWorkflow compares classes);
    # the answer goes into the data under the message name whatever messageVariable says.
    waiting[0].data[message_name] = body
    run.workflow.send_event(BpmnEvent(_definition(waiting[0], message_name), payload=body))
    if instance.expedient_id is not None:  # before the process runs on (it may suspend a term anew)
        publish(Event.MESSAGE_DELIVERED, ctx=ctx, expedient_id=instance.expedient_id, message_name=message_name,
                received_at=moment, late=late, due_at=due_at)  # fmt: skip
    run.advance()
    run.save()
    if row is not None:
        row.state, row.received_at, row.late = "received", moment, late
    audit.record(
        ctx,
        "message.delivered_late" if late else "message.delivered",
        "process_instance",
        instance.id,
        expedient_id=instance.expedient_id,
        after={
            "message": message_name,
            "element_id": element_id(waiting[0]),
            "received_at": moment.isoformat(),
            "due_at": due_at.isoformat() if due_at else None,
            "late": late,
            "payload": payload or {},
        },
    )
    db.session.flush()
    return Delivery(instance.id, message_name, late, due_at, row.id if row is not None else None)


def deliver_message(
    ctx: Context, instance_id: int, message_name: str, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Deliver a message to an instance waiting for it and run on until it waits again.

    Raises Conflict when the instance is not waiting for that message (never was, already
    received, or another branch — the deadline — won)."""
    from engine.process.instances import tasks as instances

    def work() -> dict[str, Any]:
        delivery = deliver_in_transaction(ctx, instance_id, message_name, payload)
        instance = db.session.get(ProcessInstance, instance_id)
        assert instance is not None
        return {**instances._summary(instance), "late": delivery.late}

    return instances._in_transaction(work)


def awaited_for_expedients(
    tenant_id: int, expedient_ids: list[int], *, only_waiting: bool = True
) -> list[AwaitedMessage]:
    """The message waits of some expedients (projection rows), oldest first."""
    if not expedient_ids:
        return []
    stmt = select(AwaitedMessage).where(
        AwaitedMessage.tenant_id == tenant_id, AwaitedMessage.expedient_id.in_(expedient_ids)
    )
    if only_waiting:
        stmt = stmt.where(AwaitedMessage.state == "waiting")
    return list(db.session.execute(stmt.order_by(AwaitedMessage.id)).scalars())


__all__ = [
    "AwaitedMessage",
    "Delivery",
    "awaited_for_expedients",
    "deliver_in_transaction",
    "deliver_message",
    "sync_awaited_messages",
    "waiting_message_tasks",
]
