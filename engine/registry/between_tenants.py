"""Entries between administrations on the same platform (what SIR does between registries).

An ajuntament's outgoing entry addressed to another tenant (the Diputació, the consell
comarcal, another ajuntament) arrives, in the same unit of work, as that tenant's incoming entry
(channel *interadministratiu*) with a copy of each document (same bytes, same digests, origin:
administration, author: the sender) and its own receipt; the sender keeps a copy of that receipt
as the acknowledgement of its outgoing entry. Each side records the other's tenant, entry and
number. Nothing reaches a tenant that was not addressed, and a refused delivery leaves nothing
behind on either side (the numbers taken are given back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from engine.audit import record
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.base.unit_of_work import run_in_transaction
from engine.documents.documents import read_content, store_document
from engine.expedients.expedients import OPENERS, require_role
from engine.registry.entries import (
    RECEIPT_TIPO,
    Channel,
    RegistryAttachment,
    RegistryEntry,
    register_incoming,
    register_outgoing,
)
from engine.tenancy.models import Tenant


@dataclass(frozen=True)
class Delivery:
    outgoing: RegistryEntry
    incoming: RegistryEntry


def recipient_tenants(ctx: Context) -> list[Tenant]:
    """The administrations on this platform an entry can be addressed to (every active tenant but this one)."""
    return list(db.session.execute(
        select(Tenant).where(Tenant.active.is_(True), Tenant.id != ctx.tenant_id).order_by(Tenant.name)
    ).scalars())  # fmt: skip


def _recipient(ctx: Context, recipient_tenant_id: object) -> Tenant:
    try:
        tenant_id = int(str(recipient_tenant_id))
    except ValueError:
        tenant_id = 0
    tenant = db.session.get(Tenant, tenant_id) if tenant_id > 0 else None
    if tenant is None or not tenant.active or tenant.id == ctx.tenant_id:
        raise ValidationFailed(_l("Choose another administration on this platform."), field="recipient_tenant_id")
    return tenant


def send_to_tenant(
    ctx: Context,
    *,
    recipient_tenant_id: object,
    subject: str,
    summary: str | None = None,
    document_ids: Sequence[int] = (),
    expedient_id: int | None = None,
    into_expedient_id: int | None = None,
) -> Delivery:
    """Register the outgoing entry here and the incoming one at the addressed tenant, all or nothing.
    ``into_expedient_id``: the addressed tenant's expedient the entry and its copies join (an
    answer to an entry of that expedient, see :mod:`engine.assistance`); else they join none."""

    require_role(ctx, OPENERS)

    def work() -> Delivery:
        recipient = _recipient(ctx, recipient_tenant_id)
        sender = db.session.get(Tenant, ctx.tenant_id)
        assert sender is not None
        outgoing = register_outgoing(ctx, subject=subject, channel=Channel.INTERADMINISTRATIVE.value,
                                     recipient=recipient.name, summary=summary, document_ids=document_ids,
                                     expedient_id=expedient_id)  # fmt: skip
        receiver = Context.system(recipient.id, f"registre/{sender.code}"[:100])
        copies = []
        for attachment in db.session.execute(
            select(RegistryAttachment).where(RegistryAttachment.entry_id == outgoing.id)
            .order_by(RegistryAttachment.position)
        ).scalars():  # fmt: skip
            doc, content = read_content(ctx, attachment.document_id)
            copies.append(store_document(receiver, into_expedient_id, doc.file_name, content, title=doc.title,
                                         tipo_documental=doc.tipo_documental, from_administration=True,
                                         author=sender.name, captured_at=outgoing.presented_at).id)  # fmt: skip
        incoming = register_incoming(receiver, subject=outgoing.subject, channel=Channel.INTERADMINISTRATIVE.value,
                                     sender=sender.name, recipient=recipient.name, summary=outgoing.summary,
                                     document_ids=copies, expedient_id=into_expedient_id)  # fmt: skip
        receipt, receipt_bytes = read_content(receiver, incoming.receipt_document_id or 0)
        acknowledgement = store_document(ctx, outgoing.expedient_id, receipt.file_name, receipt_bytes,
                                         title=receipt.title, tipo_documental=RECEIPT_TIPO, from_administration=True,
                                         author=recipient.name)  # fmt: skip
        outgoing.receipt_document_id = acknowledgement.id
        outgoing.counterpart_tenant_id, incoming.counterpart_tenant_id = recipient.id, sender.id
        outgoing.counterpart_entry_id, incoming.counterpart_entry_id = incoming.id, outgoing.id
        outgoing.counterpart_number, incoming.counterpart_number = incoming.number, outgoing.number
        db.session.flush()
        record(ctx, "registry.delivered", "registry_entry", outgoing.id, expedient_id=outgoing.expedient_id,
               after={"number": outgoing.number, "to": recipient.name, "their_number": incoming.number})
        return Delivery(outgoing, incoming)

    return run_in_transaction(work)
