"""The landing page after login."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from engine.base.db import db
from engine.tenancy.models import Tenant
from webapp.auth import login_required

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index() -> Any:
    tenants = [db.session.get(Tenant, tid) for tid in g.user.tenant_ids()]
    return render_template("home.html", tenants=tenants)
