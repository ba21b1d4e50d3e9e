"""The PAdES signatures of an incoming PDF, checked by a background job.

Checking signatures with pyHanko (chain building, every revision of the PDF) costs a good part
of a second, and loading pyHanko more on the first PDF of a process: too slow for the request
that stores the document. A PDF that may carry signatures (its bytes have a ``/ByteRange``, which
every PDF signature dictionary has) is stored at once with ``verification_pending`` set; the job
``verify-<document>`` (:func:`verify_signatures`) checks it and records what it found in
:attr:`Document.signatures`, before any entry the document already had (its CSV). With Redis a
worker does it after the upload commits; without Redis it runs in-process inside the upload, as
before.

The job is idempotent: it locks the document and does nothing once the verification is done, so
a retried job records the signatures once. A job lost with Redis is enqueued again by the
scheduler from the database (:func:`pending_verifications`).

While a verification is pending, what needs its result waits or refuses: pages show "Verifying
the signature…", the JSON API says ``"pending"``, closing the expedient (which freezes its
documents) and asking for signatures on the document do the check themselves (:func:`verify_now`,
so a process step doing either right after an upload works as before), and an ENI export is
refused with a message to try again (:func:`ensure_verified`; it lasts seconds).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from engine.audit import record
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, NotFound
from engine.base.i18n import _l
from engine.base.jobs import enqueue
from engine.documents.documents import Document, read_content
from engine.documents.store import ContentIntegrityError
from engine.tenancy.scoping import get_owned


def verification_job_id(document_id: int) -> str:
    return f"verify-{document_id}"


def may_carry_signatures(content_type: str, content: bytes) -> bool:
    """Whether a stored file is a PDF that may hold PAdES signatures (cheap: no PDF parsing)."""
    return content_type == "application/pdf" and b"/ByteRange" in content


def verify_later(ctx: Context, doc: Document) -> None:
    """Mark ``doc`` as being verified and have the job check its signatures once the caller's
    unit of work commits (in-process without Redis: done when this returns)."""
    doc.verification_pending = True
    db.session.flush()
    enqueue(verify_signatures, ctx.tenant_id, doc.id, job_id=verification_job_id(doc.id))


def pending_verifications(limit: int = 1000) -> list[tuple[int, int]]:
    """(tenant id, document id) of documents still being verified, for the scheduler to enqueue
    again (deduplicated) should their job have been lost with Redis. Few rows: the column is indexed
    and a verification lasts seconds."""
    rows = db.session.execute(
        select(Document.tenant_id, Document.id).where(Document.verification_pending.is_(True))
        .order_by(Document.id).limit(limit)
    )
    return [(int(tenant_id), int(document_id)) for tenant_id, document_id in rows]


def verify_signatures(tenant_id: int, document_id: int) -> bool | None:
    """Job: check the document's PAdES signatures and record them; returns whether all are valid
    (None when there were none to check, or no such document)."""
    from engine.documents.signature_check import has_signatures, verify_pdf  # pyHanko: loaded in the worker

    ctx = Context.system(tenant_id, "signature-verification")
    try:
        doc = get_owned(Document, ctx, document_id, for_update=True)
    except NotFound:
        return None
    if not doc.verification_pending:
        return _all_valid(doc.signatures or [])
    try:
        _doc, content = read_content(ctx, document_id)
    except ContentIntegrityError:  # reported wherever the document is read; nothing to check here
        content = b""
    found = verify_pdf(content).as_entries() if content and has_signatures(content) else []
    doc.signatures = [*found, *(doc.signatures or [])]
    doc.verification_pending = False
    db.session.flush()
    record(ctx, "document.signatures_verified", "document", doc.id, expedient_id=doc.expedient_id,
           after={"signatures": found})
    return _all_valid(found)


def verify_now(documents: Iterable[Document]) -> None:
    """Check, in the caller's unit of work, the signatures of those documents still waiting for their
    job: for what needs the result at once (closing the expedient, which freezes its documents; asking
    for more signatures). The queued job then finds the work done."""
    for doc in documents:
        if doc.verification_pending:
            verify_signatures(doc.tenant_id, doc.id)


def _all_valid(entries: Iterable[dict[str, object]]) -> bool | None:
    checked = [bool(e.get("verified")) for e in entries if e.get("type") == "TF06"]
    return all(checked) if checked else None


def ensure_verified(documents: Iterable[Document]) -> None:
    """Refuse what needs the documents' signatures while one of them is still being verified."""
    pending = next((d for d in documents if d.verification_pending), None)
    if pending is not None:
        raise Conflict(_l("The signatures of “%(title)s” are still being verified; try again in a few seconds.",
                          title=pending.title))


__all__ = ["ensure_verified", "may_carry_signatures", "pending_verifications", "verification_job_id",
           "verify_later", "verify_now", "verify_signatures"]
