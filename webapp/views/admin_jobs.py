"""Background jobs (admin): queue lengths, workers alive, failed jobs with a retry button,
and the latest integrity check; in embedded mode, a note that jobs run in-process and the jobs
that failed in-process (:mod:`engine.worker.failed_jobs`), each with a Retry that runs it again."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for
from sqlalchemy import select

from engine.base.db import db
from engine.base.i18n import _, _l
from engine.tenancy.models import Tenant
from engine.worker.admin import JobsOverview, job_label, jobs_overview, retry_failed_job
from engine.worker.failed_jobs import in_process_failures, retry_in_process
from webapp.auth import roles_required
from webapp.navigation import NavItem

bp = Blueprint("admin_jobs", __name__, url_prefix="/admin/jobs")

NAV = [NavItem("admin_jobs.index", _l("Background jobs"), roles=("admin",), order=90, menu="admin")]


@bp.get("/")
@roles_required("admin")
def index() -> Any:
    overview = jobs_overview(g.ctx)
    in_process, in_process_total = in_process_failures(g.ctx)
    return render_template("admin_jobs/index.html", overview=overview, tenant_names=_tenant_names(overview),
                           in_process=in_process, in_process_total=in_process_total, job_label=job_label)  # fmt: skip


def _tenant_names(overview: JobsOverview) -> dict[int, str] | None:
    """For a platform administrator, who sees the failed jobs of every tenant: whose each one is."""
    if not g.ctx.platform_admin:
        return None
    ids = {job.tenant_id for job in overview.failed if job.tenant_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(Tenant.id, Tenant.name).where(Tenant.id.in_(ids)))
    return {tenant_id: name for tenant_id, name in rows}


@bp.post("/<job_id>/retry")
@roles_required("admin")
def retry(job_id: str) -> Any:
    retry_failed_job(g.ctx, job_id)
    flash(_("The job was queued again."), "success")
    return redirect(url_for("admin_jobs.index"))


@bp.post("/in-process/<int:record_id>/retry")
@roles_required("admin")
def retry_here(record_id: int) -> Any:
    """Run a job that failed in-process again, now: it goes through, or the page says how it failed again."""
    error = retry_in_process(g.ctx, record_id)
    if error is None:
        flash(_("The job was run again and went through."), "success")
    else:
        flash(_("The job was run again and failed again: %(error)s", error=error), "danger")
    return redirect(url_for("admin_jobs.index"))
