"""Legal-term control: open expedients against their maximum term, the ones at risk (refreshed
by htmx polling on the dashboard), and the same figures per municipality for the province."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request

from engine.base.i18n import _l
from engine.control.risk import at_risk, open_terms, province_terms
from engine.control.status import RISK_WORKING_DAYS
from engine.tenancy.models import Role
from webapp.auth import login_required, roles_required
from webapp.navigation import NavItem

bp = Blueprint("legal_terms", __name__, url_prefix="/dashboard/terms")

#: Who watches the terms of the municipality: the mayor decides, the secretary advises.
WATCHERS = (Role.ALCALDE.value, Role.SECRETARI.value)
#: Seconds between two refreshes of the risk list on the dashboard.
POLL_SECONDS = 60

NAV = [NavItem("legal_terms.index", _l("Legal terms"), roles=WATCHERS, order=51, menu="tools")]


@bp.get("/")
@roles_required(*WATCHERS)
def index() -> Any:
    page = request.args.get("page", 1, type=int) or 1
    return render_template("legal_terms/index.html", terms=open_terms(g.ctx, page), risk_days=RISK_WORKING_DAYS)


@bp.get("/at-risk")
@roles_required(*WATCHERS)
def risk_list() -> Any:
    """The risk list alone: the dashboard polls it every POLL_SECONDS seconds."""
    return render_template("legal_terms/_at_risk.html", risky=at_risk(g.ctx), risk_days=RISK_WORKING_DAYS,
                           poll_seconds=POLL_SECONDS)  # fmt: skip


@bp.get("/province")
@login_required
def province() -> Any:
    if not g.ctx.platform_admin:
        abort(403)
    return render_template("legal_terms/province.html", rows=province_terms(), risk_days=RISK_WORKING_DAYS)
