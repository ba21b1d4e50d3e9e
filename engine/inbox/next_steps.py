"""What follows a completed task: the steps its procedure opened, who holds each and when it is
due, what the procedure waits for otherwise, and the next task waiting for me in my inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.calendar.deadline_status import DeadlineStatus, deadline_status
from engine.inbox.inbox import next_task_id, task_view, tenant_calendar
from engine.process.definition.task_labels import task_label
from engine.process.instances.tasks import may_work_on
from engine.process.models import HumanTask, Incident, ProcessInstance, Timer
from engine.tenancy.models import User, role_label


@dataclass(frozen=True)
class NextStep:
    task_id: int
    name: str
    #: The person who holds it, or the role whose shared inbox it is in.
    holder: str
    due_at: datetime | None
    status: DeadlineStatus
    #: I may open it now (assigned to me or to one of my roles).
    mine: bool


@dataclass(frozen=True)
class AfterCompletion:
    completed_name: str
    expedient_id: int | None
    expedient_number: str | None
    steps: list[NextStep]
    finished: bool
    failed: bool
    #: The earliest deadline the procedure waits for when no step is open (a term, a timer).
    waiting_until: datetime | None
    #: The first task of my inbox I can act on (overdue first, then by due date), wherever it is.
    my_next_task_id: int | None
    completed_task_id: int = 0
    #: A worker is still generating the documents that come before the next steps.
    generating: bool = False


def _holder(task: HumanTask) -> str:
    if task.assignee_id is not None:
        user = db.session.get(User, task.assignee_id)
        if user is not None:
            return user.full_name
    return role_label(task.role) if task.role else "-"


def after_completion(ctx: Context, task_id: object) -> AfterCompletion:
    """What the person who just completed ``task_id`` sees next (another tenant's task is not found)."""
    view = task_view(ctx, task_id)
    instance_id = view.task.instance_id
    calendar = tenant_calendar(ctx)
    now = utcnow()
    ready = db.session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == "ready").order_by(HumanTask.id)
    ).scalars().all()
    steps = [
        NextStep(task_id=t.id, name=task_label(t, ctx.locale), holder=_holder(t), due_at=t.due_at,
                 status=deadline_status(t.due_at, now, calendar), mine=may_work_on(ctx, t))
        for t in ready
    ]  # fmt: skip
    failed = db.session.execute(
        select(func.count()).select_from(Incident).where(Incident.instance_id == instance_id, Incident.state == "open")
    ).scalar_one() > 0
    waiting_until = db.session.execute(
        select(func.min(Timer.due_at)).where(Timer.instance_id == instance_id, Timer.state == "pending")
    ).scalar_one()
    instance = db.session.get(ProcessInstance, instance_id)
    return AfterCompletion(
        completed_name=view.task_name,
        expedient_id=view.expedient.id if view.expedient else None,
        expedient_number=view.expedient.number if view.expedient else None,
        steps=steps,
        finished=instance is not None and instance.status == "completed",
        failed=failed,
        waiting_until=waiting_until,
        my_next_task_id=next_task_id(ctx),
        completed_task_id=view.task.id,
        generating=instance is not None and instance.status == "running",
    )
