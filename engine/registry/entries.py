"""The registry (registre d'entrada i sortida, Ley 39/2015 arts. 16 and 31).

Each entry is numbered per tenant, year and direction without gaps — ``E/2026/000001`` for
incoming (entrada), ``S/2026/000001`` for outgoing (sortida) — in the transaction that
records it, and entries follow temporal order: a later number never has an earlier
presentation time. The registry is open 24/7, but a filing on a non-working day of the
tenant's calendar takes effect at 00:00 (Europe/Madrid) of the next working day
(art. 31.2.b); on a working day it takes effect when presented.

An incoming entry may open an expedient or join one; its attachments become documents of
that expedient, and a receipt (justificant de presentació: date, time, number, party,
subject and the SHA-256 of every attachment) is rendered to PDF, stored as an issued
document (TD09, acuse de recibo) with its own CSV, and linked to the entry.

Entries are never edited or deleted: there is no such service. A mistake is put right by a
new entry that names the entry it corrects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.audit import record
from engine.audit.trail import hold_chain
from engine.base.clock import MADRID, as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.numbering import next_number
from engine.base.text import clean_text
from engine.calendar import TenantCalendar
from engine.documents.documents import Document, store_document
from engine.documents.languages import document_locale_of
from engine.documents.pdf import render_pdf
from engine.documents.verification_codes import new_csv, verify_url
from engine.expedients.expedients import Expedient, ensure_open, link_party, open_expedient
from engine.expedients.parties import Party
from engine.tenancy.models import Tenant
from engine.tenancy.scoping import get_owned

#: ENI TipoDocumental of the receipt: TD09 "Acuse de recibo".
RECEIPT_TIPO = "TD09"


class Direction(StrEnum):
    INCOMING = "E"
    OUTGOING = "S"


class Channel(StrEnum):
    ELECTRONIC = "electronic"  # the e-office (seu electrònica)
    IN_PERSON = "in_person"  # at the counter (oficina d'assistència en matèria de registres)
    POSTAL = "postal"
    INTERADMINISTRATIVE = "interadministrative"  # SIR / EACAT, from or to another administration


class RegistryEntry(db.Model):  # type: ignore[name-defined]
    __tablename__ = "registry_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "direction", "year", "seq"),
        UniqueConstraint("tenant_id", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    direction: Mapped[str] = mapped_column(String(1))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    #: "E/2026/000001"
    number: Mapped[str] = mapped_column(String(20))
    #: The exact moment of presentation (UTC).
    presented_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    #: When the filing counts as made (art. 31.2.b); equals presented_at on a working day.
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    subject: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    sender: Mapped[str] = mapped_column(String(300))
    recipient: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(20))
    expedient_id: Mapped[int | None] = mapped_column(ForeignKey("expedients.id"), index=True)
    corrects_entry_id: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.id"))
    receipt_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # An entry exchanged with another administration on this platform (engine.registry.between_tenants):
    # the other side's tenant, entry id and number (an outgoing entry's delivery, an incoming one's origin).
    counterpart_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    counterpart_entry_id: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.id"))
    counterpart_number: Mapped[str | None] = mapped_column(String(20))

    attachments: Mapped[list[RegistryAttachment]] = relationship(order_by="RegistryAttachment.position")

    def summary_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "direction": self.direction,
            "presented_at": as_utc(self.presented_at),
            "effective_at": as_utc(self.effective_at),
            "subject": self.subject,
            "party_id": self.party_id,
            "sender": self.sender,
            "recipient": self.recipient,
            "channel": self.channel,
            "expedient_id": self.expedient_id,
            "corrects_entry_id": self.corrects_entry_id,
            "receipt_document_id": self.receipt_document_id,
            "documents": [{"document_id": a.document_id, "sha256": a.sha256} for a in self.attachments],
        }


class RegistryAttachment(db.Model):  # type: ignore[name-defined]
    """A document of an entry, with the digest it had when it was registered."""

    __tablename__ = "registry_attachments"

    entry_id: Mapped[int] = mapped_column(ForeignKey("registry_entries.id"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    document: Mapped[Document] = relationship()


@dataclass(frozen=True)
class Upload:
    """A file presented with an incoming entry."""

    filename: str
    content: bytes
    title: str | None = None
    tipo_documental: str = "TD99"


def format_number(direction: Direction, year: int, seq: int) -> str:
    return f"{direction.value}/{year}/{seq:06d}"


def effective_moment(calendar: TenantCalendar, presented_at: datetime) -> datetime:
    """When a filing counts as made (art. 31.2.b): itself on a working day (Catalan local date),
    else 00:00 Europe/Madrid of the next working day."""
    moment = as_utc(presented_at)
    assert moment is not None
    day = local_date(moment)
    if calendar.is_working_day(day):
        return moment
    first_hour = datetime.combine(calendar.next_working_day(day), time(0), tzinfo=MADRID)
    return cast(datetime, as_utc(first_hour))


# -- services -------------------------------------------------------------------------------


def register_incoming(
    ctx: Context,
    *,
    subject: str,
    channel: str,
    party_id: int | None = None,
    sender: str | None = None,
    recipient: str | None = None,
    summary: str | None = None,
    uploads: Sequence[Upload] = (),
    document_ids: Sequence[int] = (),
    open_expedient_subject: str | None = None,
    expedient_id: int | None = None,
    corrects_entry_id: int | None = None,
    presented_at: datetime | None = None,
    locale: str | None = None,
    party_joins: bool = True,
    with_receipt: bool = True,
) -> RegistryEntry:
    """Record an incoming filing (entrada) and issue its receipt.

    Either opens an expedient (``open_expedient_subject``; the party becomes its interessat),
    joins one (``expedient_id``; the party becomes its interessat unless ``party_joins`` is False,
    e.g. an allegation to a public information, Ley 39/2015 art. 83.3), or stays outside any
    expedient. ``uploads`` become documents (citizen origin) of that expedient; ``document_ids``
    links documents already stored. ``presented_at`` is for channels that stamp the time
    themselves (it may not be in the future nor earlier than the last entry); by default it is
    now. The receipt is written in ``locale`` when it is an official language (the reader's
    choice), else in the municipality's default language; with ``with_receipt`` False it is left
    to the caller (the e-office has a job issue it, see :mod:`engine.registry.receipt_job`).
    The caller commits.
    """
    if open_expedient_subject is not None and expedient_id is not None:
        raise ValidationFailed(_l("Open a new expedient or join an existing one, not both."),
                               field="expedient_id")
    tenant = _tenant(ctx)
    party = get_owned(Party, ctx, party_id) if party_id is not None else None
    joined = _joinable(ctx, expedient_id)
    entry = _new_entry(
        ctx,
        Direction.INCOMING,
        subject=subject,
        channel=channel,
        party=party,
        sender=sender or (party.name if party else None),
        recipient=recipient or tenant.name,
        summary=summary,
        corrects_entry_id=corrects_entry_id,
        presented_at=presented_at,
    )
    expedient = _expedient_for(ctx, entry, party if party_joins else None, open_expedient_subject, joined)
    documents = [
        store_document(
            ctx,
            expedient.id if expedient else None,
            upload.filename,
            upload.content,
            title=upload.title or upload.filename,
            tipo_documental=upload.tipo_documental,
            from_administration=False,
            captured_at=entry.presented_at,
        )
        for upload in uploads
    ]
    _attach(entry, documents + _existing_documents(ctx, document_ids, expedient))
    if with_receipt:
        entry.receipt_document_id = receipt_document(ctx, tenant, entry, party, locale).id
    db.session.flush()
    record(ctx, "registry.incoming", "registry_entry", entry.id, expedient_id=entry.expedient_id,
           after=entry.summary_dict())
    return entry


def register_outgoing(
    ctx: Context,
    *,
    subject: str,
    channel: str,
    recipient: str | None = None,
    party_id: int | None = None,
    sender: str | None = None,
    summary: str | None = None,
    document_ids: Sequence[int] = (),
    expedient_id: int | None = None,
    corrects_entry_id: int | None = None,
    presented_at: datetime | None = None,
) -> RegistryEntry:
    """Record an outgoing dispatch (sortida) of documents already stored. The caller commits."""
    tenant = _tenant(ctx)
    party = get_owned(Party, ctx, party_id) if party_id is not None else None
    if not (recipient or party):
        raise ValidationFailed(_l("Say who receives it: an interested party or a body."), field="recipient")
    expedient = _joinable(ctx, expedient_id)
    entry = _new_entry(
        ctx,
        Direction.OUTGOING,
        subject=subject,
        channel=channel,
        party=party,
        sender=sender or tenant.name,
        recipient=recipient or (party.name if party else ""),
        summary=summary,
        corrects_entry_id=corrects_entry_id,
        presented_at=presented_at,
    )
    entry.expedient_id = expedient.id if expedient else None
    _attach(entry, _existing_documents(ctx, document_ids, expedient))
    db.session.flush()
    record(ctx, "registry.outgoing", "registry_entry", entry.id, expedient_id=entry.expedient_id,
           after=entry.summary_dict())
    return entry


def get_entry(ctx: Context, entry_id: int) -> RegistryEntry:
    return get_owned(RegistryEntry, ctx, entry_id)


# -- steps ----------------------------------------------------------------------------------


def _tenant(ctx: Context) -> Tenant:
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    return tenant


def _clean(value: str | None, field: str, limit: int, required: bool = True) -> str | None:
    return clean_text(value, limit, field, required=required)


def _new_entry(
    ctx: Context,
    direction: Direction,
    *,
    subject: str,
    channel: str,
    party: Party | None,
    sender: str | None,
    recipient: str | None,
    summary: str | None,
    corrects_entry_id: int | None,
    presented_at: datetime | None,
) -> RegistryEntry:
    if channel not in tuple(Channel):
        raise ValidationFailed(
            _l("Unknown channel %(value)s.", value=channel), field="channel"
        )
    clean_subject = _clean(subject, "subject", 500)
    clean_sender = _clean(sender, "sender", 300)
    clean_recipient = _clean(recipient, "recipient", 300)
    corrected = get_owned(RegistryEntry, ctx, corrects_entry_id) if corrects_entry_id is not None else None
    # Audit lock before the counter's (the order every numbering transaction follows); the
    # lock serialises this book, so the time is taken under it: an entry that waited for
    # another is stamped after it, and the order check below cannot race.
    hold_chain(ctx.tenant_id)
    now = utcnow()
    moment = as_utc(presented_at) or now
    if moment > now:
        raise ValidationFailed(_l("The presentation time cannot be in the future."), field="presented_at")
    year = local_date(moment).year
    seq = next_number(ctx.tenant_id, f"registry-{direction.value}", year)
    last = db.session.execute(
        select(RegistryEntry.presented_at)
        .where(RegistryEntry.tenant_id == ctx.tenant_id, RegistryEntry.direction == direction.value)
        .order_by(RegistryEntry.presented_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last is not None and moment < cast(datetime, as_utc(last)):
        raise ValidationFailed(
            _l("Registry entries follow temporal order: this presentation time is earlier than the last entry's."),
            field="presented_at",
        )
    entry = RegistryEntry(
        tenant_id=ctx.tenant_id,
        direction=direction.value,
        year=year,
        seq=seq,
        number=format_number(direction, year, seq),
        presented_at=moment,
        effective_at=effective_moment(TenantCalendar.for_tenant(_tenant(ctx)), moment),
        subject=clean_subject,
        summary=_clean(summary, "summary", 4000, required=False),
        party_id=party.id if party else None,
        sender=clean_sender,
        recipient=clean_recipient,
        channel=channel,
        corrects_entry_id=corrected.id if corrected else None,
        created_by_id=ctx.user_id,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _joinable(ctx: Context, expedient_id: int | None) -> Expedient | None:
    """The tenant's open expedient an entry goes into, checked before the entry takes a number."""
    if expedient_id is None:
        return None
    expedient = get_owned(Expedient, ctx, expedient_id)
    ensure_open(expedient)
    return expedient


def _expedient_for(
    ctx: Context, entry: RegistryEntry, party: Party | None, new_subject: str | None, joined: Expedient | None
) -> Expedient | None:
    if new_subject is not None:
        expedient = open_expedient(ctx, new_subject, party_ids=[party.id] if party else (),
                                   opened_at=entry.presented_at)
    elif joined is not None:
        expedient = joined
        if party is not None:
            link_party(ctx, expedient.id, party.id)
    else:
        return None
    entry.expedient_id = expedient.id
    return expedient


def _existing_documents(ctx: Context, document_ids: Sequence[int], expedient: Expedient | None) -> list[Document]:
    documents = [get_owned(Document, ctx, doc_id) for doc_id in dict.fromkeys(document_ids)]
    for doc in documents:
        if doc.expedient_id is not None and (expedient is None or doc.expedient_id != expedient.id):
            raise ValidationFailed(
                _l("Document %(title)s belongs to another expedient.", title=doc.title), field="document_ids"
            )
    return documents


def _attach(entry: RegistryEntry, documents: list[Document]) -> None:
    for position, doc in enumerate(documents, start=1):
        db.session.add(RegistryAttachment(entry_id=entry.id, document_id=doc.id, position=position,
                                          sha256=doc.sha256))
    db.session.flush()
    db.session.expire(entry, ["attachments"])


RECEIPT_LABELS: dict[str, dict[str, str]] = {
    "ca": {
        "heading": "Justificant de presentació",
        "number": "Número de registre",
        "presented": "Data i hora de presentació",
        "effective": "Data i hora als efectes del còmput de terminis",
        "effective_note": "Presentat en dia inhàbil: s'entén fet a la primera hora del primer dia hàbil "
        "següent (art. 31.2.b Llei 39/2015).",
        "issuer": "Òrgan",
        "party": "Persona interessada",
        "sender": "Remitent",
        "on_behalf": "en nom de",
        "recipient": "Destinatari",
        "subject": "Assumpte",
        "summary": "Extracte",
        "channel": "Canal",
        "expedient": "Expedient",
        "corrects": "Corregeix l'assentament",
        "documents": "Documents presentats",
        "doc_title": "Document",
        "doc_file": "Fitxer",
        "doc_size": "Mida (bytes)",
        "doc_digest": "Empremta SHA-256",
        "no_documents": "No s'ha presentat cap document.",
        "csv": "Codi segur de verificació (CSV)",
        "verify": "Podeu comprovar la integritat d'aquest justificant a",
        "page": "Pàgina",
        "electronic": "Registre electrònic",
        "in_person": "Presencial",
        "postal": "Correu postal",
        "interadministrative": "Interadministratiu",
    },
    "es": {
        "heading": "Justificante de presentación",
        "number": "Número de registro",
        "presented": "Fecha y hora de presentación",
        "effective": "Fecha y hora a efectos del cómputo de plazos",
        "effective_note": "Presentado en día inhábil: se entiende realizado en la primera hora del primer "
        "día hábil siguiente (art. 31.2.b Ley 39/2015).",
        "issuer": "Órgano",
        "party": "Persona interesada",
        "sender": "Remitente",
        "on_behalf": "en nombre de",
        "recipient": "Destinatario",
        "subject": "Asunto",
        "summary": "Extracto",
        "channel": "Canal",
        "expedient": "Expediente",
        "corrects": "Corrige el asiento",
        "documents": "Documentos presentados",
        "doc_title": "Documento",
        "doc_file": "Fichero",
        "doc_size": "Tamaño (bytes)",
        "doc_digest": "Huella SHA-256",
        "no_documents": "No se ha presentado ningún documento.",
        "csv": "Código seguro de verificación (CSV)",
        "verify": "Puede comprobar la integridad de este justificante en",
        "page": "Página",
        "electronic": "Registro electrónico",
        "in_person": "Presencial",
        "postal": "Correo postal",
        "interadministrative": "Interadministrativo",
    },
}


def represented_party(entry: RegistryEntry, party: Party | None) -> Party | None:
    """The interested party someone else filed for: the entry's sender is another person (a
    representative, art. 5 Ley 39/2015). Not for another administration's entry, whose sender is
    that administration."""
    if party is None or entry.channel == Channel.INTERADMINISTRATIVE.value:
        return None
    return party if " ".join(entry.sender.split()).casefold() != " ".join(party.name.split()).casefold() else None


def receipt_document(ctx: Context, tenant: Tenant, entry: RegistryEntry, party: Party | None,
                     chosen: str | None) -> Document:
    """Render, store and issue the entry's receipt, in the language chosen for it or the
    municipality's; its CSV is printed on it."""
    locale = document_locale_of(tenant, chosen)
    labels = RECEIPT_LABELS[locale]
    csv = new_csv()
    corrected = db.session.get(RegistryEntry, entry.corrects_entry_id) if entry.corrects_entry_id else None
    expedient = db.session.get(Expedient, entry.expedient_id) if entry.expedient_id else None
    pdf = render_pdf(
        "registry_receipt.html",
        labels=labels,
        locale=locale,
        tenant=tenant,
        entry=entry,
        party=party,
        represented=represented_party(entry, party),
        expedient=expedient,
        corrected=corrected,
        attachments=entry.attachments,
        csv=csv,
        verify_url=verify_url(csv),
    )
    return store_document(
        ctx,
        entry.expedient_id,
        f"justificant-{entry.number.replace('/', '-')}.pdf",
        pdf,
        title=f"{labels['heading']} {entry.number}",
        tipo_documental=RECEIPT_TIPO,
        from_administration=True,
        csv=csv,
    )
