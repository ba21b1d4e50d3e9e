"""Tasks escalated for being overdue: the list the secretaries were e-mailed about, kept on a page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request

from engine.base.i18n import _l
from engine.inbox.overdue_escalation import SECRETARY, escalations_for
from webapp.auth import roles_required
from webapp.navigation import NavItem

bp = Blueprint("escalations", __name__)

#: Who watches overdue work: the secretary (who is told), the mayor and the administrator.
WATCHERS = (SECRETARY, "alcalde", "admin")

NAV = [NavItem("escalations.index", _l("Overdue tasks"), roles=WATCHERS, order=52, menu="tools")]


@bp.get("/escalations")
@roles_required(*WATCHERS)
def index() -> Any:
    pending_only = request.args.get("show") != "all"
    return render_template("escalations/index.html", rows=escalations_for(g.ctx, pending_only=pending_only),
                           pending_only=pending_only)
