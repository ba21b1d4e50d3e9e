"""The landing page after login."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from engine.base.db import db
from engine.onboarding.checklist import welcome_checklist
from engine.tenancy.models import Role, Tenant
from webapp.auth import login_required

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> Any:
    tenants = [db.session.get(Tenant, tid) for tid in g.user.tenant_ids()]
    current = db.session.get(Tenant, g.ctx.tenant_id)
    # An administrator finds what their municipality still has to set up on arrival.
    checklist = welcome_checklist(current) if current is not None and Role.ADMIN.value in g.ctx.roles else None
    return render_template("home.html", tenants=tenants, checklist=checklist)
