"""Jobs that failed in-process (no Redis, or Redis unreachable): recorded for the administrator.

Without Redis a job runs right away in the process that asks for it (see :func:`engine.base.jobs.enqueue`).
Inside a unit of work it is part of the caller's work: a failure undoes the caller's change and the caller
is told, as any other error. Run as a unit of its own (after a request committed, from the scheduler's
sweep, from a command), its failure used to reach only the log; it is now kept here, one row per job
(a job that fails again updates its row, one that runs through later removes it), and the "Background
jobs" page shows it with a Retry that runs it again in-process. With Redis, rq keeps failed jobs itself.

A failing step of a procedure is not a failed job: the engine turns it into an Incident (retried or
skipped on the Administration page); the job that ran the steps went through.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, delete, func, select, true
from sqlalchemy.orm import Mapped, mapped_column

from engine.base import jobs, unit_of_work
from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, GeeError, NotFound
from engine.base.i18n import _l
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient
from engine.noticeboard.models import Edict
from engine.notifications.notifications import Notification
from engine.process.models import HumanTask, ProcessInstance
from engine.registry.entries import RegistryEntry
from engine.tenancy.models import Tenant

log = logging.getLogger("gee.jobs")

ADMIN = "admin"
#: At most this many failed jobs are listed (the newest).
LISTED = 100


class FailedJobRecord(db.Model):  # type: ignore[name-defined]
    """A job that failed in-process, as it was asked for (to run it again) and how it failed."""

    __tablename__ = "failed_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    #: The job's id when it has one (``receipt-12``), else its function and arguments hashed: one row per job.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    func: Mapped[str] = mapped_column(String(200))
    #: None when the arguments cannot be kept as JSON: then the job cannot be run again from the page.
    args: Mapped[list[Any] | None] = mapped_column(JSON)
    kwargs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    expedient_id: Mapped[int | None] = mapped_column(Integer)
    document_id: Mapped[int | None] = mapped_column(Integer)
    #: The exception's last line (``ZeroDivisionError: division by zero``), for whoever fixes the cause.
    error: Mapped[str] = mapped_column(Text)
    #: GEE's own words for the failure, when the job refused on purpose (a GeeError), in the language of the run.
    message: Mapped[str | None] = mapped_column(Text)
    times: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def retryable(self) -> bool:
        return self.args is not None


#: Jobs whose second argument (after the tenant id) leads to an expedient: the table it is an id of.
_SUBJECTS = {
    "run_engine_steps": "process_instances",
    "expire_notification": "notifications",
    "continue_after_notification": "notifications",
    "escalate_task": "human_tasks",
    "close_exposure": "edicts",
    "issue_receipt": "registry_entries",
    "verify_signatures": "documents",
    "generate_document": "expedients",
}


def _name(path: str) -> str:
    return path.rpartition(":")[2].rpartition(".")[2]


def _key(path: str, args: list[Any] | None, kwargs: dict[str, Any] | None, job_id: str | None) -> str:
    if job_id:
        return job_id[:200]
    body = json.dumps([path, args, kwargs], sort_keys=True, default=repr)
    return f"{_name(path)[:120]}-{hashlib.sha256(body.encode()).hexdigest()[:32]}"


def _json(value: Any) -> Any:
    """``value`` as stored JSON gives it back, or None when it cannot be kept."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return None


def _last_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return (lines[-1] if lines else type(exc).__name__)[:2000]


#: The rows the second argument of those jobs is an id of.
_TABLES: dict[str, Any] = {"process_instances": ProcessInstance, "notifications": Notification, "edicts": Edict,
                           "human_tasks": HumanTask, "registry_entries": RegistryEntry, "documents": Document}


def _subject(path: str, args: list[Any]) -> tuple[int | None, int | None]:
    """(expedient id, document id) the job was for, when its arguments (tenant id, row id…) say."""
    table = _SUBJECTS.get(_name(path))
    if table is None or len(args) < 2 or not isinstance(args[0], int) or not isinstance(args[1], int):
        return None, None
    tenant_id, ident = args[0], args[1]
    if table == "expedients":
        return ident, None
    model = _TABLES[table]
    expedient_id = db.session.execute(
        select(model.expedient_id).where(model.id == ident, model.tenant_id == tenant_id)
    ).scalar_one_or_none()
    return expedient_id, ident if table == "documents" else None


def _note_failure(path: str, args: list[Any], kwargs: dict[str, Any], job_id: str | None, exc: BaseException) -> None:
    """Keep (or update) the record of a job that failed; flushes, the caller commits."""
    stored_args, stored_kwargs = _json(list(args)), _json(dict(kwargs))
    key = _key(path, stored_args, stored_kwargs, job_id)
    record = db.session.execute(select(FailedJobRecord).where(FailedJobRecord.key == key)).scalar_one_or_none()
    message = str(exc.message) if isinstance(exc, GeeError) else None
    if record is None:
        tenant_id = args[0] if args and isinstance(args[0], int) else None
        expedient_id, document_id = _subject(path, list(args))
        record = FailedJobRecord(key=key, tenant_id=tenant_id, func=path, args=stored_args, kwargs=stored_kwargs,
                                 expedient_id=expedient_id, document_id=document_id, times=0,
                                 first_failed_at=utcnow())  # fmt: skip
        db.session.add(record)
    record.error, record.message = _last_line(exc), message
    record.times, record.failed_at = (record.times or 0) + 1, utcnow()
    db.session.flush()


def _forget(key: str) -> None:
    """A job that ran through is no longer failed (a read first: most jobs never failed)."""
    found = db.session.execute(select(FailedJobRecord.id).where(FailedJobRecord.key == key)).first()
    if found is not None:
        db.session.execute(delete(FailedJobRecord).where(FailedJobRecord.key == key))


def record_outcome(path: str, args: list[Any], kwargs: dict[str, Any], job_id: str | None,
                   error: BaseException | None) -> None:
    """Told by :mod:`engine.base.jobs` of each in-process job run as its own unit of work: a failure is
    kept, a success clears an earlier failure of the same job. Never raises (the job's outcome stands)."""
    try:
        if error is None:
            key = _key(path, _json(list(args)), _json(dict(kwargs)), job_id)
            unit_of_work.run_in_transaction(lambda: _forget(key))
        else:
            log.error("in-process job %s failed: %s", job_id or path, _last_line(error))
            unit_of_work.run_in_transaction(lambda: _note_failure(path, args, kwargs, job_id, error))
    except Exception:  # the database itself may be what failed: the log line is all there is
        log.exception("the outcome of in-process job %s could not be recorded", job_id or path)


jobs.report_in_process_jobs_to(record_outcome)


# --------------------------------------------------------------------------- the admin page


@dataclass(frozen=True)
class InProcessFailure:
    """A failed in-process job as the administrator reads it."""

    record: FailedJobRecord
    expedient_number: str | None
    document_title: str | None
    tenant_name: str | None


def _check_admin(ctx: Context) -> None:
    if not (ctx.has_role(ADMIN) or ctx.platform_admin):
        raise Forbidden(_l("Only an administrator can manage background jobs."))


def _visible(ctx: Context) -> Any:
    return true() if ctx.platform_admin else FailedJobRecord.tenant_id == ctx.tenant_id


def in_process_failures(ctx: Context, limit: int = LISTED) -> tuple[list[InProcessFailure], int]:
    """The newest failed in-process jobs the administrator may see (a platform administrator: all), and
    how many there are in all."""

    _check_admin(ctx)
    visible = _visible(ctx)
    total = int(db.session.execute(select(func.count()).select_from(FailedJobRecord).where(visible)).scalar_one())
    if not total:
        return [], 0
    rows = db.session.execute(
        select(FailedJobRecord, Expedient.number, Document.title, Tenant.name)
        .outerjoin(Expedient, (Expedient.id == FailedJobRecord.expedient_id)
                   & (Expedient.tenant_id == FailedJobRecord.tenant_id))
        .outerjoin(Document, (Document.id == FailedJobRecord.document_id)
                   & (Document.tenant_id == FailedJobRecord.tenant_id))
        .outerjoin(Tenant, Tenant.id == FailedJobRecord.tenant_id)
        .where(visible)
        .order_by(FailedJobRecord.failed_at.desc(), FailedJobRecord.id.desc())
        .limit(limit)
    ).all()  # fmt: skip
    return [InProcessFailure(record, number, title, name) for record, number, title, name in rows], total


def retry_in_process(ctx: Context, record_id: int) -> str | None:
    """Run a failed in-process job again, now, in this unit of work (under a savepoint): it went through
    (its record is removed; None) or it failed again (its record says so; the error is returned)."""
    _check_admin(ctx)
    record = db.session.execute(
        select(FailedJobRecord).where(FailedJobRecord.id == record_id, _visible(ctx))
    ).scalar_one_or_none()
    if record is None:
        raise NotFound(_l("Not found."))
    if not record.retryable:
        raise Conflict(_l("This job cannot be run again from here: its arguments were not kept."))
    path, args, kwargs = record.func, list(record.args or []), dict(record.kwargs or {})
    try:
        jobs.run_job(path, args, kwargs)
    except Exception as exc:  # the job may raise anything; a lost race is the edge's to run again
        if unit_of_work.is_lost_race(exc):
            raise
        _note_failure(path, args, kwargs, record.key, exc)
        return str(exc.message) if isinstance(exc, GeeError) else _last_line(exc)
    db.session.delete(record)
    db.session.flush()
    return None


__all__ = ["FailedJobRecord", "InProcessFailure", "in_process_failures", "record_outcome", "retry_in_process"]
