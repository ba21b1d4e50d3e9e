"""Transparency and control figures of a tenant, read from records and projection rows only
(expedients, human tasks, process models); no workflow is ever loaded.

- expedients of each procedure by NTI state (E01 open, E02 closed, E03 index closed for remission);
- overdue tasks: pending human tasks whose due date has passed;
- median days from opening to closing against the legal maximum, per procedure (closed expedients);
- expedients opened and resolved (closed) per month over the last twelve months.

The dashboard's states, months and medians read the figures maintained with every expedient
(engine.expedients.figures): a few rows, whatever the municipality's history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, case, cast, func, or_, select

from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.i18n import _
from engine.base.paging import Page
from engine.expedients.expedients import Expedient, ExpedientState
from engine.expedients.figures import ExpedientMonth, ExpedientStates, ResolutionDays
from engine.process.definition.sidecar import procedure_label
from engine.process.definition.task_labels import instance_labels
from engine.process.instances.incidents_reading import IncidentReading, read_incident
from engine.process.models import HumanTask, Incident, ProcessInstance, ProcessModel, ProcessVersion
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
    """Expedients per procedure and NTI state, read from the maintained counters (a row per pair)."""
    rows = db.session.execute(
        select(ProcessModel.key, ProcessModel.name, ExpedientStates.state, ExpedientStates.count)
        .select_from(ExpedientStates)
        .outerjoin(ProcessModel, ProcessModel.id == ExpedientStates.procedure_id)
        .where(ExpedientStates.tenant_id == ctx.tenant_id, ExpedientStates.count > 0)
    ).all()
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    for key, name, state, count in rows:
        counts = grouped[_procedure_label(ctx, key, name)]
        counts[state] = counts.get(state, 0) + int(count)
    return [ProcedureStates(name, grouped[name]) for name in sorted(grouped)]


def overdue_tasks(ctx: Context, now: datetime | None = None, limit: int = 100) -> list[OverdueTask]:
    """Pending tasks past their due date, the most overdue first."""
    moment = as_utc(now) or utcnow()
    rows = db.session.execute(  # the columns shown, not the tasks: a hundred rows load no entities
        select(HumanTask.id, HumanTask.instance_id, HumanTask.element_id, HumanTask.name, HumanTask.role,
               HumanTask.due_at, HumanTask.expedient_id, Expedient.number, User.full_name)
        .outerjoin(Expedient, (Expedient.id == HumanTask.expedient_id) & (Expedient.tenant_id == ctx.tenant_id))
        .outerjoin(User, User.id == HumanTask.assignee_id)
        .where(HumanTask.tenant_id == ctx.tenant_id, HumanTask.state == "ready", HumanTask.due_at < moment)
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(limit)
    ).all()  # fmt: skip
    names = instance_labels([(row.instance_id, row.element_id, row.name) for row in rows], ctx.locale)
    today = local_date(moment)
    out = []
    for row, name in zip(rows, names, strict=True):
        due = as_utc(row.due_at) or moment
        out.append(OverdueTask(row.id, name, row.role, row.full_name, due, (today - local_date(due)).days,
                               row.expedient_id, row.number))  # fmt: skip
    return out


def _days_open() -> Any:
    """Natural days (with fractions) from opening to closing, in the database's own arithmetic."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", Expedient.closed_at - Expedient.opened_at) / 86400.0
    return func.julianday(Expedient.closed_at) - func.julianday(Expedient.opened_at)


def resolution_times(ctx: Context, since: datetime | None = None) -> list[ResolutionTime]:
    """Per procedure, over its closed expedients (closed from ``since``, when given): how many, the
    median natural days from opening to closing (the middle value, or the mean of the two middle
    ones: ``percentile_cont`` on PostgreSQL, a window function elsewhere; one query, whatever the
    number of expedients) and the legal maximum in months its expedients carried (actual against legal times).
    A tenant's own model and the shared one of the same key count as one procedure."""
    days = cast(_days_open(), Float)
    closed = [Expedient.tenant_id == ctx.tenant_id, Expedient.closed_at.is_not(None)]
    if since is not None:
        closed.append(Expedient.closed_at >= since)
    if db.engine.dialect.name == "postgresql":  # one sort per procedure, read from ix_expedients_closed alone
        rows = db.session.execute(
            select(ProcessModel.key, func.max(ProcessModel.name), func.count(),
                   func.percentile_cont(0.5).within_group(days), func.max(Expedient.term_months))
            .select_from(Expedient)
            .outerjoin(ProcessModel, ProcessModel.id == Expedient.process_model_id)
            .where(*closed)
            .group_by(ProcessModel.key)
        ).all()  # fmt: skip
    else:
        rows = _medians_by_window(days, closed)
    out = [ResolutionTime(_procedure_label(ctx, key, name), round(float(median), 1), int(n),
                          int(months) if months is not None else None, key)
           for key, name, n, median, months in rows]  # fmt: skip
    return sorted(out, key=lambda row: row.procedure)


def _medians_by_window(days: Any, closed: list[Any]) -> list[Any]:
    """Per procedure: key, name, count, median days and legal months, the median picked by a window
    function (the middle value, or the mean of the two middle ones) where there is no percentile."""
    ranked = (
        select(
            ProcessModel.key.label("key"),
            ProcessModel.name.label("name"),
            days.label("days"),
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
    return list(db.session.execute(
        select(ranked.c.key, func.max(ranked.c.name), func.max(ranked.c.n), func.avg(case((middle, ranked.c.days))),
               func.max(ranked.c.months))
        .group_by(ranked.c.key)
    ).all())  # fmt: skip


def _month_start(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def monthly_flow(ctx: Context, today: date | None = None, months: int = MONTHS) -> list[MonthFlow]:
    """Opened and resolved (closed) expedients in each of the last ``months`` months (Catalan
    calendar months), oldest first: read from the maintained monthly figures, ``months`` rows at most."""
    current = today or local_date(utcnow())
    firsts = [_month_start(current, back) for back in range(months - 1, -1, -1)]
    rows = db.session.execute(
        select(ExpedientMonth.month, ExpedientMonth.opened, ExpedientMonth.closed)
        .where(ExpedientMonth.tenant_id == ctx.tenant_id, ExpedientMonth.month >= firsts[0],
               ExpedientMonth.month <= firsts[-1])
    ).all()  # fmt: skip
    found = {month: (opened, closed) for month, opened, closed in rows}
    return [MonthFlow(first, *found.get(first, (0, 0))) for first in firsts]


def _median(histogram: dict[int, int]) -> float:
    """The middle value of a histogram (value -> how many), or the mean of the two middle ones."""
    total = sum(histogram.values())
    wanted = [(total + 1) // 2, (total + 2) // 2]
    picked: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while wanted and wanted[0] <= seen:
            picked.append(value)
            wanted.pop(0)
    return sum(picked) / len(picked)


def resolution_medians(ctx: Context) -> list[ResolutionTime]:
    """Per procedure, over all its closed expedients: how many, the median whole days from opening to
    closing and the legal maximum in months they carried. Read from the maintained histogram (one row per
    procedure, term and number of days), not from the expedients. A tenant's own model and the shared
    one of the same key count as one procedure."""
    rows = db.session.execute(
        select(ProcessModel.key, ProcessModel.name, ResolutionDays.term_months, ResolutionDays.days,
               ResolutionDays.count)
        .select_from(ResolutionDays)
        .outerjoin(ProcessModel, ProcessModel.id == ResolutionDays.procedure_id)
        .where(ResolutionDays.tenant_id == ctx.tenant_id, ResolutionDays.count > 0)
    ).all()  # fmt: skip
    histograms: dict[str | None, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str | None, str | None] = {}
    terms: dict[str | None, int] = defaultdict(int)
    for key, name, term_months, days, count in rows:
        histograms[key][days] += count
        names[key] = max(filter(None, (names.get(key), name)), default=None)
        terms[key] = max(terms[key], term_months)
    out = [ResolutionTime(_procedure_label(ctx, key, names[key]), round(_median(histogram), 1),
                          sum(histogram.values()), terms[key] or None, key)
           for key, histogram in histograms.items()]  # fmt: skip
    return sorted(out, key=lambda row: row.procedure)


def dashboard(ctx: Context, now: datetime | None = None) -> Dashboard:
    moment = as_utc(now) or utcnow()
    return Dashboard(
        states=expedients_by_procedure_and_state(ctx),
        overdue=overdue_tasks(ctx, moment),
        resolution=resolution_medians(ctx),
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


#: Incidents the Administration page shows; the others are on their own paged list.
INCIDENTS_SHOWN = 50


#: A page of the open incidents, newest first, and how many are open in all.
IncidentsPage = Page[IncidentReading]


def open_incidents(ctx: Context, page: int = 1, per_page: int = INCIDENTS_SHOWN) -> IncidentsPage:
    """Failed steps waiting for an administrator, newest first, a page at a time, each read in words
    (:mod:`engine.process.instances.incidents_reading`) with its expedient's id and number."""
    waiting = (Incident.tenant_id == ctx.tenant_id) & (Incident.state == "open")
    total = int(db.session.execute(select(func.count()).select_from(Incident).where(waiting)).scalar_one())
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = db.session.execute(
        select(Incident, Expedient.id, Expedient.number, ProcessVersion)
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .outerjoin(Expedient, (Expedient.id == ProcessInstance.expedient_id) & (Expedient.tenant_id == ctx.tenant_id))
        .where(waiting)
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all() if total else []
    return IncidentsPage([read_incident(incident, version, expedient_id, number, ctx.locale)
                          for incident, expedient_id, number, version in rows], total, page, per_page)  # fmt: skip
