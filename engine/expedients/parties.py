"""Interested parties (interessats, Ley 39/2015 arts. 4-5): people and entities found again by NIF.

A party is unique per tenant by its normalised NIF/NIE/CIF, so the same citizen or company is
the same row across every expedient of a municipality. Legal persons and entities must deal
with the administration electronically (art. 14.2), so their channel is always electronic. A natural
person chooses (art. 14.1, 41.1): electronic only when they say so (filing from the e-office, or
their answer at the registry desk), else on paper. An e-mail address is only where the notice of a
notification is sent (art. 41.6), never a choice of the electronic channel.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.audit import record
from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db, trigram_index
from engine.base.errors import NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.identifiers import compact_nif, normalise_nif
from engine.base.keyset import PAGE_LIMIT, KeysetPage, keyset_page
from engine.base.text import clean_text
from engine.process.forms.errors import FieldError
from engine.tenancy.scoping import get_owned, scoped


class PartyKind(StrEnum):
    PERSON = "person"
    ENTITY = "entity"


class Channel(StrEnum):
    ELECTRONIC = "electronic"
    POSTAL = "postal"


class PartyRole(StrEnum):
    INTERESSAT = "interessat"
    REPRESENTANT = "representant"


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ]{6,20}")
#: A Spanish postal code: five digits, the first two a province's (01 to 52).
_POSTAL_CODE = re.compile(r"(0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}")
#: CIF first letters: companies, associations, public bodies... (NIF starting with a letter other
#: than K, L, M, X, Y, Z, which are people).
_ENTITY_LETTERS = frozenset("ABCDEFGHJNPQRSUVW")


class Party(db.Model):  # type: ignore[name-defined]
    __tablename__ = "parties"
    __table_args__ = (
        UniqueConstraint("tenant_id", "nif"),
        # Search by part of a name or NIF (GIN trigram on PostgreSQL, see migration 0018).
        trigram_index("ix_parties_name_trgm", "name"),
        trigram_index("ix_parties_nif_trgm", "nif"),
        # The list, newest first, a page at a time (engine.base.keyset.keyset_page's ``tenant``).
        Index("ix_parties_tenant_id_id", "tenant_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    #: Normalised NIF/NIE/CIF: upper case, no separators ("12345678Z", "X1234567L", "B12345674").
    nif: Mapped[str] = mapped_column(String(9))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(300), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    municipality: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    preferred_channel: Mapped[str] = mapped_column(String(10))
    representative_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    representative: Mapped[Party | None] = relationship(remote_side=lambda: Party.id)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nif": self.nif,
            "kind": self.kind,
            "name": self.name,
            "address": self.address,
            "postal_code": self.postal_code,
            "municipality": self.municipality,
            "email": self.email,
            "phone": self.phone,
            "preferred_channel": self.preferred_channel,
            "representative_id": self.representative_id,
        }


class ExpedientParty(db.Model):  # type: ignore[name-defined]
    """A party in an expedient, as interessat or as representative."""

    __tablename__ = "expedient_parties"
    __table_args__ = (UniqueConstraint("expedient_id", "party_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    expedient_id: Mapped[int] = mapped_column(ForeignKey("expedients.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=PartyRole.INTERESSAT.value)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    party: Mapped[Party] = relationship()


# -- validation ------------------------------------------------------------------------------


def like_contains(term: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching values that contain ``term`` literally."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


#: What may be part of a stored NIF (validated: nine characters, the seven in the middle digits):
#: digits, with at most a letter before and one after them.
NIF_PART = re.compile(r"[0-9A-Z]?[0-9]*[0-9A-Z]?")


def party_matches(term: str) -> ColumnElement[bool]:
    """A condition on :class:`Party`: its NIF or its name contains ``term`` (tidied, not empty).
    A term no NIF can contain ("Roca Camps") is not looked up among the NIFs: its trigram scan
    would read the index for nothing."""
    name = Party.name.ilike(like_contains(term), escape="\\")
    nif = compact_nif(term)
    if not NIF_PART.fullmatch(nif):
        return name
    return or_(Party.nif.contains(nif, autoescape=True), name)


def kind_of(nif: str) -> PartyKind:
    """A CIF belongs to a legal person or entity; a DNI, NIE or K/L/M NIF to a person."""
    return PartyKind.ENTITY if nif[0] in _ENTITY_LETTERS else PartyKind.PERSON


def _checked_contact(fields: dict[str, Any]) -> dict[str, Any]:
    out = {
        "address": clean_text(fields.get("address"), 300, "address", collapse=False),
        "postal_code": clean_text(fields.get("postal_code"), 10, "postal_code", collapse=False),
        "municipality": clean_text(fields.get("municipality"), 120, "municipality", collapse=False),
        "email": clean_text(fields.get("email"), 200, "email", collapse=False),
        "phone": clean_text(fields.get("phone"), 30, "phone", collapse=False),
    }
    if out["email"] and not _EMAIL.fullmatch(out["email"]):
        raise ValidationFailed(_l("The e-mail address %(value)s is not valid.", value=out["email"]),
                               field="email")
    if out["phone"] and not _PHONE.fullmatch(out["phone"]):
        raise ValidationFailed(_l("The phone number %(value)s is not valid.", value=out["phone"]), field="phone")
    if out["postal_code"] and (problem := postal_code_problem(out["postal_code"])) is not None:
        raise ValidationFailed(problem, field="postal_code")
    return out


def postal_code_problem(value: str) -> Any | None:
    """Why ``value`` (tidied, not empty) is no Spanish postal code (five digits, the first two a province's,
    01 to 52), or None when it is one."""
    if _POSTAL_CODE.fullmatch(value):
        return None
    return _l("The postal code %(value)s is not valid: write its 5 digits, the first two those of the province "
              "(01 to 52).", value=value)


#: Where a paper notification is delivered: what a natural person on paper must have.
POSTAL_FIELDS = ("address", "postal_code", "municipality")


def check_postal_address(kind: str, channel: str | None, contact: Mapping[str, Any]) -> None:
    """Refuse a natural person notified on paper without where to deliver it (address, postal code and
    municipality) or with a postal code that is none, every such field named at once (``details``, one
    :class:`FieldError` each) so a form flags them all; an entity (always electronic) needs none. The words
    suit both the clerk typing someone else's data and the citizen typing their own."""
    if kind != PartyKind.PERSON or channel != Channel.POSTAL:
        return
    problems: list[FieldError] = []
    for name in POSTAL_FIELDS:
        value = str(contact.get(name) or "").strip()
        if not value:
            problems.append(FieldError(name, str(_l("Required for paper notifications."))))
        elif name == "postal_code" and (wrong := postal_code_problem(value)) is not None:
            problems.append(FieldError(name, str(wrong)))
    if problems:
        raise ValidationFailed(problems[0].message, field=problems[0].field, details=problems)


def _channel(kind: PartyKind, requested: str | None) -> str:
    """The channel a party is notified by: ``requested`` (the person's choice), or when nobody chose,
    electronic for an entity (obliged, art. 14.2) and paper for a natural person (art. 14.1)."""
    if requested is None:
        return Channel.ELECTRONIC if kind is PartyKind.ENTITY else Channel.POSTAL
    if requested not in tuple(Channel):
        raise ValidationFailed(_l("The channel must be electronic or postal."), field="preferred_channel")
    if kind is PartyKind.ENTITY and requested != Channel.ELECTRONIC:
        raise ValidationFailed(
            _l("Legal persons and entities must be notified electronically (Ley 39/2015, art. 14.2)."),
            field="preferred_channel",
        )
    return requested


def _representative(ctx: Context, party_id: int | None, own_id: int | None) -> int | None:
    if party_id is None:
        return None
    rep = get_owned(Party, ctx, party_id)
    if own_id is not None and rep.id == own_id:
        raise ValidationFailed(_l("A party cannot represent itself."), field="representative_id")
    return rep.id


# -- services -------------------------------------------------------------------------------


def get_party(ctx: Context, party_id: int) -> Party:
    return get_owned(Party, ctx, party_id)


def parties_page(ctx: Context, *, q: str = "", after: int | None = None,
                 limit: int = PAGE_LIMIT) -> KeysetPage[Party]:
    """The tenant's parties, newest first, a page at a time; ``q``: the NIF (any spelling) or name contains."""
    stmt = scoped(Party, ctx)
    term = " ".join((q or "").split())
    if term:
        stmt = stmt.where(party_matches(term))
    return keyset_page(stmt, Party.id, after, limit, tenant=(Party.tenant_id, ctx.tenant_id))


def find_party_by_nif(ctx: Context, nif: str) -> Party | None:
    """The tenant's party with this NIF (any spelling), or None."""
    normalised = normalise_nif(nif)
    return db.session.execute(scoped(Party, ctx).where(Party.nif == normalised)).scalar_one_or_none()


def party_typed(ctx: Context, nif: str) -> Party | None:
    """The party on record with the NIF a form was sent with; None when none was typed, it is not a
    valid NIF or nobody has it yet (the form then asks for a new person)."""
    if not nif.strip():
        return None
    try:
        return find_party_by_nif(ctx, nif)
    except ValidationFailed:
        return None


def find_or_create_party(
    ctx: Context,
    nif: str,
    name: str,
    *,
    address: str | None = None,
    postal_code: str | None = None,
    municipality: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    preferred_channel: str | None = None,
    representative_id: int | None = None,
) -> Party:
    """The existing party with this NIF, or a new one (audited).

    ``preferred_channel``: the person's own choice (see :func:`_channel`); ``None`` when they made
    none, never inferred from an e-mail. Of an existing party only the e-mail changes here, when a
    new valid one is given (the person says where the notices go: audited as a change of the
    party); its name, address and channel change only through :func:`update_party`, so a filing
    cannot silently overwrite how someone is notified.
    """
    existing = find_party_by_nif(ctx, nif)
    if existing is not None:
        return _with_email(ctx, existing, email)
    normalised = normalise_nif(nif)
    kind = kind_of(normalised)
    clean_name = clean_text(name, 300, "name", collapse=False)
    if clean_name is None:
        raise ValidationFailed(_l("The name is required."), field="name")
    contact = _checked_contact(
        {"address": address, "postal_code": postal_code, "municipality": municipality, "email": email,
         "phone": phone}
    )
    party = Party(
        tenant_id=ctx.tenant_id,
        nif=normalised,
        kind=kind.value,
        name=clean_name,
        preferred_channel=str(_channel(kind, preferred_channel)),
        representative_id=_representative(ctx, representative_id, None),
        **contact,
    )
    db.session.add(party)
    db.session.flush()
    record(ctx, "party.created", "party", party.id, after=party.summary())
    return party


def _with_email(ctx: Context, party: Party, email: str | None) -> Party:
    """``party`` with the e-mail ``email`` (checked) when one is given and it is new; audited."""
    clean = _checked_contact({"email": email})["email"]
    if clean is None or clean == party.email:
        return party
    before = party.summary()
    party.email = clean
    db.session.flush()
    record(ctx, "party.updated", "party", party.id, before=before, after=party.summary())
    return party


_UPDATABLE = ("name", "address", "postal_code", "municipality", "email", "phone", "preferred_channel",
              "representative_id")


def update_party(ctx: Context, party_id: int, *, expedient_id: int | None = None, **changes: Any) -> Party:
    """Change a party's name or contact data (not its NIF); audited with before and after.

    ``expedient_id``: one of the party's expedients, the one the change is made from (a clerk on its page), whose
    history then shows it; another expedient is not found. A change that changes nothing is not recorded.
    """
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        raise ValidationFailed(_l("These fields cannot be changed: %(fields)s.", fields=", ".join(sorted(unknown))))
    party = get_owned(Party, ctx, party_id, for_update=True)
    if expedient_id is not None and not is_party_of(ctx, party.id, expedient_id):
        raise NotFound(_l("Not found."))
    before = party.summary()
    merged = {**before, **changes}
    name = clean_text(merged["name"], 300, "name", collapse=False)
    if name is None:
        raise ValidationFailed(_l("The name is required."), field="name")
    contact = _checked_contact(merged)
    kind = PartyKind(party.kind)
    requested = changes.get("preferred_channel", party.preferred_channel)
    party.preferred_channel = str(_channel(kind, requested))
    party.name = name
    for key, value in contact.items():
        setattr(party, key, value)
    party.representative_id = _representative(ctx, merged["representative_id"], party.id)
    db.session.flush()
    after = party.summary()
    if after != before:
        record(ctx, "party.updated", "party", party.id, expedient_id=expedient_id, before=before, after=after)
    return party


def is_party_of(ctx: Context, party_id: int, expedient_id: int) -> bool:
    """Whether the party is in this expedient of the tenant (as interessat or representative)."""
    stmt = scoped(ExpedientParty, ctx).where(ExpedientParty.expedient_id == expedient_id,
                                             ExpedientParty.party_id == party_id)
    return db.session.execute(stmt.limit(1)).first() is not None
