"""A request for assistance and its signed report, carried by the registry between tenants.

- :func:`request_assistance`: the ajuntament's outgoing entry (the question and the documents
  chosen) to an assisting body — a provincial service or a consell comarcal of the platform,
  named by its tenant code — arrives as that body's incoming entry
  (:func:`engine.registry.between_tenants.send_to_tenant`). The assisting body opens an
  expedient from it (the shipped procedure ``assistencia_tecnica``).
- :func:`return_report`: the assisting body's outgoing entry with the signed report goes back
  to the tenant that asked, into the very expedient of the request (found through the link the
  registry keeps between both entries, never by a number the assisting side chooses), and the
  requesting procedure waiting for :data:`REPORT_MESSAGE` goes on with it.

Each side sees only what was sent: the copies are new documents of the receiving tenant (same
bytes, so the PAdES signature verifies there), and nothing else of the other's expedient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import ValidationFailed
from engine.base.i18n import _l
from engine.expedients.expedients import get_expedient
from engine.process.instances.messages import AwaitedMessage, deliver_in_transaction
from engine.registry.between_tenants import send_to_tenant
from engine.registry.entries import Channel, Direction, RegistryAttachment, RegistryEntry
from engine.tenancy.models import Tenant

#: The kinds of tenant that give assistance to municipalities (LBRL art. 36; Llei 4/2003 d'organització comarcal).
ASSISTING_KINDS = ("provincial", "consell_comarcal")
#: What the report asked for is: a technical report (a technician writes it) or a legal one (the secretary).
REPORT_KINDS = ("tecnic", "juridic")
#: The message a requesting procedure waits for; its payload names the report's copy.
REPORT_MESSAGE = "informe_assistencia"


@dataclass(frozen=True)
class Returned:
    outgoing: RegistryEntry
    incoming: RegistryEntry
    #: The report's copy in the requesting expedient.
    document_id: int
    #: The requesting instance that was waiting and went on (None: none was waiting).
    resumed_instance_id: int | None


def assisting_tenant(code: str) -> Tenant:
    """The active Diputació or consell comarcal with this tenant code, or a clear refusal."""
    tenant = db.session.execute(select(Tenant).where(Tenant.code == code.strip())).scalar_one_or_none()
    if tenant is None or not tenant.active:
        raise ValidationFailed(_l("There is no administration with code %(code)s on this platform.", code=code),
                               field="destinatari")  # fmt: skip
    if tenant.kind not in ASSISTING_KINDS:
        raise ValidationFailed(_l("%(name)s is not a Diputació nor a consell comarcal: ask one of them for "
                                  "assistance.", name=tenant.name), field="destinatari")  # fmt: skip
    return tenant


def request_assistance(ctx: Context, expedient_id: int, *, to_code: str, question: str, report_kind: str,
                       document_ids: Sequence[int] = ()) -> RegistryEntry:  # fmt: skip
    """Send the question and the chosen documents of the expedient to the assisting body;
    the outgoing entry (its counterpart is the body's incoming entry)."""
    if report_kind not in REPORT_KINDS:
        raise ValidationFailed(_l("Ask for a technical or a legal report."), field="tipus")
    text = " ".join((question or "").split())
    if not text:
        raise ValidationFailed(_l("Write the question the report must answer."), field="pregunta")
    tenant = assisting_tenant(to_code)
    expedient = get_expedient(ctx, expedient_id)
    label = "Sol·licitud d'informe jurídic" if report_kind == "juridic" else "Sol·licitud d'informe tècnic"
    delivery = send_to_tenant(ctx, recipient_tenant_id=tenant.id, subject=f"{label}: {expedient.subject}"[:500],
                              summary=text, document_ids=list(document_ids), expedient_id=expedient_id)  # fmt: skip
    return delivery.outgoing


def _request_entry(ctx: Context, expedient_id: int) -> RegistryEntry:
    """The incoming entry from another tenant this expedient was opened from."""
    entry = db.session.execute(
        select(RegistryEntry).where(
            RegistryEntry.tenant_id == ctx.tenant_id, RegistryEntry.expedient_id == expedient_id,
            RegistryEntry.direction == Direction.INCOMING.value,
            RegistryEntry.channel == Channel.INTERADMINISTRATIVE.value,
            RegistryEntry.counterpart_entry_id.is_not(None))
        .order_by(RegistryEntry.id).limit(1)
    ).scalar_one_or_none()  # fmt: skip
    if entry is None:
        raise ValidationFailed(_l("This expedient was not opened from a request of another administration "
                                  "on this platform."), field="expedient_id")  # fmt: skip
    return entry


def return_report(ctx: Context, expedient_id: int, document_id: int) -> Returned:
    """Send the signed report back to the requesting tenant's expedient and resume its procedure."""
    request = _request_entry(ctx, expedient_id)
    asked = db.session.get(RegistryEntry, request.counterpart_entry_id)
    if asked is None or asked.tenant_id != request.counterpart_tenant_id or asked.expedient_id is None:
        raise ValidationFailed(_l("The request this expedient answers is no longer in an expedient."),
                               field="expedient_id")  # fmt: skip
    requester = db.session.get(Tenant, asked.tenant_id)
    assert requester is not None
    delivery = send_to_tenant(ctx, recipient_tenant_id=requester.id, subject=f"Informe: {asked.subject}"[:500],
                              summary=f"En resposta a la vostra sol·licitud {asked.number}.",
                              document_ids=[document_id], expedient_id=expedient_id,
                              into_expedient_id=asked.expedient_id)  # fmt: skip
    [copy_id] = db.session.execute(
        select(RegistryAttachment.document_id).where(RegistryAttachment.entry_id == delivery.incoming.id)
    ).scalars().all()  # fmt: skip
    sender = db.session.get(Tenant, ctx.tenant_id)
    receiver = Context.system(requester.id, f"registre/{sender.code if sender else ''}"[:100])
    waiting = [row.instance_id for row in db.session.execute(select(AwaitedMessage).where(
        AwaitedMessage.tenant_id == requester.id, AwaitedMessage.expedient_id == asked.expedient_id,
        AwaitedMessage.state == "waiting").order_by(AwaitedMessage.id)).scalars() if row.accepts(REPORT_MESSAGE)]
    if waiting:
        deliver_in_transaction(receiver, waiting[0], REPORT_MESSAGE, {
            "registre_entrada": delivery.incoming.number, "document_id": copy_id,
            "document_ids": [copy_id], "de": sender.name if sender else ""})  # fmt: skip
    return Returned(delivery.outgoing, delivery.incoming, copy_id, waiting[0] if waiting else None)
