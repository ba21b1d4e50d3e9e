"""A convocation, minutes or certificate a signer returned for changes instead of signing.

The signature circuits end a returned request there (with the signer's reason) and publish no event
for a plain document, so a body's paperwork reads the request's state: the session page says who
returned it, when and why, and the secretary drafts it again (a new document, a new circuit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.base.context import Context
from engine.base.db import db
from engine.signatures.models import RequestState, SignatureRequest
from engine.tenancy.scoping import scoped


@dataclass(frozen=True)
class Returned:
    """Who returned the document, when, and the reason they gave."""

    by: str
    at: datetime | None
    reason: str


def returned(ctx: Context, document_id: int | None) -> Returned | None:
    """The return of ``document_id``'s latest signature circuit, if that circuit was returned."""
    if document_id is None:
        return None
    request = db.session.execute(
        scoped(SignatureRequest, ctx).where(SignatureRequest.document_id == document_id)
        .order_by(SignatureRequest.id.desc()).limit(1)
    ).scalar_one_or_none()
    if request is None or request.state != RequestState.RETURNED:
        return None
    step = next((s for s in request.steps if s.state == RequestState.RETURNED), None)
    by = (step.signer_name if step else None) or ""
    reason = (step.reason if step else None) or request.return_reason or ""
    return Returned(by=by, at=step.signed_at if step else request.finished_at, reason=reason)
