"""One inbox across every municipality a person serves (a secretary-interventor, a comarcal
technician): each task labelled with its municipality.

Permissions stay per tenant: in each tenant a task is visible when it is assigned to me, or
unclaimed for a role I hold *in that tenant* (a role in one municipality gives nothing in
another). One query over the projection rows, ORing one condition per membership; nothing
loads a workflow. Working on a task happens in its own tenant's context (the web app switches
to it when the task is opened).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, or_, select

from engine.base.clock import utcnow
from engine.base.db import db
from engine.calendar import TenantCalendar
from engine.calendar.deadline_status import DeadlineStatus, deadline_status
from engine.expedients.expedients import Expedient
from engine.inbox.inbox import TaskListPage, counted, offered, waits_for_notification
from engine.process.definition.sidecar import procedure_label
from engine.process.definition.task_labels import version_label
from engine.process.models import HumanTask, ProcessInstance, ProcessModel, ProcessVersion
from engine.tenancy.models import Membership, Tenant
from engine.tenancy.units import unit_names

PER_PAGE = 25


@dataclass(frozen=True)
class SharedRow:
    task_id: int
    tenant_id: int
    tenant_name: str
    task_name: str
    role: str | None
    #: The name of the unit the task is for, if any.
    unit: str | None
    mine: bool
    due_at: datetime | None
    status: DeadlineStatus
    expedient_number: str | None
    subject: str | None
    procedure_name: str
    #: The task only waits for a notification's outcome (it goes on by itself): nothing to do but look.
    waiting: bool = False


SharedInboxPage = TaskListPage[SharedRow]


def roles_by_tenant(user_id: int) -> dict[int, set[str]]:
    """The user's roles in each active tenant."""
    rows = db.session.execute(
        select(Membership.tenant_id, Membership.role).join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == user_id, Tenant.active.is_(True))
    ).all()  # fmt: skip
    out: dict[int, set[str]] = defaultdict(set)
    for tenant_id, role in rows:
        out[tenant_id].add(role)
    return dict(out)


def _visible(user_id: int, roles: dict[int, set[str]]) -> ColumnElement[bool]:
    per_tenant = [
        and_(HumanTask.tenant_id == tenant_id,
             or_(HumanTask.assignee_id == user_id, offered(tenant_id, user_id, held)))
        for tenant_id, held in sorted(roles.items())
    ]  # fmt: skip
    return or_(*per_tenant)


def shared_inbox(user_id: int, locale: str | None, page: int = 1, per_page: int = PER_PAGE) -> SharedInboxPage:
    """One page of my open tasks in every tenant I serve: overdue first, then by due date."""
    roles = roles_by_tenant(user_id)
    if not roles:
        return SharedInboxPage([], 0, 1, per_page)
    now = utcnow()
    page = max(1, page)
    conditions = [HumanTask.state == "ready", _visible(user_id, roles)]
    total, waiting = db.session.execute(select(*counted()).select_from(HumanTask).where(*conditions)).one()
    ordering = (case((HumanTask.due_at < now, 0), else_=1), case((HumanTask.due_at.is_(None), 1), else_=0),
                HumanTask.due_at, HumanTask.created_at, HumanTask.id)
    # The page's tasks first, then what their rows show: whether one waits for a notification is
    # so looked up for these rows alone, through the expedient's notifications (indexed).
    shown = (select(HumanTask.id).where(*conditions).order_by(*ordering)
             .limit(per_page).offset((page - 1) * per_page).subquery("shown"))
    found = db.session.execute(
        select(HumanTask, Expedient, ProcessModel, Tenant, ProcessVersion.id, ProcessVersion.content_hash,
               waits_for_notification().label("waiting"))
        .join(shown, shown.c.id == HumanTask.id)
        .join(Tenant, Tenant.id == HumanTask.tenant_id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessVersion.model_id)
        .outerjoin(Expedient, and_(Expedient.id == HumanTask.expedient_id, Expedient.tenant_id == HumanTask.tenant_id))
        .order_by(*ordering)
    ).all()  # fmt: skip
    calendars: dict[int, TenantCalendar] = {}
    names = {tenant_id: unit_names(tenant_id) for tenant_id in {t.tenant_id for t, *_ in found if t.unit}}
    rows = []
    for task, expedient, model, tenant, version_id, content_hash, task_waiting in found:
        calendar = calendars.setdefault(tenant.id, TenantCalendar.for_tenant(tenant))
        unit = names.get(tenant.id, {}).get(task.unit, task.unit) if task.unit else None
        rows.append(SharedRow(
            task_id=task.id, tenant_id=tenant.id, tenant_name=tenant.name,
            task_name=version_label(version_id, content_hash, task.element_id, task.name, locale),
            role=task.role, unit=unit, mine=task.assignee_id == user_id, due_at=task.due_at,
            status=deadline_status(task.due_at, now, calendar),
            expedient_number=expedient.number if expedient else None, subject=expedient.subject if expedient else None,
            procedure_name=procedure_label(model.key, model.name, locale), waiting=bool(task_waiting),
        ))  # fmt: skip
    return SharedInboxPage(rows, int(total), page, per_page, waiting=int(waiting))
