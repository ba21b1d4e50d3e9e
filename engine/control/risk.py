"""The open expedients against their legal terms: a page of them, the ones at risk, the province.

Every query reads open expedients (E01) by their stored due date (``ix_expedients_term_due``):
the due date with the ended suspensions is a lower bound of the real one (a running suspension
only moves it later), so ``term_due <= the 10th working day from today`` finds every candidate,
and the exact status is then worked out for those few rows only. Nothing walks the whole tenant.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, select

from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.control.legal_terms import tenant_calendar
from engine.control.status import RISK_WORKING_DAYS, TermStatus, term_status
from engine.expedients.expedients import Expedient, ExpedientState
from engine.process.models import ProcessModel
from engine.tenancy.models import Tenant

PAGE_SIZE = 50
#: At most this many expedients in a risk list (the most urgent first).
RISK_LIMIT = 500
#: 10 working days never span more natural days than this (weekends, Easter, Christmas).
RISK_NATURAL_BOUND = 31


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
    """For each active tenant: open expedients with a term, how many are at risk, how many past it."""
    day = today or local_date(utcnow())
    tenants = db.session.execute(select(Tenant.id, Tenant.name).where(Tenant.active.is_(True))
                                 .order_by(Tenant.name)).all()  # fmt: skip
    counts = dict(db.session.execute(
        select(Expedient.tenant_id, func.count()).where(
            Expedient.state == ExpedientState.OPEN.value, Expedient.term_due.is_not(None))
        .group_by(Expedient.tenant_id)
    ).all())  # fmt: skip
    candidates = db.session.execute(
        _open_with_term().where(Expedient.term_due <= day + timedelta(days=RISK_NATURAL_BOUND))
    ).all()
    risk: dict[int, list[TermStatus]] = defaultdict(list)
    calendars = {}
    for expedient, name in candidates:
        tenant_id = expedient.tenant_id
        if tenant_id not in calendars:
            calendars[tenant_id] = tenant_calendar(tenant_id)
        status = term_status(calendars[tenant_id], expedient, name, day)
        if status.at_risk:
            risk[tenant_id].append(status)
    return [TenantTerms(tid, name, int(counts.get(tid, 0)), len(risk[tid]), sum(s.expired for s in risk[tid]))
            for tid, name in tenants]  # fmt: skip
