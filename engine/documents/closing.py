"""Closing an expedient (E02): its documents are frozen and their foliated index is computed and kept.

It lives with the documents because the index is theirs; reopening and the other steps of an expedient's
life are in :mod:`engine.expedients.expedients`.
"""

from __future__ import annotations

from typing import Any

from engine.audit import record
from engine.base.clock import as_utc, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict
from engine.base.i18n import _l
from engine.documents.documents import Document, list_documents
from engine.documents.signature_verification import verify_now
from engine.expedients.expedients import CLOSERS, Expedient, ExpedientState, require_role
from engine.tenancy.scoping import get_owned


def _index_of(documents: list[Document]) -> list[dict[str, Any]]:
    """The foliated index: the expedient's current documents in the order they were added."""
    return [
        {
            "order": order,
            "document_id": doc.id,
            "eni_id": doc.eni_id,
            "algorithm": "sha512",
            "digest": doc.sha512,
            "added_at": (as_utc(doc.created_at) or utcnow()).isoformat(),
        }
        for order, doc in enumerate(documents, start=1)
    ]


def close_expedient(ctx: Context, expedient_id: int) -> Expedient:
    """Close an open expedient (E02): its documents are frozen and its index is computed and kept.

    Signing the index comes with the signature work; here the index (order, document id, ENI id,
    SHA-512) is stored so a later change to any document is detectable.
    """
    require_role(ctx, CLOSERS)
    expedient = get_owned(Expedient, ctx, expedient_id, for_update=True)
    if not expedient.is_open:
        raise Conflict(_l("Expedient %(number)s is already closed.", number=expedient.number))
    documents = list_documents(ctx, expedient.id)
    verify_now(documents)  # frozen once closed: a signature check still pending is done here, not later
    before = expedient.summary()
    expedient.closing_index = _index_of(documents)
    expedient.state = ExpedientState.CLOSED.value
    expedient.closed_at = utcnow()
    db.session.flush()
    record(ctx, "expedient.closed", "expedient", expedient.id, expedient_id=expedient.id, before=before,
           after={**expedient.summary(), "index": expedient.closing_index})
    return expedient
