"""What staff do to an expedient from its page: notify an issued document to one of its parties,
record a postal delivery attempt, send an administration PDF for signature, upload a new version
of a document, and issue an administration document with its CSV.

These wrap :mod:`engine.notifications.notifications` and :mod:`engine.signatures.circuits` with the
checks that tie each action to *this* expedient: the party is one of its interested parties,
the document and the notification belong to it, only issued documents are notified (a
notification carries the act itself, with its CSV: Ley 39/2015 art. 40.2), and a delivery
attempt cannot be dated before the notification or in the future. Services flush; the caller
commits.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from engine.base.clock import MADRID, as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, ValidationFailed
from engine.base.i18n import _l
from engine.documents.documents import Document, issue_document, new_version
from engine.expedients.expedients import get_expedient, parties_of
from engine.expedients.parties import Party
from engine.notifications.alerts import continue_once_committed
from engine.notifications.notifications import Notification, notify, record_postal_attempt, record_publication
from engine.signatures.circuits import REQUESTERS, request_signatures
from engine.signatures.models import RequestState, SignatureRequest
from engine.tenancy.scoping import get_owned

#: Who notifies and records delivery attempts: clerks, the secretary, the tenant admin.
NOTIFIERS = ("tramitador", "secretari", "admin")
#: Who may send a document for signature (the circuits' own rule).
SIGNATURE_REQUESTERS = REQUESTERS
#: The signing circuits offered for a document: the alcalde then the secretary (who attests),
#: or the secretary alone (e.g. a certificate).
CIRCUITS: dict[str, tuple[str, ...]] = {
    "alcalde_secretari": ("alcalde", "secretari"),
    "secretari": ("secretari",),
}


def _require(ctx: Context, roles: tuple[str, ...]) -> None:
    if not any(ctx.has_role(role) for role in roles):
        raise Forbidden(_l("You do not have permission to do this."))


def _document_of(ctx: Context, expedient_id: int, document_id: int) -> Document:
    document = get_owned(Document, ctx, document_id)
    if document.expedient_id != expedient_id:
        raise ValidationFailed(_l("The document does not belong to this expedient."), field="document_id")
    return document


def notify_document(
    ctx: Context, expedient_id: int, party_id: int, document_id: int, channel: str | None = None
) -> Notification:
    """Notify an issued document of the expedient to one of its parties (``channel`` None or
    empty: the party's preferred channel)."""
    _require(ctx, NOTIFIERS)
    expedient = get_expedient(ctx, expedient_id)
    if party_id not in {link.party_id for link in parties_of(ctx, expedient.id)}:
        get_owned(Party, ctx, party_id)  # another tenant's party is not found (404)
        raise ValidationFailed(_l("Choose an interested party of this expedient."), field="party_id")
    document = _document_of(ctx, expedient.id, document_id)
    if not document.issued:
        raise ValidationFailed(_l("Only an issued document (with its CSV) can be notified."), field="document_id")
    return notify(ctx, expedient.id, party_id, document.id, channel or None)


def local_moment(value: datetime) -> datetime:
    """A wall-clock time typed in the town (Europe/Madrid) as an aware UTC moment."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=MADRID)
    result = as_utc(moment)
    assert result is not None
    return result


def record_delivery_attempt(
    ctx: Context, expedient_id: int, notification_id: int, attempted_at: datetime, result: str
) -> Notification:
    """A postal delivery attempt of a notification of this expedient; a naive ``attempted_at``
    is local time. Two failed attempts leave it pending publication (art. 44)."""
    _require(ctx, NOTIFIERS)
    expedient = get_expedient(ctx, expedient_id)
    note = get_owned(Notification, ctx, notification_id)
    if note.expedient_id != expedient.id:
        raise ValidationFailed(_l("The notification does not belong to this expedient."), field="notification_id")
    moment = local_moment(attempted_at)
    if moment > utcnow():
        raise ValidationFailed(_l("A delivery attempt cannot be in the future."), field="attempted_at")
    made_available = as_utc(note.made_available_at)
    # The form gives minutes: an attempt in the same minute as the notification is not earlier.
    if made_available is not None and moment < made_available.replace(second=0, microsecond=0):
        raise ValidationFailed(_l("A delivery attempt cannot be earlier than the notification."),
                               field="attempted_at")
    note = record_postal_attempt(ctx, note.id, moment, result)
    continue_once_committed(ctx, note)
    return note


def record_notice_publication(
    ctx: Context, expedient_id: int, notification_id: int, published_on: date, reference: str
) -> Notification:
    """The BOE announcement of a notification that could not be delivered by post (art. 44):
    the notification is practised on that day and the procedure waiting for it goes on."""
    _require(ctx, NOTIFIERS)
    expedient = get_expedient(ctx, expedient_id)
    note = get_owned(Notification, ctx, notification_id)
    if note.expedient_id != expedient.id:
        raise ValidationFailed(_l("The notification does not belong to this expedient."), field="notification_id")
    note = record_publication(ctx, note.id, published_on, reference)
    continue_once_committed(ctx, note)
    return note


def request_document_signatures(ctx: Context, expedient_id: int, document_id: int, circuit: str) -> SignatureRequest:
    """Send an administration PDF of the expedient for signature by one of :data:`CIRCUITS`."""
    expedient = get_expedient(ctx, expedient_id)
    document = _document_of(ctx, expedient.id, document_id)
    steps = CIRCUITS.get(circuit)
    if steps is None:
        raise ValidationFailed(_l("Choose who signs."), field="circuit")
    if not document.from_administration:
        raise ValidationFailed(_l("Only documents produced by the administration are signed here."),
                               field="document_id")
    return request_signatures(ctx, document.id, steps)


def upload_new_version(ctx: Context, expedient_id: int, document_id: int, filename: str, content: bytes) -> Document:
    """A corrected file as the next version of a document of the expedient (the previous version
    stays as it was). Refused while the document waits for signatures: the signers would sign
    bytes that are no longer the latest."""
    expedient = get_expedient(ctx, expedient_id)
    document = _document_of(ctx, expedient.id, document_id)
    waiting = db.session.execute(
        select(SignatureRequest.id).where(SignatureRequest.document_id == document.id,
                                          SignatureRequest.state == RequestState.PENDING.value)
    ).first()  # fmt: skip
    if waiting is not None:
        raise Conflict(_l("The document is waiting for signatures: a new version cannot be added now."))
    if not content:
        raise ValidationFailed(_l("Choose a file to upload."), field="file")
    return new_version(ctx, document.id, content, filename=filename)


def issue_with_csv(ctx: Context, expedient_id: int, document_id: int) -> Document:
    """Give an administration document of the expedient its CSV, so anyone can verify it."""
    expedient = get_expedient(ctx, expedient_id)
    return issue_document(ctx, _document_of(ctx, expedient.id, document_id).id)


__all__ = [
    "CIRCUITS",
    "NOTIFIERS",
    "SIGNATURE_REQUESTERS",
    "issue_with_csv",
    "local_moment",
    "notify_document",
    "record_delivery_attempt",
    "request_document_signatures",
    "upload_new_version",
]
