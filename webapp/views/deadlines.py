"""Termini: the deadline calculator (working days, natural days or months) with its explanation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.calendar.deadline_status import TermUnit, explain_tenant_term
from engine.tenancy.models import Tenant
from webapp.auth import login_required
from webapp.inputs import TERM_MAX, date_list, date_value, int_arg
from webapp.navigation import NavItem

bp = Blueprint("deadlines", __name__)

NAV = [NavItem("deadlines.calculator", _l("Deadlines"), order=60, menu="tools")]


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
            start = date_value(args["start"], "start")
            amount = int_arg(args.get("amount"), field="amount", low=0, high=TERM_MAX)
            if amount is None:
                raise ValidationFailed(_l("Enter a whole number."), field="amount")
            result = explain_tenant_term(tenant, start, args.get("unit", TermUnit.WORKING_DAYS.value), amount,
                                         date_list(args.get("extra", ""), "extra"))
        except ValidationFailed as err:
            error = err
    return render_template("deadlines/calculator.html", tenant=tenant, args=args, result=result, error=error,
                           today=local_date(utcnow()), units=list(TermUnit)), 422 if error else 200
