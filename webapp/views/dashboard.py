"""Quadre de comandament: transparency and control figures of the municipality."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from engine.base.i18n import _, _l
from engine.expedients.expedients import ExpedientState
from engine.expedients.statistics import dashboard
from webapp.auth import login_required
from webapp.i18n import month_filter
from webapp.navigation import NavItem

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

NAV = [NavItem("dashboard.index", _l("Dashboard"), order=50)]


def _state_labels() -> dict[str, str]:
    return {
        ExpedientState.OPEN.value: _("Open"),
        ExpedientState.CLOSED.value: _("Closed"),
        ExpedientState.INDEX_CLOSED_FOR_REMISSION.value: _("Sent to archive"),
    }


@bp.get("/")
@login_required
def index() -> Any:
    figures = dashboard(g.ctx)
    states = _state_labels()
    months = [month_filter(row.month) for row in figures.flow]
    chart_data = {
        "flow": {
            "labels": months,
            "series": [
                {"label": _("Opened expedients"), "values": [row.opened for row in figures.flow]},
                {"label": _("Resolved expedients"), "values": [row.resolved for row in figures.flow]},
            ],
        },
        "states": {
            "labels": [row.procedure for row in figures.states],
            "series": [
                {"label": label, "values": [row.counts.get(code, 0) for row in figures.states]}
                for code, label in states.items()
            ],
        },
    }
    return render_template("dashboard/index.html", figures=figures, states=states, months=months,
                           chart_data=chart_data)  # fmt: skip
