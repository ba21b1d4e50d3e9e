"""La meva carpeta: what a citizen sees of a municipality's expedients.

A citizen sees the expedients where their party (found by NIF) is interessat or representant,
and those of parties they are the registered representative of. Everything else is NotFound,
exactly like another tenant's rows. Reads only projection rows (HumanTask, AwaitedMessage),
never a workflow.

Documents shown are those the citizen's side presented (citizen origin) and those the
administration issued (with a CSV: receipts, resolutions, notifications); drafts, internal
reports and notes stay inside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound
from engine.base.i18n import _l
from engine.citizens.identity import CitizenIdentity
from engine.documents.documents import Document, read_content
from engine.expedients.expedients import Expedient
from engine.expedients.parties import ExpedientParty, Party
from engine.process.instances.messages import AwaitedMessage, awaited_for_expedients
from engine.process.models import HumanTask, ProcessInstance
from engine.registry.entries import RegistryEntry
from engine.tenancy.scoping import scoped


@dataclass
class FolderItem:
    expedient: Expedient
    #: interessat | representant
    role: str
    #: waiting | completed | incident | None (no process)
    process_status: str | None = None
    #: Names of the steps the municipality is working on now.
    steps: list[str] = field(default_factory=list)
    #: What the municipality waits for from the citizen (e.g. an answer to a requeriment).
    awaited: list[AwaitedMessage] = field(default_factory=list)
    last_change: datetime | None = None


def citizen_party(ctx: Context, citizen: CitizenIdentity) -> Party | None:
    return db.session.execute(scoped(Party, ctx).where(Party.nif == citizen.nif)).scalar_one_or_none()


def _roles_by_expedient(ctx: Context, citizen: CitizenIdentity) -> dict[int, str]:
    party = citizen_party(ctx, citizen)
    if party is None:
        return {}
    represented = select(Party.id).where(Party.tenant_id == ctx.tenant_id, Party.representative_id == party.id)
    links = db.session.execute(
        scoped(ExpedientParty, ctx).where(
            or_(ExpedientParty.party_id == party.id, ExpedientParty.party_id.in_(represented))
        )
    ).scalars()
    roles: dict[int, str] = {}
    for link in links:
        role = "interessat" if link.party_id == party.id and link.role == "interessat" else "representant"
        if roles.get(link.expedient_id) != "interessat":
            roles[link.expedient_id] = role
    return roles


def my_expedients(ctx: Context, citizen: CitizenIdentity) -> list[FolderItem]:
    """The citizen's expedients, newest first, with their step and what is expected of them."""
    roles = _roles_by_expedient(ctx, citizen)
    if not roles:
        return []
    ids = list(roles)
    expedients = db.session.execute(
        scoped(Expedient, ctx).where(Expedient.id.in_(ids)).order_by(Expedient.opened_at.desc(), Expedient.id.desc())
    ).scalars()
    items = {e.id: FolderItem(expedient=e, role=roles[e.id], last_change=e.opened_at) for e in expedients}
    for row in db.session.execute(scoped(ProcessInstance, ctx).where(ProcessInstance.expedient_id.in_(ids))).scalars():
        item = items[int(row.expedient_id or 0)]
        item.process_status = row.status
        item.last_change = max(filter(None, [item.last_change, row.updated_at]), default=None)
    tasks = db.session.execute(
        scoped(HumanTask, ctx).where(HumanTask.expedient_id.in_(ids), HumanTask.state == "ready").order_by(HumanTask.id)
    ).scalars()
    for task in tasks:
        items[int(task.expedient_id or 0)].steps.append(task.name)
    for awaited in awaited_for_expedients(ctx.tenant_id, ids):
        if awaited.expedient_id in items:
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
    doc = db.session.execute(scoped(Document, ctx).where(Document.id == ident)).scalar_one_or_none()
    if doc is None or doc.expedient_id is None:
        raise NotFound(_l("Not found."))
    get_my_expedient(ctx, citizen, doc.expedient_id)
    from engine.citizens.notices import hidden_document_ids  # notices builds on this module

    if (doc.from_administration and not doc.issued) or doc.id in hidden_document_ids(ctx, citizen, doc.expedient_id):
        raise NotFound(_l("Not found."))
    return read_content(ctx, doc.id)
