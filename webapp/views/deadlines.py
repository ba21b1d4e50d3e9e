"""Termini: the deadline calculator (working days, natural days or months) with its explanation."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, g, render_template, request

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.calendar import TenantCalendar
from engine.calendar.deadline_status import TermUnit, explain_term
from engine.tenancy.models import Tenant
from webapp.auth import login_required
from webapp.inputs import TERM_MAX, YEAR_MAX, YEAR_MIN, int_arg
from webapp.navigation import NavItem

bp = Blueprint("deadlines", __name__)

NAV = [NavItem("deadlines.calculator", _l("Deadlines"), order=60, menu="tools")]


def _date(value: str, field: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(_l("Enter a valid date (day, month and year)."), field=field) from None
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise ValidationFailed(
            _l("Enter a year between %(low)s and %(high)s.", low=YEAR_MIN, high=YEAR_MAX), field=field
        )
    return day


def _extra_days(text: str) -> frozenset[date]:
    return frozenset(_date(part, "extra") for part in text.replace(",", " ").split())


@bp.get("/deadlines")
@login_required
def calculator() -> Any:
    tenant = db.session.get(Tenant, g.ctx.tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    args = request.args
    result, error = None, None
    if args.get("start"):
        try:
            start = _date(args["start"], "start")
            amount = int_arg(args.get("amount"), field="amount", low=0, high=TERM_MAX)
            if amount is None:
                raise ValidationFailed(_l("Enter a whole number."), field="amount")
            extra = _extra_days(args.get("extra", ""))
            local = frozenset(date.fromisoformat(d) for d in tenant.holiday_dates())
            calendar = TenantCalendar.for_tenant(tenant)
            if extra:
                calendar = calendar.union(TenantCalendar(extra, aran=bool(tenant.aran)))
            result = explain_term(calendar, start, args.get("unit", TermUnit.WORKING_DAYS.value), amount,
                                  local_holidays=local, extra_holidays=extra)
        except ValidationFailed as err:
            error = err
    return render_template("deadlines/calculator.html", tenant=tenant, args=args, result=result, error=error,
                           today=local_date(utcnow()), units=list(TermUnit)), 422 if error else 200
