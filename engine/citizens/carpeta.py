"""La meva carpeta: what a citizen sees of a municipality's expedients.

A citizen sees the expedients where their party (found by NIF) is interessat, and those of
someone who granted them a power (see :mod:`engine.powers`) that is valid today and covers the
expedient's procedure (role representant). A representative who declared acting for someone
without an accredited power (art. 5.6 Ley 39/2015) sees only what they filed themselves: the
expedient their request opened, their entries, receipts and the documents they presented (role
presentador). Everything else is NotFound, exactly like another tenant's rows. Every access on
someone's behalf is audited, and the represented person sees it in their e-office. Reads only
projection rows (ProcessInstance, AwaitedMessage), never a workflow.

Documents shown are those the citizen's side presented (citizen origin) and those the
administration issued (with a CSV: receipts, resolutions, notifications); drafts, internal
reports and notes stay inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select

from engine.audit import AuditEvent
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound
from engine.base.i18n import _l
from engine.citizens.identity import ACTOR_PREFIX, CitizenIdentity
from engine.citizens.messages import ALLEGATIONS_MESSAGE, ANSWER_MESSAGE
from engine.citizens.request_document import request_document_ids
from engine.documents.documents import Document, read_content
from engine.expedients.expedients import Expedient
from engine.expedients.parties import ExpedientParty, Party, PartyRole
from engine.powers import register as powers
from engine.powers.models import Power
from engine.process.instances.messages import AwaitedMessage, awaited_for_expedients
from engine.process.models import ProcessInstance
from engine.registry.entries import RegistryAttachment, RegistryEntry
from engine.tenancy.scoping import by_id, scoped


@dataclass
class FolderItem:
    expedient: Expedient
    #: interessat | representant (through a valid power) | presentador (filed it, not accredited)
    role: str
    #: waiting | completed | incident | None (no process)
    process_status: str | None = None
    #: What the municipality waits for from the citizen (e.g. an answer to a requeriment).
    awaited: list[AwaitedMessage] = field(default_factory=list)
    last_change: datetime | None = None
    #: The power the citizen acts with when representant.
    power: Power | None = None
    #: A presentador who filed for someone else (not, e.g., their own allegation to a public information).
    on_behalf: bool = False


def citizen_party(ctx: Context, citizen: CitizenIdentity) -> Party | None:
    return db.session.execute(scoped(Party, ctx).where(Party.nif == citizen.nif)).scalar_one_or_none()


def _filed_entries(ctx: Context, citizen: CitizenIdentity) -> list[RegistryEntry]:
    """Registry entries the citizen presented themselves in the e-office (whoever they were for)."""
    ids = select(AuditEvent.object_id).where(
        AuditEvent.tenant_id == ctx.tenant_id,
        AuditEvent.action == "registry.incoming",
        AuditEvent.actor == f"{ACTOR_PREFIX}{citizen.nif}",
    )
    numeric = [int(i) for i in db.session.execute(ids).scalars() if i.isdigit()]
    if not numeric:
        return []
    return list(db.session.execute(scoped(RegistryEntry, ctx).where(RegistryEntry.id.in_(numeric))).scalars())


def my_filed_entry(ctx: Context, citizen: CitizenIdentity, entry_id: int) -> RegistryEntry:
    """An entry the citizen presented themselves (to follow its receipt); anything else is not found."""
    entry = next((e for e in _filed_entries(ctx, citizen) if e.id == entry_id), None)
    if entry is None:
        raise NotFound(_l("Not found."))
    return entry


def _roles_by_expedient(ctx: Context, citizen: CitizenIdentity) -> dict[int, tuple[str, Power | None]]:
    roles: dict[int, tuple[str, Power | None]] = {}
    party = citizen_party(ctx, citizen)
    if party is not None:
        own = scoped(ExpedientParty, ctx).where(ExpedientParty.party_id == party.id,
                                                ExpedientParty.role == PartyRole.INTERESSAT.value)  # fmt: skip
        for link in db.session.execute(own).scalars():
            roles[link.expedient_id] = ("interessat", None)
    valid = powers.valid_powers_to(ctx, citizen.nif)
    if valid:
        grantors = select(Party.id).where(Party.tenant_id == ctx.tenant_id,
                                          Party.nif.in_({p.grantor_nif for p in valid}))  # fmt: skip
        links = db.session.execute(
            scoped(ExpedientParty, ctx).where(ExpedientParty.party_id.in_(grantors),
                                              ExpedientParty.role == PartyRole.INTERESSAT.value)
        ).scalars()  # fmt: skip
        for link in links:
            if link.expedient_id in roles:
                continue
            expedient = db.session.get(Expedient, link.expedient_id)
            assert expedient is not None
            power = powers.covering_power(ctx, citizen.nif, [link.party.nif], expedient)
            if power is not None:
                roles[link.expedient_id] = ("representant", power)
    for entry in _filed_entries(ctx, citizen):
        if entry.expedient_id is not None:
            roles.setdefault(entry.expedient_id, ("presentador", None))
    return roles


def my_expedients(ctx: Context, citizen: CitizenIdentity) -> list[FolderItem]:
    """The citizen's expedients, newest first, with what is expected of them."""
    roles = _roles_by_expedient(ctx, citizen)
    if not roles:
        return []
    ids = list(roles)
    expedients = db.session.execute(
        scoped(Expedient, ctx).where(Expedient.id.in_(ids)).order_by(Expedient.opened_at.desc(), Expedient.id.desc())
    ).scalars()
    items = {e.id: FolderItem(expedient=e, role=roles[e.id][0], power=roles[e.id][1], last_change=e.opened_at)
             for e in expedients}  # fmt: skip
    for row in db.session.execute(scoped(ProcessInstance, ctx).where(ProcessInstance.expedient_id.in_(ids))).scalars():
        item = items[int(row.expedient_id or 0)]
        item.process_status = row.status
        item.last_change = max(filter(None, [item.last_change, row.updated_at]), default=None)
    own = citizen_party(ctx, citizen)
    for entry in _filed_entries(ctx, citizen):
        if entry.expedient_id in items and (own is None or entry.party_id != own.id):
            items[entry.expedient_id].on_behalf = True
    for awaited in awaited_for_expedients(ctx.tenant_id, ids):
        # What is asked of the interessat is not shown to an unaccredited presenter; nor is a wait for
        # someone else (the resolution of a grant call, another administration's report).
        if (awaited.expedient_id in items and items[awaited.expedient_id].role != "presentador"
                and (awaited.accepts(ANSWER_MESSAGE) or awaited.accepts(ALLEGATIONS_MESSAGE))):
            items[awaited.expedient_id].awaited.append(awaited)
    return list(items.values())


def get_my_expedient(ctx: Context, citizen: CitizenIdentity, expedient_id: object) -> FolderItem:
    """One of the citizen's expedients, or NotFound (also for expedients that exist but are not theirs)."""
    try:
        ident = int(expedient_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise NotFound(_l("Not found.")) from None
    for item in my_expedients(ctx, citizen):
        if item.expedient.id == ident:
            return item
    raise NotFound(_l("Not found."))


def record_on_behalf(ctx: Context, citizen: CitizenIdentity, item: FolderItem, what: str, object_id: int,
                     label: str) -> None:  # fmt: skip
    """Audit an access made with a power (no-op for the citizen's own expedients)."""
    if item.role == "representant" and item.power is not None:
        powers.record_access_on_behalf(ctx, item.power, what, object_id, label, expedient_id=item.expedient.id,
                                       representative_name=citizen.name)  # fmt: skip


def open_my_expedient(ctx: Context, citizen: CitizenIdentity, expedient_id: object) -> FolderItem:
    """The expedient's page is opened: as :func:`get_my_expedient`, audited when on someone's behalf."""
    item = get_my_expedient(ctx, citizen, expedient_id)
    record_on_behalf(ctx, citizen, item, "expedient", item.expedient.id, item.expedient.number)
    return item


def filed_document_ids(ctx: Context, citizen: CitizenIdentity, expedient_id: int) -> set[int]:
    """Documents the citizen presented themselves in the expedient (their requests among them), with the
    receipts of their entries."""
    entries = [e for e in _filed_entries(ctx, citizen) if e.expedient_id == expedient_id]
    ids = {e.receipt_document_id for e in entries if e.receipt_document_id is not None}
    if entries:
        entry_ids = [e.id for e in entries]
        attached = select(RegistryAttachment.document_id).where(RegistryAttachment.entry_id.in_(entry_ids))
        ids |= set(db.session.execute(attached).scalars())
        ids |= request_document_ids(ctx, entries)
    return ids


def documents_for(ctx: Context, citizen: CitizenIdentity, item: FolderItem) -> list[Document]:
    """The documents of the expedient this citizen may see, in the role they have in it."""
    docs = visible_documents(ctx, item.expedient.id)
    if item.role == "presentador":
        mine = filed_document_ids(ctx, citizen, item.expedient.id)
        return [d for d in docs if d.id in mine]
    from engine.citizens.notices import hidden_document_ids  # notices builds on this module

    hidden = hidden_document_ids(ctx, citizen, item.expedient.id)
    return [d for d in docs if d.id not in hidden]


def entries_for(ctx: Context, citizen: CitizenIdentity, item: FolderItem) -> list[RegistryEntry]:
    if item.role != "presentador":
        return my_entries(ctx, item.expedient.id)
    return sorted((e for e in _filed_entries(ctx, citizen) if e.expedient_id == item.expedient.id),
                  key=lambda e: e.id)  # fmt: skip


def visible_documents(ctx: Context, expedient_id: int) -> list[Document]:
    """Documents of the expedient a citizen may see: presented by citizens, or issued."""
    stmt = (
        scoped(Document, ctx)
        .where(
            Document.expedient_id == expedient_id,
            or_(Document.from_administration.is_(False), Document.issued.is_(True)),
        )
        .order_by(Document.id)
    )
    return list(db.session.execute(stmt).scalars())


def my_entries(ctx: Context, expedient_id: int) -> list[RegistryEntry]:
    """Registry entries of the expedient (with their receipts), in number order."""
    stmt = scoped(RegistryEntry, ctx).where(RegistryEntry.expedient_id == expedient_id).order_by(RegistryEntry.id)
    return list(db.session.execute(stmt).scalars())


def my_document(ctx: Context, citizen: CitizenIdentity, document_id: object) -> tuple[Document, bytes]:
    """A document the citizen may download (see :func:`visible_documents`), with verified bytes."""
    try:
        ident = int(document_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise NotFound(_l("Not found.")) from None
    doc = db.session.execute(by_id(Document, ctx, ident)).scalar_one_or_none()
    if doc is None or doc.expedient_id is None:
        raise NotFound(_l("Not found."))
    item = get_my_expedient(ctx, citizen, doc.expedient_id)
    if doc.id not in {d.id for d in documents_for(ctx, citizen, item)}:
        raise NotFound(_l("Not found."))
    record_on_behalf(ctx, citizen, item, "document", doc.id, doc.title)
    return read_content(ctx, doc.id)
