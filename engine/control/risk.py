"""The open expedients against their legal terms: a page of them, the ones at risk, the province.

Every query reads open expedients (E01) by their stored due date (``ix_expedients_term_due``):
the due date with the ended suspensions is a lower bound of the real one (a running suspension
only moves it later), so ``term_due <= the 10th working day from today`` finds every candidate,
and the exact status is then worked out for those few rows only. Nothing walks the whole tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, func, select

from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.calendar import TenantCalendar
from engine.control.legal_terms import tenant_calendar
from engine.control.status import RISK_WORKING_DAYS, TermStatus, term_status
from engine.expedients.expedients import Expedient, ExpedientState
from engine.process.models import ProcessModel
from engine.tenancy.models import Tenant

PAGE_SIZE = 50
#: At most this many expedients in a risk list (the most urgent first).
RISK_LIMIT = 500


@dataclass(frozen=True)
class TermsPage:
    items: list[TermStatus]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class TenantTerms:
    tenant_id: int
    tenant: str
    with_term: int
    at_risk: int
    expired: int


def _open_with_term(tenant_id: int | None = None) -> Select[Expedient, str]:
    stmt = (
        select(Expedient, ProcessModel.name)
        .outerjoin(ProcessModel, ProcessModel.id == Expedient.process_model_id)
        .where(Expedient.state == ExpedientState.OPEN.value, Expedient.term_due.is_not(None))
    )
    return stmt.where(Expedient.tenant_id == tenant_id) if tenant_id is not None else stmt


def open_terms(ctx: Context, page: int = 1, today: date | None = None, per_page: int = PAGE_SIZE) -> TermsPage:
    """One page of the tenant's open expedients with a legal term, nearest due date first."""
    day = today or local_date(utcnow())
    total = db.session.execute(
        select(func.count()).select_from(Expedient).where(
            Expedient.tenant_id == ctx.tenant_id, Expedient.state == ExpedientState.OPEN.value,
            Expedient.term_due.is_not(None))
    ).scalar_one()  # fmt: skip
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        _open_with_term(ctx.tenant_id).order_by(Expedient.term_due, Expedient.id)
        .offset((page - 1) * per_page).limit(per_page)
    ).all()  # fmt: skip
    calendar = tenant_calendar(ctx.tenant_id)
    return TermsPage([term_status(calendar, e, name, day) for e, name in rows], total, page, pages)


def term_of(ctx: Context, expedient: Expedient, today: date | None = None) -> TermStatus | None:
    """Where one open expedient of the tenant stands against its legal term (None: closed or no term)."""
    if expedient.tenant_id != ctx.tenant_id or not expedient.is_open or expedient.term_due is None:
        return None
    model = db.session.get(ProcessModel, expedient.process_model_id) if expedient.process_model_id else None
    return term_status(tenant_calendar(ctx.tenant_id), expedient, model.name if model else None,
                       today or local_date(utcnow()))  # fmt: skip


def at_risk(ctx: Context, today: date | None = None, limit: int = RISK_LIMIT) -> list[TermStatus]:
    """Open expedients with 10 working days or fewer left, or past their term; most urgent first."""
    day = today or local_date(utcnow())
    calendar = tenant_calendar(ctx.tenant_id)
    bound = calendar.add_working_days(day, RISK_WORKING_DAYS)
    rows = db.session.execute(
        _open_with_term(ctx.tenant_id).where(Expedient.term_due <= bound)
        .order_by(Expedient.term_due, Expedient.id).limit(limit)
    ).all()  # fmt: skip
    statuses = [term_status(calendar, e, name, day) for e, name in rows]
    return sorted((s for s in statuses if s.at_risk), key=lambda s: (s.due, s.expedient_id))


def province_terms(today: date | None = None) -> list[TenantTerms]:
    """For each active tenant: open expedients with a term, how many are at risk, how many past it.

    Without a running suspension the stored last day is the real one, so those are counted by
    the database per tenant (against each tenant's own 10th working day); only the few with a
    running suspension are worked out one by one.
    """
    day = today or local_date(utcnow())
    tenants = list(db.session.execute(select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.name)).scalars())
    if not tenants:
        return []
    bounds = {t.id: TenantCalendar.for_tenant(t).add_working_days(day, RISK_WORKING_DAYS) for t in tenants}
    steady = Expedient.term_suspended_since.is_(None)
    bound = case(bounds, value=Expedient.tenant_id, else_=day)
    counts = {tenant_id: [int(n), int(risky or 0), int(past or 0)] for tenant_id, n, risky, past in db.session.execute(
        select(Expedient.tenant_id, func.count(),
               func.sum(case((and_(steady, Expedient.term_due <= bound), 1), else_=0)),
               func.sum(case((and_(steady, Expedient.term_due < day), 1), else_=0)))
        .where(Expedient.state == ExpedientState.OPEN.value, Expedient.term_due.is_not(None))
        .group_by(Expedient.tenant_id)
    ).all()}  # fmt: skip
    calendars = {t.id: TenantCalendar.for_tenant(t) for t in tenants}
    for expedient, name in db.session.execute(_open_with_term().where(~steady)).all():
        if expedient.tenant_id in counts and expedient.tenant_id in calendars:
            status = term_status(calendars[expedient.tenant_id], expedient, name, day)
            counts[expedient.tenant_id][1] += status.at_risk
            counts[expedient.tenant_id][2] += status.expired
    return [TenantTerms(t.id, t.name, *counts.get(t.id, [0, 0, 0])) for t in tenants]
