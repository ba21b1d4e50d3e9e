"""The clerk's inbox: open human tasks for me or my roles, read from the projection rows only.

Nothing here loads a workflow: tasks come from ``human_tasks`` joined to the expedient, its
interested parties and the process model. A task is *mine* when it is assigned to me; it is
*for my role* when nobody has claimed it and its role is one I hold here (or it names no role).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select

from engine import audit
from engine.base.among import among
from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound
from engine.base.i18n import _l
from engine.base.paging import Page, Row
from engine.base.request_memo import remember, remembered
from engine.calendar import TenantCalendar
from engine.calendar.deadline_status import DeadlineStatus, deadline_status
from engine.expedients.expedients import Expedient, matching_ids
from engine.expedients.parties import ExpedientParty, Party, PartyRole
from engine.notifications.notifications import Notification
from engine.process.definition.sidecar import procedure_label
from engine.process.definition.task_labels import task_label, version_label
from engine.process.instances.tasks import form_schema, may_work_on, not_yours
from engine.process.models import HumanTask, ProcessInstance, ProcessModel, ProcessVersion
from engine.tenancy.models import Membership, Tenant, User
from engine.tenancy.scoping import get_owned
from engine.tenancy.units import member_ids, unit_codes_of, unit_names

PER_PAGE = 25


class Scope(StrEnum):
    MINE = "mine"
    ROLE = "role"
    ALL = "all"


@dataclass(frozen=True)
class InboxFilters:
    scope: Scope = Scope.ALL
    procedure_id: int | None = None
    #: Expedient number, subject, or an interested party's NIF or name.
    q: str = ""


@dataclass(frozen=True)
class InboxRow:
    task_id: int
    task_name: str
    role: str | None
    #: The name of the unit the task is for, if any.
    unit: str | None
    assignee_id: int | None
    created_at: datetime
    due_at: datetime | None
    status: DeadlineStatus
    expedient_id: int | None
    expedient_number: str | None
    subject: str | None
    party_name: str | None
    party_nif: str | None
    procedure_name: str
    #: The task only waits for a notification's outcome (it goes on by itself): nothing to do but look.
    waiting: bool = False


@dataclass(frozen=True)
class TaskListPage(Page[Row]):
    """A page of tasks; ``total`` counts the steps that only wait for a notification too."""

    #: Of ``total``, the steps that only wait for a notification's outcome: listed, nothing to do.
    waiting: int = 0

    @property
    def to_do(self) -> int:
        """The tasks someone must act on: what the top bar's badge counts (with no filter)."""
        return self.total - self.waiting


InboxPage = TaskListPage[InboxRow]


def _visible(ctx: Context, scope: Scope) -> Any:
    mine = HumanTask.assignee_id == ctx.user_id
    for_role = offered(ctx.tenant_id, ctx.user_id, ctx.roles)
    return {Scope.MINE: mine, Scope.ROLE: for_role, Scope.ALL: or_(mine, for_role)}[scope]


def offered(tenant_id: int, user_id: int | None, roles: Iterable[str]) -> ColumnElement[bool]:
    """Unclaimed tasks offered to someone in a tenant: those of their units, and those for no unit
    whose role they hold (or that name none). The unit test is a subquery: nothing loaded here."""
    for_role = and_(HumanTask.unit.is_(None), or_(HumanTask.role.in_(sorted(roles)), HumanTask.role.is_(None)))
    for_unit = HumanTask.unit.in_(unit_codes_of(tenant_id, user_id).scalar_subquery())
    return and_(HumanTask.assignee_id.is_(None), or_(for_role, for_unit))


#: A search matching at most this many expedients is looked up once per inbox page (see :func:`matches_of`).
MATCHES_INLINE = 500


def matches_of(ctx: Context, filters: InboxFilters) -> Any:
    """The expedients the search matches, for both the count and the page of one request: their ids,
    looked up once, when there are at most :data:`MATCHES_INLINE` (the usual number, NIF or name);
    otherwise the search itself, which each statement runs. None without a search."""
    if not filters.q.strip():
        return None
    found = matching_ids(ctx, " ".join(filters.q.split())).subquery()
    ids = list(db.session.execute(select(found.c[0]).limit(MATCHES_INLINE + 1)).scalars())
    return ids if len(ids) <= MATCHES_INLINE else select(found.c[0])


def open_tasks(ctx: Context, filters: InboxFilters, matches: Any = None) -> list[ColumnElement[bool]]:
    """The conditions on ``human_tasks`` alone that pick the inbox's tasks with these filters: the
    count needs no join, and the page's join only decorates the 25 rows it shows. ``matches`` is
    :func:`matches_of` when the caller looked the search up already."""
    conditions = [HumanTask.tenant_id == ctx.tenant_id, HumanTask.state == "ready", _visible(ctx, filters.scope)]
    if filters.procedure_id is not None:
        conditions.append(HumanTask.process_model_id == filters.procedure_id)
    if filters.q.strip():
        if isinstance(matches, list):
            conditions.append(among(HumanTask.expedient_id, matches))
        else:
            searched = matches if matches is not None else matching_ids(ctx, " ".join(filters.q.split()))
            conditions.append(HumanTask.expedient_id.in_(searched))
    return conditions


def waits_for_notification(tenant_id: int | None = None) -> ColumnElement[bool]:
    """Whether a task only waits for a notification's outcome (engine.notifications.notifications.awaited_by),
    as a column of the page's own statement: looked up through the expedient's notifications (indexed).
    ``tenant_id`` None: the task's own tenant (a list across tenants)."""
    tenant = HumanTask.tenant_id if tenant_id is None else tenant_id
    return exists().where(
        Notification.tenant_id == tenant,
        Notification.expedient_id == HumanTask.expedient_id,
        Notification.human_task_id == HumanTask.id,
    )


def actionable(tenant_id: int | None = None) -> ColumnElement[bool]:
    """A task someone must act on: not a step that goes on by itself with a notification's outcome."""
    return ~waits_for_notification(tenant_id)


def counted(tenant_id: int | None = None) -> tuple[Any, Any]:
    """The two aggregates of an inbox's count, for one statement: every task listed, and how many
    of them only wait for a notification."""
    return func.count(), func.count(case((waits_for_notification(tenant_id), 1)))


def inbox_query(ctx: Context, conditions: list[ColumnElement[bool]]) -> Select[Any]:
    """The open tasks the inbox shows (``conditions`` from :func:`open_tasks`), unordered: one
    statement reading only the columns a row shows (a page of 100 loads no entities)."""
    stmt: Any = (
        select(HumanTask.id, HumanTask.instance_id, HumanTask.element_id, HumanTask.name, HumanTask.role,
               HumanTask.unit, HumanTask.assignee_id, HumanTask.created_at, HumanTask.due_at,
               Expedient.id.label("expedient_id"), Expedient.number, Expedient.subject,
               ProcessModel.key, ProcessModel.name.label("model_name"),
               ProcessVersion.id.label("version_id"), ProcessVersion.content_hash)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessVersion.model_id)
        .outerjoin(Expedient, and_(Expedient.id == HumanTask.expedient_id, Expedient.tenant_id == ctx.tenant_id))
        .where(*conditions)
    )  # fmt: skip
    return stmt


def in_inbox_order(stmt: Select[Any]) -> Select[Any]:
    """Overdue tasks have the earliest due dates, so "overdue first, then by due date, none last"
    is plain due-date order: what the index ix_human_tasks_inbox_order reads in order."""
    return stmt.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.created_at, HumanTask.id)


def with_waiting(ctx: Context, page: Select[Any]) -> Select[Any]:
    """The rows of ``page`` (one page of :func:`inbox_query` in :func:`in_inbox_order`, limited), in
    the same order, each with whether it only waits for a notification. Asked of the page's rows
    alone, so PostgreSQL looks each up through the expedient's notifications (indexed): asked of
    every open task before the LIMIT, it would rather hash all the municipality's notifications."""
    rows = page.subquery("inbox_page")
    waiting = exists().where(
        Notification.tenant_id == ctx.tenant_id,
        Notification.expedient_id == rows.c.expedient_id,
        Notification.human_task_id == rows.c.id,
    )
    return select(rows, waiting.label("waiting")).order_by(
        rows.c.due_at.asc().nulls_last(), rows.c.created_at, rows.c.id
    )


def tenant_calendar(ctx: Context) -> TenantCalendar:
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    return TenantCalendar.for_tenant(tenant)


class ListedParty(NamedTuple):
    """What a list shows of an interested party."""

    name: str
    nif: str


def first_parties(ctx: Context, expedient_ids: list[int]) -> dict[int, ListedParty]:
    """The first interested party of each expedient (the one shown in lists): its name and NIF
    only, read as columns (a page of 100 loads no entities)."""
    if not expedient_ids:
        return {}
    links = db.session.execute(
        select(ExpedientParty.expedient_id, Party.name, Party.nif)
        .join(Party, Party.id == ExpedientParty.party_id)
        .where(
            ExpedientParty.tenant_id == ctx.tenant_id,
            among(ExpedientParty.expedient_id, expedient_ids),
            ExpedientParty.role == PartyRole.INTERESSAT.value,
        )
        .order_by(ExpedientParty.id)
    ).all()
    out: dict[int, ListedParty] = {}
    for expedient_id, name, nif in links:
        out.setdefault(expedient_id, ListedParty(name, nif))
    return out


def list_inbox(ctx: Context, filters: InboxFilters, page: int = 1, per_page: int = PER_PAGE) -> InboxPage:
    """One page of my open tasks: overdue first, then by due date (none last), then oldest first."""
    now = utcnow()
    page = max(1, page)
    matches = matches_of(ctx, filters)
    conditions = open_tasks(ctx, filters, matches)
    total, waiting = db.session.execute(
        select(*counted(ctx.tenant_id)).select_from(HumanTask).where(*conditions)
    ).one()
    if filters == InboxFilters():
        remember(_open_count_key(ctx), int(total) - int(waiting))  # the top bar's badge on the same page
    ordered = in_inbox_order(inbox_query(ctx, conditions)).limit(per_page).offset((page - 1) * per_page)
    found = db.session.execute(with_waiting(ctx, ordered)).all()
    calendar = tenant_calendar(ctx)
    parties = first_parties(ctx, [row.expedient_id for row in found if row.expedient_id is not None])
    units = unit_names(ctx.tenant_id) if any(row.unit for row in found) else {}
    rows = []
    for row in found:
        party = parties.get(row.expedient_id)
        rows.append(
            InboxRow(
                task_id=row.id,
                task_name=version_label(row.version_id, row.content_hash, row.element_id, row.name, ctx.locale),
                role=row.role,
                unit=units.get(row.unit, row.unit) if row.unit else None,
                assignee_id=row.assignee_id,
                created_at=row.created_at,
                due_at=row.due_at,
                status=deadline_status(row.due_at, now, calendar),
                expedient_id=row.expedient_id,
                expedient_number=row.number,
                subject=row.subject,
                party_name=party.name if party else None,
                party_nif=party.nif if party else None,
                procedure_name=procedure_label(row.key, row.model_name, ctx.locale),
                waiting=bool(row.waiting),
            )
        )
    return InboxPage(rows=rows, total=int(total), page=page, per_page=per_page, waiting=int(waiting))


def _open_count_key(ctx: Context) -> tuple[str, int, int | None, frozenset[str]]:
    return ("open_tasks", ctx.tenant_id, ctx.user_id, frozenset(ctx.roles))


def count_open(ctx: Context) -> int:
    """How many open tasks mine or for my roles I can act on (the badge in the top bar): the steps
    that only wait for a notification's outcome are left out, as the inbox's own count leaves them
    (reused on the same page)."""

    def count() -> int:
        conditions = [*open_tasks(ctx, InboxFilters()), actionable(ctx.tenant_id)]
        return int(db.session.execute(select(func.count()).select_from(HumanTask).where(*conditions)).scalar_one())

    return remembered(_open_count_key(ctx), count)


def next_task_id(ctx: Context) -> int | None:
    """The first task of my inbox I can act on (overdue first, then by due date), if any."""
    conditions = [*open_tasks(ctx, InboxFilters()), actionable(ctx.tenant_id)]
    stmt = in_inbox_order(select(HumanTask.id).where(*conditions)).limit(1)
    found: int | None = db.session.execute(stmt).scalar()
    return found


def procedures_in_inbox(ctx: Context) -> list[ProcessModel]:
    """The procedures that have open tasks for me (the inbox's procedure filter)."""
    mine = select(HumanTask.process_model_id).where(*open_tasks(ctx, InboxFilters())).distinct()
    stmt = select(ProcessModel).where(ProcessModel.id.in_(mine)).order_by(ProcessModel.name)
    return list(db.session.execute(stmt).scalars())


# -- one task ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskView:
    task: HumanTask
    #: The task's name in the user's language.
    task_name: str
    expedient: Expedient | None
    procedure: ProcessModel
    #: The task's pinned JSON Schema, or None for a task without a form.
    schema: dict[str, Any] | None
    may_work: bool
    assignee: User | None
    status: DeadlineStatus
    #: The name of the unit the task is for, if any.
    unit: str | None = None


def task_view(ctx: Context, task_id: object) -> TaskView:
    """A task of this tenant with what its page shows; another tenant's task is not found."""
    task = get_owned(HumanTask, ctx, task_id)
    instance = db.session.get(ProcessInstance, task.instance_id)
    if instance is None:
        raise NotFound(_l("Not found."))
    version = instance.process_version
    expedient = db.session.get(Expedient, task.expedient_id) if task.expedient_id else None
    return TaskView(
        task=task,
        task_name=task_label(task, ctx.locale),
        expedient=expedient if expedient is not None and expedient.tenant_id == ctx.tenant_id else None,
        procedure=version.model,
        schema=form_schema(version, task.form_key),
        may_work=task.state == "ready" and may_work_on(ctx, task),
        assignee=db.session.get(User, task.assignee_id) if task.assignee_id else None,
        status=deadline_status(task.due_at, utcnow(), tenant_calendar(ctx)),
        unit=unit_names(ctx.tenant_id).get(task.unit, task.unit) if task.unit else None,
    )


def save_draft(ctx: Context, task_id: object, data: dict[str, Any]) -> HumanTask:
    """Keep what the user typed so far (not validated: a draft may be incomplete). The caller commits."""
    task = get_owned(HumanTask, ctx, task_id, for_update=True)
    if task.state != "ready":
        raise Conflict(_l("This task is no longer pending."))
    if not may_work_on(ctx, task):
        raise Forbidden(not_yours(task))
    task.draft_data = dict(data)
    db.session.flush()
    audit.record(ctx, "task.draft_saved", "human_task", task.id, expedient_id=task.expedient_id,
                 after={"fields": sorted(data)})
    return task


def reassign_candidates(ctx: Context, task: HumanTask) -> list[User]:
    """People who hold the task's role in this tenant (anyone with a role if it names none), or the
    members of its unit."""
    stmt = select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.tenant_id == ctx.tenant_id, User.active.is_(True)
    )
    if task.unit:
        stmt = stmt.where(User.id.in_(member_ids(ctx.tenant_id, task.unit)))
    elif task.role:
        stmt = stmt.where(Membership.role == task.role)
    return list(db.session.execute(stmt.distinct().order_by(User.full_name)).scalars())
