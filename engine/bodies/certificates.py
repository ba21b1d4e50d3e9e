"""Certificates of agreement (certificat d'acord): issued by the secretary with the mayor's vistiplau,
with a CSV, placed in the expedient of the item's proposal. When both have signed, the agreement
flows back to the procedure that proposed it (:mod:`engine.bodies.proposals`)."""

from __future__ import annotations

from engine.audit import record
from engine.base.clock import local_date
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict
from engine.base.i18n import _l
from engine.bodies.bodies import require_keeper
from engine.bodies.minutes import SIGNERS
from engine.bodies.models import AgendaItem, BodySession, Proposal, SessionStatus
from engine.bodies.paperwork import render
from engine.bodies.proposals import agreement_payload, resume_expedient
from engine.bodies.returns import Returned, returned
from engine.documents.documents import Document, store_document
from engine.documents.verification_codes import new_csv
from engine.expedients.expedients import get_expedient
from engine.signatures.circuits import request_signatures
from engine.tenancy.scoping import get_owned


def certificate_returned(ctx: Context, item: AgendaItem) -> Returned | None:
    """A signer returned the certificate for changes: it is issued again (a new document)."""
    if item.certificate_signed:
        return None
    return returned(ctx, item.certificate_document_id)


def issue_certificate(ctx: Context, item_id: int) -> AgendaItem:
    """Draft the certificate of a voted item of a held session, in its expedient, for signature."""
    require_keeper(ctx)
    item = get_owned(AgendaItem, ctx, item_id, for_update=True)
    session = get_owned(BodySession, ctx, item.session_id)
    if session.status != SessionStatus.HELD or item.result is None:
        raise Conflict(_l("Certificates are issued for items voted in a held session."))
    if item.expedient_id is None:
        raise Conflict(_l("This item comes from no expedient."))
    if item.certificate_document_id is not None and certificate_returned(ctx, item) is None:
        raise Conflict(_l("The certificate of this item is already issued."))
    expedient = get_expedient(ctx, item.expedient_id)
    csv = new_csv()
    pdf = render(ctx, "certificate.html", csv=csv, session=session, body=session.body, item=item,
                 expedient=expedient)
    doc = store_document(ctx, expedient.id, f"certificat-acord-{session.body.code}-{item.id}.pdf", pdf,
                         title=f"{_l('Certificate of agreement')}: {item.title}"[:300], tipo_documental="TD11",
                         from_administration=True, author=ctx.username, csv=csv)
    request_signatures(ctx, doc.id, list(SIGNERS))
    item.certificate_document_id = doc.id
    db.session.flush()
    record(ctx, "body.certificate_drafted", "agenda_item", item.id, expedient_id=expedient.id,
           after={"title": item.title, "result": item.result, "document_id": doc.id})
    return item


def certificate_signed(ctx: Context, item: AgendaItem, signed_document_id: int) -> None:
    """Both signed: the certificate is final and the proposal's procedure goes on."""
    item.certificate_document_id, item.certificate_signed = signed_document_id, True
    db.session.flush()
    session = get_owned(BodySession, ctx, item.session_id)
    doc = get_owned(Document, ctx, signed_document_id)
    if item.proposal_id is not None:
        proposal = get_owned(Proposal, ctx, item.proposal_id, for_update=True)
        label = f"{local_date(session.starts_at).isoformat()} ({session.kind})"
        resume_expedient(ctx, proposal, agreement_payload(item, session.body.code, label, doc.csv, doc.id))
