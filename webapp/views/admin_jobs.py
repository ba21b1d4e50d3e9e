"""Background jobs (admin): queue lengths, workers alive, failed jobs with a retry button,
and the latest integrity check; in embedded mode, a note that jobs run in-process."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for

from engine.base.i18n import _, _l
from engine.worker.admin import jobs_overview, retry_failed_job
from webapp.auth import roles_required
from webapp.navigation import NavItem

bp = Blueprint("admin_jobs", __name__, url_prefix="/admin/jobs")

NAV = [NavItem("admin_jobs.index", _l("Background jobs"), roles=("admin",), order=90, menu="admin")]


@bp.get("/")
@roles_required("admin")
def index() -> Any:
    return render_template("admin_jobs/index.html", overview=jobs_overview(g.ctx))


@bp.post("/<job_id>/retry")
@roles_required("admin")
def retry(job_id: str) -> Any:
    retry_failed_job(g.ctx, job_id)
    flash(_("The job was queued again."), "success")
    return redirect(url_for("admin_jobs.index"))
