"""The JSON API of terms: the deadline calculator of the *Deadlines* page, and where an expedient
stands against its legal term (as its page shows it). For every member, as those pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import g, request

from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.calendar.deadline_status import TermUnit, explain_tenant_term
from engine.control.risk import term_of
from engine.expedients.expedients import get_expedient
from engine.tenancy.models import Tenant
from webapp.api.answers import ok
from webapp.api.auth import api_blueprint
from webapp.inputs import TERM_MAX, date_list, date_value, int_arg

bp = api_blueprint("api_deadlines")


@bp.get("/deadlines")
def calculate_deadline() -> Any:
    """The last day of a term notified on ``start`` on the municipality's calendar, and the days skipped."""
    tenant = db.session.get(Tenant, g.ctx.tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    args = request.args
    start = date_value(args.get("start", ""), "start")
    amount = int_arg(args.get("amount"), field="amount", low=0, high=TERM_MAX)
    if amount is None:
        raise ValidationFailed(_l("Enter a whole number."), field="amount")
    result = explain_tenant_term(tenant, start, args.get("unit", TermUnit.WORKING_DAYS.value), amount,
                                 date_list(args.get("extra", ""), "extra"))  # fmt: skip
    return ok({"start": result.start, "unit": str(result.unit), "amount": result.amount, "end": result.end,
               "counting_from": result.counting_from, "moved_from": result.moved_from,
               "skipped": [{"day": s.day, "reason": str(s.reason)} for s in result.skipped]})  # fmt: skip


@bp.get("/expedients/<int:expedient_id>/term")
def expedient_term(expedient_id: int) -> Any:
    """``term`` is null for a closed expedient or one whose procedure sets no maximum term."""
    status = term_of(g.ctx, get_expedient(g.ctx, expedient_id))
    if status is None:
        return ok({"term": None})
    return ok({"term": {**asdict(status), "expired": status.expired, "at_risk": status.at_risk}})
