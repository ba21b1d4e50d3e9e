"""Transparency and control figures of a tenant, read from records and projection rows only
(expedients, human tasks, process models); no workflow is ever loaded.

- expedients of each procedure by NTI state (E01 open, E02 closed, E03 index closed for remission);
- overdue tasks: pending human tasks whose due date has passed;
- median days from opening to closing against the legal maximum, per procedure (closed expedients);
- expedients opened and resolved (closed) per month over the last twelve months.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Float, case, cast, func, or_, select

from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.i18n import _
from engine.expedients.expedients import Expedient, ExpedientState
from engine.process.definition.sidecar import procedure_label
from engine.process.definition.task_labels import task_label
from engine.process.models import HumanTask, Incident, ProcessInstance, ProcessModel
from engine.tenancy.models import User

MONTHS = 12
#: Instance statuses that are over.
FINISHED = ("completed", "cancelled")


@dataclass(frozen=True)
class ProcedureStates:
    procedure: str
    counts: dict[str, int]  # state code -> number of expedients

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class OverdueTask:
    task_id: int
    task_name: str
    role: str | None
    assignee: str | None
    due_at: datetime
    days_overdue: int
    expedient_id: int | None
    expedient_number: str | None


@dataclass(frozen=True)
class ResolutionTime:
    procedure: str
    median_days: float
    resolved: int
    #: The maximum legal term in months (arts. 21-22 Ley 39/2015), when the procedure has one.
    legal_months: int | None = None
    #: The procedure's process key (None for expedients opened without one).
    key: str | None = None


@dataclass(frozen=True)
class MonthFlow:
    month: date  # first day of the month
    opened: int
    resolved: int


@dataclass(frozen=True)
class Dashboard:
    states: list[ProcedureStates]
    overdue: list[OverdueTask]
    resolution: list[ResolutionTime]
    flow: list[MonthFlow]

    @property
    def open_total(self) -> int:
        return sum(row.counts.get(ExpedientState.OPEN.value, 0) for row in self.states)


def _procedure_label(ctx: Context, key: str | None, name: str | None) -> str:
    return procedure_label(key, name, ctx.locale) if key and name else _("No procedure")


def expedients_by_procedure_and_state(ctx: Context) -> list[ProcedureStates]:
    rows = db.session.execute(
        select(ProcessModel.key, ProcessModel.name, Expedient.state, func.count())
        .select_from(Expedient)
        .outerjoin(ProcessModel, ProcessModel.id == Expedient.process_model_id)
        .where(Expedient.tenant_id == ctx.tenant_id)
        .group_by(ProcessModel.key, ProcessModel.name, Expedient.state)
    ).all()
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    for key, name, state, count in rows:
        counts = grouped[_procedure_label(ctx, key, name)]
        counts[state] = counts.get(state, 0) + int(count)
    return [ProcedureStates(name, grouped[name]) for name in sorted(grouped)]


def overdue_tasks(ctx: Context, now: datetime | None = None, limit: int = 100) -> list[OverdueTask]:
    """Pending tasks past their due date, the most overdue first."""
    moment = as_utc(now) or utcnow()
    rows = db.session.execute(
        select(HumanTask, Expedient.number, User.full_name)
        .outerjoin(Expedient, (Expedient.id == HumanTask.expedient_id) & (Expedient.tenant_id == ctx.tenant_id))
        .outerjoin(User, User.id == HumanTask.assignee_id)
        .where(HumanTask.tenant_id == ctx.tenant_id, HumanTask.state == "ready", HumanTask.due_at < moment)
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(limit)
    ).all()
    today = local_date(moment)
    out = []
    for task, number, assignee in rows:
        due = as_utc(task.due_at) or moment
        out.append(OverdueTask(task.id, task_label(task, ctx.locale), task.role, assignee, due,
                               (today - local_date(due)).days, task.expedient_id, number))  # fmt: skip
    return out


def _days_open() -> Any:
    """Natural days (with fractions) from opening to closing, in the database's own arithmetic."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", Expedient.closed_at - Expedient.opened_at) / 86400.0
    return func.julianday(Expedient.closed_at) - func.julianday(Expedient.opened_at)


def resolution_times(ctx: Context, since: datetime | None = None) -> list[ResolutionTime]:
    """Per procedure, over its closed expedients (closed from ``since``, when given): how many, the
    median natural days from opening to closing (the middle value, or the mean of the two middle
    ones, picked by a window function in the database: one query, whatever the number of
    expedients) and the legal maximum in months its expedients carried (actual against legal times).
    A tenant's own model and the shared one of the same key count as one procedure."""
    days = cast(_days_open(), Float).label("days")
    closed = [Expedient.tenant_id == ctx.tenant_id, Expedient.closed_at.is_not(None)]
    if since is not None:
        closed.append(Expedient.closed_at >= since)
    ranked = (
        select(
            ProcessModel.key.label("key"),
            ProcessModel.name.label("name"),
            days,
            Expedient.term_months.label("months"),
            func.row_number().over(partition_by=ProcessModel.key, order_by=days).label("rank"),
            func.count().over(partition_by=ProcessModel.key).label("n"),
        )
        .select_from(Expedient)
        .outerjoin(ProcessModel, ProcessModel.id == Expedient.process_model_id)
        .where(*closed)
        .subquery()
    )
    middle = or_(ranked.c.rank == (ranked.c.n + 1) / 2, ranked.c.rank == (ranked.c.n + 2) / 2)
    rows = db.session.execute(
        select(ranked.c.key, func.max(ranked.c.name), func.max(ranked.c.n), func.avg(case((middle, ranked.c.days))),
               func.max(ranked.c.months))
        .group_by(ranked.c.key)
    ).all()  # fmt: skip
    out = [ResolutionTime(_procedure_label(ctx, key, name), round(float(median), 1), int(n),
                          int(months) if months is not None else None, key)
           for key, name, n, median, months in rows]  # fmt: skip
    return sorted(out, key=lambda row: row.procedure)


def _month_start(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def monthly_flow(ctx: Context, today: date | None = None, months: int = MONTHS) -> list[MonthFlow]:
    """Opened and resolved (closed) expedients in each of the last ``months`` months, oldest first."""
    current = today or local_date(utcnow())
    first = _month_start(current, months - 1)
    # A day's margin for the time zone; moments before ``first`` fall outside the months listed.
    since = datetime(first.year, first.month, 1, tzinfo=UTC) - timedelta(days=1)
    opened = db.session.execute(
        select(Expedient.opened_at).where(Expedient.tenant_id == ctx.tenant_id, Expedient.opened_at >= since)
    ).scalars()
    closed = db.session.execute(
        select(Expedient.closed_at).where(Expedient.tenant_id == ctx.tenant_id, Expedient.closed_at >= since)
    ).scalars()

    def per_month(moments: Iterable[datetime | None]) -> Counter[date]:
        return Counter(local_date(m).replace(day=1) for m in moments if m is not None)

    opened_by, closed_by = per_month(opened), per_month(closed)
    out = []
    for back in range(months - 1, -1, -1):
        month = _month_start(current, back)
        out.append(MonthFlow(month, opened_by.get(month, 0), closed_by.get(month, 0)))
    return out


def dashboard(ctx: Context, now: datetime | None = None) -> Dashboard:
    moment = as_utc(now) or utcnow()
    return Dashboard(
        states=expedients_by_procedure_and_state(ctx),
        overdue=overdue_tasks(ctx, moment),
        resolution=resolution_times(ctx),
        flow=monthly_flow(ctx, local_date(moment)),
    )


def running_instances_by_version(ctx: Context, version_ids: Iterable[int]) -> dict[int, int]:
    """How many of this tenant's instances are still running on each process version."""
    ids = list(version_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ProcessInstance.process_version_id, func.count())
        .where(ProcessInstance.tenant_id == ctx.tenant_id, ProcessInstance.process_version_id.in_(ids),
               ProcessInstance.status.not_in(FINISHED))
        .group_by(ProcessInstance.process_version_id)
    ).all()
    return {version_id: int(count) for version_id, count in rows}


def open_incidents(ctx: Context) -> list[tuple[Incident, str | None]]:
    """Failed steps waiting for an administrator, oldest first, with their expedient's number."""
    rows = db.session.execute(
        select(Incident, Expedient.number)
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .outerjoin(Expedient, (Expedient.id == ProcessInstance.expedient_id) & (Expedient.tenant_id == ctx.tenant_id))
        .where(Incident.tenant_id == ctx.tenant_id, Incident.state == "open")
        .order_by(Incident.created_at, Incident.id)
    ).all()
    return [(incident, number) for incident, number in rows]
