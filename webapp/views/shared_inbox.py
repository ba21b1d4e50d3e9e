"""Tasks in every municipality a person serves, in one list; opening one works in its municipality."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from engine.inbox.across_tenants import roles_by_tenant, shared_inbox
from webapp.auth import login_required
from webapp.inputs import PAGE_MAX, int_arg

bp = Blueprint("shared_inbox", __name__, url_prefix="/tasks/municipalities")


@bp.get("/")
@login_required
def index() -> Any:
    page = int_arg(request.args.get("page"), field="page", low=1, high=PAGE_MAX) or 1
    return render_template("tasks/shared_inbox.html", page=shared_inbox(g.user.id, g.ctx.locale, page))


@bp.get("/<int:tenant_id>/<int:task_id>")
@login_required
def open_task(tenant_id: int, task_id: int) -> Any:
    """Work on a task in its own municipality: switch to it (if I serve it), then open the task
    there, where that municipality's roles alone decide what I may do."""
    if tenant_id not in roles_by_tenant(g.user.id):
        abort(404)
    session["tenant_id"] = tenant_id
    return redirect(url_for("tasks.show", task_id=task_id))
