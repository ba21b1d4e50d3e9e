"""Opening an expedient and starting its procedure, as one act.

The clerk picks a procedure of the tenant's catalogue, the interested party (found by NIF or
added), the subject and the responsible unit — or starts from an incoming registry entry,
whose party, subject and documents the new expedient takes over. The expedient, the party,
the link of the entry and the process instance are written in ONE transaction: if the
process cannot start, nothing is left behind (the expedient number is given back too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine import audit
from engine.base.clock import local_date
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, ValidationFailed
from engine.base.i18n import _l
from engine.base.unit_of_work import run_in_transaction
from engine.documents.documents import Document
from engine.expedients.expedients import Expedient, open_expedient
from engine.expedients.parties import Party, find_or_create_party
from engine.process.definition.catalogue import get_model, latest_version
from engine.process.instances.tasks import start_in_transaction
from engine.process.models import ProcessInstance
from engine.registry.entries import Direction, RegistryAttachment, RegistryEntry
from engine.tenancy.scoping import get_owned


def party_of(ctx: Context, party: PartyInput) -> Party:
    """The party with this NIF, created from the other fields when it is new."""
    return find_or_create_party(ctx, party.nif, party.name, email=party.email, phone=party.phone,
                                address=party.address, postal_code=party.postal_code,
                                municipality=party.municipality,
                                preferred_channel=party.preferred_channel)  # fmt: skip


@dataclass(frozen=True)
class PartyInput:
    """An interested party named by NIF; the other fields are used only when it is new, but for a
    new e-mail, which replaces the one on record (see :func:`find_or_create_party`).
    ``preferred_channel``: the person's own choice; None when they made none (paper for a natural
    person, electronic for an entity)."""

    nif: str
    name: str = ""
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    postal_code: str | None = None
    municipality: str | None = None
    preferred_channel: str | None = None


@dataclass(frozen=True)
class Opened:
    expedient: Expedient
    instance: ProcessInstance


def _entry_to_join(ctx: Context, entry_id: int | None) -> RegistryEntry | None:
    if entry_id is None:
        return None
    entry = get_owned(RegistryEntry, ctx, entry_id, for_update=True)
    if entry.direction != Direction.INCOMING.value:
        raise ValidationFailed(_l("Only an incoming entry can open an expedient."), field="registry_entry_id")
    if entry.expedient_id is not None:
        raise Conflict(_l("Entry %(number)s already belongs to an expedient.", number=entry.number))
    return entry


def _join_entry(ctx: Context, entry: RegistryEntry, expedient: Expedient) -> None:
    """The entry and its documents (attachments and receipt) go into the new expedient."""
    entry.expedient_id = expedient.id
    ids = [a.document_id for a in db.session.execute(
        select(RegistryAttachment).where(RegistryAttachment.entry_id == entry.id)
    ).scalars()]
    if entry.receipt_document_id:
        ids.append(entry.receipt_document_id)
    for doc in db.session.execute(
        select(Document).where(Document.tenant_id == ctx.tenant_id, Document.id.in_(ids),
                               Document.expedient_id.is_(None))
    ).scalars():
        doc.expedient_id = expedient.id
    db.session.flush()
    audit.record(ctx, "registry.joined_expedient", "registry_entry", entry.id, expedient_id=expedient.id,
                 after={"number": entry.number, "expedient": expedient.number, "documents": ids})


def _entry_data(ctx: Context, entry: RegistryEntry, party_ids: list[int]) -> dict[str, Any]:
    """What the entry carries into the procedure: its number, its effective date (``data_entrada``,
    terms count from it, art. 31.2.b Ley 39/2015) and the day it was actually presented
    (``data_presentacio``, what letters quote), its text, the interested party and the documents
    presented (the names an e-office filing uses too)."""
    party = db.session.get(Party, party_ids[0]) if party_ids else None
    documents = list(db.session.execute(
        select(RegistryAttachment.document_id).where(RegistryAttachment.entry_id == entry.id)
        .order_by(RegistryAttachment.document_id)
    ).scalars())  # fmt: skip
    return {
        "registre_entrada": entry.number,
        "data_entrada": local_date(entry.effective_at).isoformat(),
        "data_presentacio": local_date(entry.presented_at).isoformat(),
        "assumpte": entry.subject,
        "text": entry.summary,
        "interessat": {"nif": party.nif, "nom": party.name} if party is not None else None,
        "documents_presentats": documents,
    }


def open_and_start(
    ctx: Context,
    *,
    process_model_id: object,
    subject: str | None = None,
    party: PartyInput | None = None,
    responsible_unit: str | None = None,
    registry_entry_id: int | None = None,
) -> Opened:
    """Open an expedient of a published procedure and start its process; all or nothing, in the
    caller's unit of work (see :mod:`engine.base.unit_of_work`)."""

    def work() -> Opened:
        model = get_model(ctx, process_model_id)
        if not model.published:
            raise ValidationFailed(_l("This procedure is not published."), field="process_model_id")
        version = latest_version(model)
        if version is None:
            raise Conflict(_l("The procedure %(name)s has no deployed version.", name=model.name))
        entry = _entry_to_join(ctx, registry_entry_id)
        party_ids: list[int] = []
        if party is not None:
            party_ids.append(party_of(ctx, party).id)
        elif entry is not None and entry.party_id is not None:
            party_ids.append(entry.party_id)
        expedient = open_expedient(
            ctx,
            subject or (entry.subject if entry else ""),
            process_model_id=model.id,
            party_ids=party_ids,
            responsible_unit=responsible_unit,
        )
        if entry is not None:
            _join_entry(ctx, entry, expedient)
        data: dict[str, Any] = {"expedient_number": expedient.number, "subject": expedient.subject}
        if entry is not None:
            data.update(_entry_data(ctx, entry, party_ids))
        instance = start_in_transaction(ctx, version, expedient.id, data)
        return Opened(expedient=expedient, instance=instance)

    return run_in_transaction(work)
