"""Nightly integrity checks: every tenant's audit chain and every document's stored content.

For each tenant, :func:`engine.worker.anchoring.verify_anchored` finds the first broken link of
the audit chain or the first signed checkpoint it no longer matches, and every document's bytes
are read again from the content store and compared with the stored size and SHA-512 digest. The
result is one IntegrityCheck row per tenant and run (the admin "Background jobs" page shows the
latest) and a log line; a failure is logged as an error.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.unit_of_work import run_in_transaction
from engine.documents.documents import Document, read_content
from engine.tenancy.models import Tenant
from engine.worker.anchoring import verify_anchored

log = logging.getLogger("gee.integrity")

#: At most this many failing documents are listed in a result row (all are counted).
LISTED_FAILURES = 50


class IntegrityCheck(db.Model):  # type: ignore[name-defined]
    __tablename__ = "integrity_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    audit_ok: Mapped[bool] = mapped_column(Boolean)
    audit_problem: Mapped[str | None] = mapped_column(Text)
    documents_checked: Mapped[int] = mapped_column(Integer, default=0)
    documents_failed: Mapped[int] = mapped_column(Integer, default=0)
    #: [{"document_id": 1, "problem": "..."}]
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    @property
    def ok(self) -> bool:
        return self.audit_ok and self.documents_failed == 0


def check_tenant(tenant_id: int) -> IntegrityCheck:
    """Check one tenant and store the result (its own unit of work, or the caller's)."""
    started = utcnow()
    problem = verify_anchored(tenant_id)
    ctx = Context.system(tenant_id, "integrity-check")
    checked, failures = 0, []
    ids = db.session.execute(select(Document.id).where(Document.tenant_id == tenant_id).order_by(Document.id))
    for (document_id,) in ids.all():
        checked += 1
        try:
            read_content(ctx, document_id)
        except Exception as exc:  # altered bytes, missing file, unreadable store: all are findings
            failures.append({"document_id": document_id, "problem": str(exc) or type(exc).__name__})
    result = IntegrityCheck(
        tenant_id=tenant_id, started_at=started, finished_at=utcnow(), audit_ok=problem is None,
        audit_problem=str(problem) if problem else None, documents_checked=checked,
        documents_failed=len(failures), failures=failures[:LISTED_FAILURES],
    )

    def store() -> None:
        db.session.add(result)
        db.session.flush()

    run_in_transaction(store)
    level = logging.INFO if result.ok else logging.ERROR
    log.log(level, "integrity check of tenant %s: audit %s, %s/%s documents intact", tenant_id,
            "intact" if problem is None else problem, checked - len(failures), checked)
    return result


def run_integrity_checks(tenant_id: int | None = None) -> list[int]:
    """Job: check every tenant (or one); returns the ids of the result rows."""
    tenants = [tenant_id] if tenant_id is not None else list(
        db.session.execute(select(Tenant.id).order_by(Tenant.id)).scalars()
    )
    return [check_tenant(tid).id for tid in tenants]


def latest_check(tenant_id: int) -> IntegrityCheck | None:
    return db.session.execute(
        select(IntegrityCheck).where(IntegrityCheck.tenant_id == tenant_id)
        .order_by(IntegrityCheck.id.desc()).limit(1)
    ).scalar_one_or_none()


def last_run_at() -> datetime | None:
    """When the latest check (any tenant) finished: the scheduler runs one per night."""
    return db.session.execute(select(IntegrityCheck.finished_at).order_by(IntegrityCheck.id.desc()).limit(1)).scalar()


__all__ = ["IntegrityCheck", "check_tenant", "last_run_at", "latest_check", "run_integrity_checks"]
