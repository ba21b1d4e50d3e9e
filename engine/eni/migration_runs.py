"""Bulk migrations started from the admin page: the same machinery as ``gee migrate``, run as a
background job with its progress, counts and report kept in a :class:`MigrationRun` row.

The job handles the source's expedients in name order, a batch at a time: each expedient is its
own savepoint (a refused one keeps nothing), and the run's counters move in the same transaction
as the imports, so a job killed mid-batch leaves the run where its last committed batch ended and
runs again from there (an expedient already in the tenant is skipped, as on the command line).
Each batch queues the next once it has committed, so the admin page sees the progress as it goes.
"""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from sqlalchemy import select

from engine import audit
from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, GeeError, ValidationFailed
from engine.base.i18n import _l
from engine.base.jobs import enqueue
from engine.base.settings import current_settings
from engine.eni.migration import (
    REPORT_FIELDS,
    Outcome,
    analyze_imported,
    items,
    migrate_item,
    read_classification_map,
)
from engine.eni.models import MigrationRun
from engine.tenancy.scoping import get_owned

#: Expedients per job: small enough for a visible progress, large enough to keep queueing cheap.
BATCH = 10


def _require_admin(ctx: Context) -> None:
    if not ctx.has_role("admin"):
        raise Forbidden(_l("Only an administrator can migrate expedients from another tool."))


def _source_file(run: MigrationRun) -> Path:
    return current_settings().document_store / run.source_path


def _count(source: Path) -> int:
    if not source.is_file():
        raise Conflict(_l("The zip of this migration is no longer on the server; upload it again."))
    total = sum(1 for _ in items(source))
    if not total:
        raise ValidationFailed(_l("The zip holds no expedient (a folder, zip or XML file per expedient)."),
                               field="file")
    return total


def _header() -> str:
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=REPORT_FIELDS).writeheader()
    return out.getvalue()


def _new_run(ctx: Context, source_name: str, source_path: str, mapping_csv: str | None, dry_run: bool) -> MigrationRun:
    run = MigrationRun(tenant_id=ctx.tenant_id, source_name=source_name[:255], source_path=source_path,
                       mapping_csv=mapping_csv, dry_run=dry_run, status="queued", report_csv=_header(),
                       started_by_id=ctx.user_id, total=0, done=0, imported=0, refused=0, skipped=0, checked=0)
    run.total = _count(_source_file(run))
    db.session.add(run)
    db.session.flush()
    audit.record(ctx, "eni.migration_started", "eni_migration_run", run.id,
                 after={"source": run.source_name, "expedients": run.total, "dry_run": dry_run})
    enqueue(run_migration, ctx.tenant_id, run.id, job_id=_job_id(run))
    return run


def start_migration(ctx: Context, data: bytes, file_name: str, mapping_csv: str | None,
                    dry_run: bool) -> MigrationRun:
    """Keep the uploaded zip, check the mapping, and queue the migration. Flushes."""
    _require_admin(ctx)
    if not data:
        raise ValidationFailed(_l("Choose a file to upload."), field="file")
    if data[:4] != b"PK\x03\x04":
        raise ValidationFailed(_l("The file is not a valid zip archive."), field="file")
    if mapping_csv:
        read_classification_map(ctx, mapping_csv)  # refused here, with its lines, rather than in the job
    relative = f"migrations/tenant-{ctx.tenant_id}/{uuid.uuid4().hex}.zip"
    target = current_settings().document_store / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    try:
        return _new_run(ctx, file_name, relative, mapping_csv or None, dry_run)
    except GeeError:
        target.unlink(missing_ok=True)
        raise


def rerun_migration(ctx: Context, run_id: int, *, dry_run: bool) -> MigrationRun:
    """A new run over the same source and mapping: what is already in is skipped."""
    _require_admin(ctx)
    previous = get_owned(MigrationRun, ctx, run_id)
    if not previous.finished:
        raise Conflict(_l("This migration is still running."))
    return _new_run(ctx, previous.source_name, previous.source_path, previous.mapping_csv, dry_run)


def retry_migration(ctx: Context, run_id: int) -> MigrationRun:
    """Queue a failed run again from where it stopped."""
    _require_admin(ctx)
    run = get_owned(MigrationRun, ctx, run_id, for_update=True)
    if run.status != "failed":
        raise Conflict(_l("Only a migration that stopped with an error can be retried."))
    run.status, run.error, run.finished_at = "queued", None, None
    db.session.flush()
    enqueue(run_migration, ctx.tenant_id, run.id, job_id=_job_id(run))
    return run


def get_run(ctx: Context, run_id: int) -> MigrationRun:
    _require_admin(ctx)
    return get_owned(MigrationRun, ctx, run_id)


def list_runs(ctx: Context, limit: int = 20) -> list[MigrationRun]:
    _require_admin(ctx)
    return list(db.session.execute(
        select(MigrationRun).where(MigrationRun.tenant_id == ctx.tenant_id)
        .order_by(MigrationRun.id.desc()).limit(limit)).scalars())


def _job_id(run: MigrationRun) -> str:
    return f"eni-migration-{run.id}-{run.done}"


def _record(run: MigrationRun, outcome: Outcome) -> None:
    run.done += 1
    if outcome.status in ("imported", "refused", "skipped", "checked"):
        setattr(run, outcome.status, getattr(run, outcome.status) + 1)
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=REPORT_FIELDS).writerow(outcome.report_row())
    run.report_csv += out.getvalue()


def run_migration(tenant_id: int, run_id: int) -> None:
    """Job: the next batch of the run's expedients; queues the following batch after commit."""
    run = db.session.execute(
        select(MigrationRun).where(MigrationRun.id == run_id, MigrationRun.tenant_id == tenant_id)
        .with_for_update()).scalar_one_or_none()
    if run is None or run.finished:
        return
    run.status = "running"
    ctx = Context.system(tenant_id, f"migration:{run.id}")
    try:
        mapping = read_classification_map(ctx, run.mapping_csv or "")
        todo = list(items(_source_file(run)))
    except (GeeError, OSError) as err:
        run.status, run.error, run.finished_at = "failed", str(err), utcnow()
        return
    for item in todo[run.done:run.done + BATCH]:
        _record(run, migrate_item(ctx, item, mapping, run.dry_run))
    run.total = len(todo)
    if run.done < len(todo):
        db.session.flush()
        enqueue(run_migration, tenant_id, run.id, job_id=_job_id(run))
        return
    run.status, run.finished_at = "finished", utcnow()
    if run.imported:
        analyze_imported()
    audit.record(ctx, "eni.migration_finished", "eni_migration_run", run.id,
                 after={"imported": run.imported, "refused": run.refused, "skipped": run.skipped,
                        "checked": run.checked, "dry_run": run.dry_run})


__all__ = ["get_run", "list_runs", "rerun_migration", "retry_migration", "run_migration", "start_migration"]
