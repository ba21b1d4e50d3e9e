"""Escalation of overdue human tasks to the tenant's secretaries.

A user task's deadline (``HumanTask.due_at``) comes from the timer attached to it in the BPMN
(the projection takes the earliest boundary timer); the inbox colours it with
:func:`engine.calendar.deadline_status.deadline_status` (green / amber / red). The legal consequence of
running out (desistiment, silence...) is modelled in the BPMN by what that timer leads to; here
we only warn: each overdue task that is still pending is escalated ONCE (an audited
TaskEscalation row, visible to the secretaries, and an informational e-mail to them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from engine.audit import record
from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.formats import format_day
from engine.base.i18n import _l
from engine.base.mail import send_mail_in_their_languages
from engine.base.unit_of_work import run_in_transaction
from engine.expedients.expedients import Expedient
from engine.process.definition.task_labels import task_label
from engine.process.models import HumanTask
from engine.tenancy.models import Membership, Tenant, User, role_label

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
    tenant_name = tenant.name if tenant else ""

    def warning(locale: str) -> tuple[str, str]:
        """In each secretary's language: the step's name and the date in it too."""
        name, due = task_label(task, locale), format_day(as_utc(task.due_at), locale)
        return (str(_l("Overdue task: %(task)s", task=name)),
                str(_l("The task \"%(task)s\" of %(tenant)s was due on %(due)s and is still pending.",
                       task=name, tenant=tenant_name, due=due)))

    # Sent before the unit of work commits: an SMTP failure rolls the escalation back and the job is retried.
    send_mail_in_their_languages(people, warning)
    return True


@dataclass(frozen=True)
class EscalationRow:
    """One escalated task as the secretaries' list shows it."""

    task_id: int
    task_name: str
    #: ready (still pending) or completed / cancelled since.
    task_state: str
    holder: str
    due_at: datetime | None
    escalated_at: datetime
    expedient_id: int | None
    expedient_number: str | None


def escalations_for(ctx: Context, pending_only: bool = False, limit: int = 200) -> list[EscalationRow]:
    """The tenant's escalated tasks, newest escalation first; ``pending_only`` keeps those still waiting."""
    stmt = (
        select(TaskEscalation, HumanTask, Expedient, User)
        .join(HumanTask, HumanTask.id == TaskEscalation.human_task_id)
        .outerjoin(Expedient, and_(Expedient.id == HumanTask.expedient_id, Expedient.tenant_id == ctx.tenant_id))
        .outerjoin(User, User.id == HumanTask.assignee_id)
        .where(TaskEscalation.tenant_id == ctx.tenant_id, HumanTask.tenant_id == ctx.tenant_id)
        .order_by(TaskEscalation.escalated_at.desc(), TaskEscalation.id.desc())
        .limit(limit)
    )
    if pending_only:
        stmt = stmt.where(HumanTask.state == "ready")
    return [
        EscalationRow(task_id=task.id, task_name=task_label(task, ctx.locale), task_state=task.state,
                      holder=user.full_name if user is not None else role_label(task.role or "-"),
                      due_at=task.due_at, escalated_at=escalation.escalated_at,
                      expedient_id=expedient.id if expedient else None,
                      expedient_number=expedient.number if expedient else None)
        for escalation, task, expedient, user in db.session.execute(stmt).all()
    ]  # fmt: skip


__all__ = ["EscalationRow", "TaskEscalation", "escalate_task", "escalations_for", "overdue_tasks"]
