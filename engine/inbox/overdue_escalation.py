"""Escalation of overdue human tasks to the tenant's secretaries.

A user task's deadline (``HumanTask.due_at``) comes from the timer attached to it in the BPMN
(the projection takes the earliest boundary timer); the inbox colours it with
:func:`engine.calendar.deadline_status.deadline_status` (green / amber / red). The legal consequence of
running out (desistiment, silence...) is modelled in the BPMN by what that timer leads to; here
we only warn: each overdue task that is still pending is escalated ONCE (an audited
TaskEscalation row, visible to the secretaries, and an informational e-mail to them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from engine.audit import record
from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.i18n import _l
from engine.base.mail import send_mail
from engine.base.unit_of_work import run_in_transaction
from engine.process.models import HumanTask
from engine.tenancy.models import Membership, Tenant, User

SECRETARY = "secretari"


class TaskEscalation(db.Model):  # type: ignore[name-defined]
    """An overdue task reported to the secretaries; the unique task id makes it happen once."""

    __tablename__ = "task_escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id"), unique=True)
    escalated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: User ids of the secretaries told.
    notified_user_ids: Mapped[list[int]] = mapped_column(JSON, default=list)


def overdue_tasks(now: datetime, limit: int = 1000) -> list[tuple[int, int]]:
    """(tenant_id, human_task_id) of ready tasks past their deadline, not yet escalated."""
    rows = db.session.execute(
        select(HumanTask.tenant_id, HumanTask.id)
        .outerjoin(TaskEscalation, TaskEscalation.human_task_id == HumanTask.id)
        .where(HumanTask.state == "ready", HumanTask.due_at < now, TaskEscalation.id.is_(None))
        .order_by(HumanTask.due_at)
        .limit(limit)
    ).all()
    return [(tenant_id, task_id) for tenant_id, task_id in rows]


def secretaries(tenant_id: int) -> list[User]:
    return list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, Membership.role == SECRETARY, User.active.is_(True))
        .order_by(User.id)
    ).scalars())


def escalate_task(tenant_id: int, human_task_id: int) -> bool:
    """Job: tell the tenant's secretaries that a task is overdue; False when already done."""
    return run_in_transaction(lambda: _escalate(tenant_id, human_task_id))


def _escalate(tenant_id: int, human_task_id: int) -> bool:
    ctx = Context.system(tenant_id, "deadline-escalation")
    task = db.session.get(HumanTask, human_task_id)
    if task is None or task.tenant_id != tenant_id or task.state != "ready":
        return False
    people = secretaries(tenant_id)
    try:
        with db.session.begin_nested():  # the unique task id: escalated once, here or elsewhere
            db.session.add(TaskEscalation(tenant_id=tenant_id, human_task_id=task.id,
                                          notified_user_ids=[u.id for u in people]))
    except IntegrityError:
        return False
    record(ctx, "task.escalated", "human_task", task.id, expedient_id=task.expedient_id,
           after={"due_at": as_utc(task.due_at), "secretaries": [u.username for u in people]})
    tenant = db.session.get(Tenant, tenant_id)
    due = as_utc(task.due_at)
    # Sent before the unit of work commits: an SMTP failure rolls the escalation back and the job is retried.
    send_mail(
        [u.email for u in people if u.email],
        str(_l("Overdue task: %(task)s", task=task.name)),
        str(_l("The task \"%(task)s\" of %(tenant)s was due on %(due)s and is still pending.",
               task=task.name, tenant=tenant.name if tenant else "", due=local_date(due).isoformat() if due else "")),
    )
    return True


def escalations_for(ctx: Context, limit: int = 100) -> list[TaskEscalation]:
    """The tenant's escalations, newest first (what a secretary sees)."""
    stmt = (select(TaskEscalation).where(TaskEscalation.tenant_id == ctx.tenant_id)
            .order_by(TaskEscalation.escalated_at.desc()).limit(limit))
    return list(db.session.execute(stmt).scalars())


__all__ = ["TaskEscalation", "escalate_task", "escalations_for", "overdue_tasks"]
