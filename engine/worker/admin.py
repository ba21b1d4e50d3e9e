"""What the admin "Background jobs" page shows, and retrying a failed job.

Jobs are shared by all tenants of a deployment; a tenant admin sees the failed jobs of their
own tenant (``job.meta["tenant_id"]``), a platform admin sees all. Queue length and workers
alive are deployment-wide figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.base.context import Context
from engine.base.errors import Forbidden, NotFound
from engine.base.i18n import _l
from engine.base.jobs import QUEUE_NAME, job_queue, redis_connection
from engine.worker.integrity import IntegrityCheck, latest_check

ADMIN = "admin"


#: What each job does, in the administrator's words, by the name of its function.
JOB_LABELS = {
    "run_engine_steps": _l("Automatic steps of an expedient"),
    "fire_due_batch": _l("Due timers of expedients"),
    "expire_notification": _l("Expiry of a notification not opened in 10 days"),
    "continue_after_notification": _l("Continuing an expedient after its notification"),
    "escalate_task": _l("Escalation of an overdue task"),
    "send_weekly_digest": _l("Weekly e-mail of legal terms at risk"),
    "close_exposure": _l("End of a notice's exposure period"),
    "deliver": _l("Webhook delivery"),
    "issue_receipt": _l("Registry receipt"),
    "verify_signatures": _l("Verification of a document's signatures"),
    "generate_document": _l("Generation of a document"),
    "run_integrity_checks": _l("Integrity check of the documents and the audit trail"),
    "seal_all_tenants": _l("Daily seal of the audit trail"),
    "run_migration": _l("Migration from another tool"),
    "continue_import": _l("Import of municipalities from a CSV file"),
}


def job_label(func: str) -> str:
    """The job's function ("engine.module:function") in words; the path itself when it is not known."""
    name = func.rpartition(":")[2].rpartition(".")[2]
    label = JOB_LABELS.get(name)
    return str(label) if label is not None else func


@dataclass(frozen=True)
class FailedJob:
    id: str
    func: str
    error: str
    failed_at: datetime | None
    tenant_id: int | None

    @property
    def label(self) -> str:
        """What the job did, in words (see :data:`JOB_LABELS`)."""
        return job_label(self.func)


@dataclass
class JobsOverview:
    embedded: bool
    queue: str = QUEUE_NAME
    queued: int = 0
    scheduled: int = 0
    started: int = 0
    workers: list[str] = field(default_factory=list)
    failed: list[FailedJob] = field(default_factory=list)
    integrity: IntegrityCheck | None = None


def _check_admin(ctx: Context) -> None:
    if not (ctx.has_role(ADMIN) or ctx.platform_admin):
        raise Forbidden(_l("Only an administrator can manage background jobs."))


def _visible(ctx: Context, job: Any) -> bool:
    return ctx.platform_admin or (job.meta or {}).get("tenant_id") == ctx.tenant_id


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def jobs_overview(ctx: Context, limit: int = 100) -> JobsOverview:
    _check_admin(ctx)
    connection = redis_connection()
    check = latest_check(ctx.tenant_id)
    if connection is None:
        return JobsOverview(embedded=True, integrity=check)
    from rq import Worker
    from rq.job import Job

    queue = job_queue(connection)
    failed_ids = queue.failed_job_registry.get_job_ids()
    failed = []
    for job in Job.fetch_many(failed_ids[-limit:], connection=connection):
        if job is None or not _visible(ctx, job):
            continue
        result = job.latest_result()
        failed.append(FailedJob(
            id=job.id, func=str((job.meta or {}).get("func") or job.description or job.func_name),
            error=_last_line(result.exc_string if result else job.exc_info),
            failed_at=job.ended_at, tenant_id=(job.meta or {}).get("tenant_id"),
        ))
    return JobsOverview(
        embedded=False, queued=queue.count, scheduled=queue.scheduled_job_registry.count,
        started=queue.started_job_registry.count,
        workers=sorted(w.name for w in Worker.all(connection=connection)),
        failed=sorted(failed, key=lambda f: f.failed_at or datetime.min, reverse=True),
        integrity=check,
    )


def retry_failed_job(ctx: Context, job_id: str) -> None:
    """Put a failed job back on the queue: it runs once more (its retries were used up)."""
    _check_admin(ctx)
    connection = redis_connection()
    if connection is None:
        raise NotFound(_l("Not found."))
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        raise NotFound(_l("Not found.")) from None
    if not _visible(ctx, job):
        raise NotFound(_l("Not found."))
    try:
        job_queue(connection).failed_job_registry.requeue(job)
    except InvalidJobOperation:
        raise NotFound(_l("Not found.")) from None


__all__ = ["JOB_LABELS", "FailedJob", "JobsOverview", "job_label", "jobs_overview", "retry_failed_job"]
