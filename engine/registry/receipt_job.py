"""The receipt (justificant) of an e-office filing, issued by a background job.

The entry itself — its number and presentation time, the legal act — is made in the filing's
own transaction; rendering the receipt PDF (WeasyPrint) is slow, so the filing asks for it
with :func:`issue_receipt_later` and answers at once. With Redis a worker issues it after the
filing commits; without Redis the same job runs in-process inside the filing, as before.

The job is idempotent: it locks the entry and does nothing when the entry already has its
receipt, so a retried job (a worker killed mid-job commits nothing) issues exactly one. A job
lost with Redis is enqueued again by the scheduler (:func:`missing_receipts`), in Catalan.

With the receipt it publishes ``Event.RECEIPT_ISSUED``: what a feature prints beside the receipt
(an e-office request's own document, :mod:`engine.citizens.request_document`) is printed in the
same unit of work, so it is there exactly when the receipt is, a lost or retried job included.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.audit import record
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound
from engine.base.events import Event, publish
from engine.base.jobs import enqueue
from engine.base.unit_of_work import run_in_transaction
from engine.expedients.parties import Party
from engine.registry.entries import Direction, RegistryEntry, receipt_document
from engine.tenancy.models import Tenant
from engine.tenancy.scoping import get_owned

#: How far back the scheduler looks for receipts whose job was lost (older entries are not looked at).
LOOK_BACK = timedelta(days=7)


def receipt_job_id(entry_id: int) -> str:
    return f"receipt-{entry_id}"


def issue_receipt_later(ctx: Context, entry: RegistryEntry, locale: str | None) -> None:
    """Have the entry's receipt issued by a job once the caller's unit of work commits."""
    enqueue(issue_receipt, ctx.tenant_id, entry.id, locale, job_id=receipt_job_id(entry.id))


def missing_receipts(now: datetime, limit: int = 1000) -> list[tuple[int, int]]:
    """(tenant id, entry id) of incoming entries of the last ``LOOK_BACK`` still without their
    receipt, for the scheduler to enqueue again (deduplicated) should their job have been lost
    with Redis. Bounded by the presentation time (indexed): the sweep runs every few seconds."""
    rows = db.session.execute(
        select(RegistryEntry.tenant_id, RegistryEntry.id)
        .where(RegistryEntry.presented_at >= now - LOOK_BACK, RegistryEntry.direction == Direction.INCOMING.value,
               RegistryEntry.receipt_document_id.is_(None))
        .limit(limit)
    )
    return [(int(tenant_id), int(entry_id)) for tenant_id, entry_id in rows]


def issue_receipt(tenant_id: int, entry_id: int, locale: str | None) -> int | None:
    """Job: render, store and link the entry's receipt; returns its document id (None when there
    is no such entry: entries are never deleted, so only a job outliving its database finds none)."""
    ctx = Context.system(tenant_id, "registry-receipt")

    def work() -> int | None:
        try:
            entry = get_owned(RegistryEntry, ctx, entry_id, for_update=True)
        except NotFound:
            return None
        if entry.receipt_document_id is not None:
            return entry.receipt_document_id
        tenant = db.session.get(Tenant, tenant_id)
        assert tenant is not None  # the entry is the tenant's
        party = db.session.get(Party, entry.party_id) if entry.party_id else None
        document = receipt_document(ctx, tenant, entry, party, locale)
        entry.receipt_document_id = document.id
        db.session.flush()
        record(ctx, "registry.receipt_issued", "registry_entry", entry.id, expedient_id=entry.expedient_id,
               after={"number": entry.number, "receipt_document_id": document.id})
        publish(Event.RECEIPT_ISSUED, ctx=ctx, entry_id=entry.id, locale=locale)
        return document.id

    return run_in_transaction(work)


__all__ = ["issue_receipt", "issue_receipt_later", "missing_receipts", "receipt_job_id"]
