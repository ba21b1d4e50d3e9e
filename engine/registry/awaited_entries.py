"""An incoming entry a procedure is waiting for, registered by staff: e.g. the sector report
another body sends (Ley 39/2015 arts. 22.1.d and 80), or an answer to a requeriment brought to
the counter on paper (art. 16.4).

The entry is registered in the expedient and delivered to the waiting process as its message,
in ONE transaction, with the entry's number, its documents and the moment it counts as
presented (``received_at``): the process lifts the suspension of its maximum term from it. No
clerk types a date or ticks "the report arrived".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.unit_of_work import run_in_transaction
from engine.process.instances.messages import AwaitedMessage, deliver_in_transaction
from engine.registry.entries import Channel, RegistryEntry, Upload, register_incoming
from engine.tenancy.scoping import get_owned

#: The messages staff may answer with an entry: a sector report, an answer or allegations filed on paper.
STAFF_MESSAGES = ("informe_sectorial", "resposta_requeriment", "al_legacions")


def awaited_entries(ctx: Context, expedient_id: int) -> list[AwaitedMessage]:
    """The waits of the expedient's procedure that an incoming entry registered by staff answers."""
    stmt = select(AwaitedMessage).where(
        AwaitedMessage.tenant_id == ctx.tenant_id, AwaitedMessage.expedient_id == expedient_id,
        AwaitedMessage.state == "waiting", AwaitedMessage.message_name.in_(STAFF_MESSAGES),
    )  # fmt: skip
    return list(db.session.execute(stmt.order_by(AwaitedMessage.id)).scalars())


def register_awaited_entry(
    ctx: Context,
    expedient_id: int,
    awaited_id: int,
    *,
    sender: str,
    subject: str,
    uploads: Sequence[Upload] = (),
    summary: str | None = None,
) -> RegistryEntry:
    """Register the incoming entry the procedure waits for in ``awaited_id`` and resume it."""
    sender_name = " ".join((sender or "").split())
    if not sender_name:
        raise ValidationFailed(_l("Say who sends it."), field="sender")
    files = [u for u in uploads if u.filename and u.content]
    if not files:
        raise ValidationFailed(_l("Attach the document received."), field="documents")

    def work() -> RegistryEntry:
        awaited = get_owned(AwaitedMessage, ctx, awaited_id)
        if awaited.expedient_id != expedient_id:
            raise NotFound(_l("Not found."))
        if awaited.state != "waiting" or awaited.message_name not in STAFF_MESSAGES:
            raise Conflict(_l("The procedure is not waiting for %(name)s.", name=awaited.name))
        entry = register_incoming(ctx, subject=subject, channel=Channel.ELECTRONIC, sender=sender_name,
                                  summary=summary, uploads=files, expedient_id=awaited.expedient_id)  # fmt: skip
        payload = {"registre_entrada": entry.number, "document_ids": [a.document_id for a in entry.attachments],
                   "text": summary}  # fmt: skip
        deliver_in_transaction(ctx, awaited.instance_id, awaited.message_name, payload, at=entry.effective_at)
        return entry

    return run_in_transaction(work)
