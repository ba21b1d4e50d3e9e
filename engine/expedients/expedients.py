"""Expedients (Ley 39/2015, art. 70): the numbered case file behind every resolution.

An expedient gets its number ``AAAA/NNNNNN`` (per tenant and year, without gaps) and its ENI
identifier ``ES_<DIR3>_<AAAA>_EXP_<id>`` inside the transaction that opens it. States follow
the NTI: E01 open, E02 closed, E03 index closed for remission.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    union,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.audit import record
from engine.audit.trail import hold_chain
from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db, trigram_index
from engine.base.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.base.events import Event, publish
from engine.base.i18n import _l
from engine.base.numbering import next_number
from engine.base.text import clean_text
from engine.expedients.parties import ExpedientParty, Party, PartyRole, like_contains, party_matches
from engine.process.definition.sidecar import eni_classification
from engine.process.models import ProcessModel
from engine.tenancy.models import Role, Tenant
from engine.tenancy.scoping import get_owned, scoped

SERIES = "expedient"
ENI_ID_MAX = 52
_ENI_ID = re.compile(r"ES_[A-Z0-9]{1,21}_\d{4}_EXP_[A-Za-z0-9]{1,30}")
#: SIA procedure code (digits) or "<organ>_PRO_<id>" (NTI Clasificacion).
_CLASSIFICATION = re.compile(r"\d{1,12}|[A-Z0-9]{1,21}_PRO_[A-Za-z0-9_]{1,30}")
_NUMBER = re.compile(r"\s*(\d{4})\s*/\s*(\d{1,9})\s*")

OPENERS = frozenset({Role.TRAMITADOR, Role.SECRETARI, Role.ALCALDE, Role.ADMIN})
CLOSERS = OPENERS
#: Reopening a closed expedient is an exceptional act of the secretary (fe pública) or an admin.
REOPENERS = frozenset({Role.SECRETARI, Role.ADMIN})


class ExpedientState(StrEnum):
    OPEN = "E01"
    CLOSED = "E02"
    INDEX_CLOSED_FOR_REMISSION = "E03"


expedient_relations = Table(
    "expedient_relations",
    db.metadata,
    Column("expedient_id", ForeignKey("expedients.id", ondelete="CASCADE"), primary_key=True),
    Column("related_id", ForeignKey("expedients.id", ondelete="CASCADE"), primary_key=True),
)


class Expedient(db.Model):  # type: ignore[name-defined]
    __tablename__ = "expedients"
    __table_args__ = (
        UniqueConstraint("tenant_id", "year", "seq"),
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "eni_id"),
        # The legal-term control reads open expedients by due date, and whether a suspension
        # runs, from this index alone (engine.control.risk).
        Index("ix_expedients_term_due", "tenant_id", "state", "term_due", "term_suspended_since"),
        # The dashboard's months, states per procedure and resolution times (engine.expedients.statistics).
        Index("ix_expedients_opened", "tenant_id", "opened_at"),
        # With what the resolution times read, so that they come from the index alone.
        Index("ix_expedients_closed", "tenant_id", "closed_at", "opened_at", "process_model_id", "term_months"),
        Index("ix_expedients_procedure_state", "tenant_id", "process_model_id", "state"),
        # Search by part of the number or subject (GIN trigram on PostgreSQL, see migration 0018).
        trigram_index("ix_expedients_number_trgm", "number"),
        trigram_index("ix_expedients_subject_trgm", "subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    #: "2026/000123"
    number: Mapped[str] = mapped_column(String(20))
    #: ENI Identificador, e.g. "ES_L01259999_2026_EXP_000123"
    eni_id: Mapped[str] = mapped_column(String(ENI_ID_MAX))
    subject: Mapped[str] = mapped_column(String(500))
    # active_history: engine.expedients.figures needs the value a flush replaces, even when unloaded.
    process_model_id: Mapped[int | None] = mapped_column(ForeignKey("process_models.id"), index=True,
                                                         active_history=True)
    #: SIA procedure code or "<organ>_PRO_<id>"
    classification: Mapped[str | None] = mapped_column(String(60))
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(3), default=ExpedientState.OPEN.value, active_history=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, active_history=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), active_history=True)
    #: Index computed at closing: [{"order": 1, "document_id": ..., "digest": ..., "algorithm": ...}]
    closing_index: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # The maximum legal term to resolve and notify (arts. 21-22 Ley 39/2015), kept by
    # engine.control: its start (registry entry or opening), length, the suspensions that ended
    # ([[since, until], ...] ISO dates), the start of a suspension still running, the last day
    # with the ended suspensions applied, and the effect of silence (positive/negative/lapse).
    term_start: Mapped[date | None] = mapped_column(Date)
    term_months: Mapped[int | None] = mapped_column(Integer, active_history=True)
    term_suspensions: Mapped[list[list[str]] | None] = mapped_column(JSON)
    term_suspended_since: Mapped[date | None] = mapped_column(Date)
    term_due: Mapped[date | None] = mapped_column(Date)
    silence: Mapped[str | None] = mapped_column(String(16))

    related: Mapped[list[Expedient]] = relationship(
        secondary=expedient_relations,
        primaryjoin=lambda: Expedient.id == expedient_relations.c.expedient_id,
        secondaryjoin=lambda: Expedient.id == expedient_relations.c.related_id,
        order_by=lambda: Expedient.id,
    )
    reopenings: Mapped[list[ExpedientReopening]] = relationship(
        back_populates="expedient", order_by=lambda: ExpedientReopening.id
    )

    @property
    def is_open(self) -> bool:
        return self.state == ExpedientState.OPEN

    def summary(self) -> dict[str, Any]:
        """The fields an audit event or a JSON answer shows."""
        return {
            "id": self.id,
            "number": self.number,
            "eni_id": self.eni_id,
            "subject": self.subject,
            "state": self.state,
            "classification": self.classification,
            "process_model_id": self.process_model_id,
            "responsible_unit": self.responsible_unit,
        }


class ExpedientReopening(db.Model):  # type: ignore[name-defined]
    """A closed expedient was reopened: by whom, when and why (closed expedients are immutable)."""

    __tablename__ = "expedient_reopenings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    expedient_id: Mapped[int] = mapped_column(ForeignKey("expedients.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    previous_state: Mapped[str] = mapped_column(String(3))
    previous_closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    previous_index: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    expedient: Mapped[Expedient] = relationship(back_populates="reopenings")


def format_number(year: int, seq: int) -> str:
    return f"{year}/{seq:06d}"


def eni_identifier(dir3: str, year: int, seq: int) -> str:
    """``ES_<DIR3>_<AAAA>_EXP_<id>``, validated against the NTI shape and its 52-character limit."""
    value = f"ES_{dir3}_{year}_EXP_{seq:06d}"
    if len(value) > ENI_ID_MAX or not _ENI_ID.fullmatch(value):
        raise ValidationFailed(
            _l(
                "Invalid ENI identifier %(value)s (ES_<DIR3>_<year>_EXP_<id>, at most 52 characters).",
                value=value,
            ),
            field="eni_id",
        )
    return value


def ensure_open(expedient: Expedient) -> None:
    """Refuse changes to a closed expedient (E02/E03): it must be reopened first."""
    if not expedient.is_open:
        raise Conflict(
            _l("Expedient %(number)s is closed: reopen it before changing it.", number=expedient.number)
        )


def require_role(ctx: Context, allowed: Iterable[str]) -> None:
    if not any(ctx.has_role(role) for role in allowed):
        raise Forbidden(_l("You are not allowed to do this."))


def _clean_subject(subject: str) -> str:
    return clean_text(subject, 500, "subject", required=True, required_message=_l("The subject is required."),
                      too_long_message=_l("The subject is too long (at most 500 characters)."))


def _clean_classification(value: str | None) -> str | None:
    value = (value or "").strip() or None
    if value is not None and not _CLASSIFICATION.fullmatch(value):
        raise ValidationFailed(
            _l("The classification must be a SIA code or <organ>_PRO_<id>, got %(value)s.", value=value),
            field="classification",
        )
    return value


def _clean_unit(value: str | None) -> str | None:
    return clean_text(value, 200, "responsible_unit",
                      too_long_message=_l("The responsible unit is too long (at most 200 characters)."))


def _process_model(ctx: Context, process_model_id: int | None) -> ProcessModel | None:
    """A process model of the tenant or a shared one; another tenant's model is not found."""
    if process_model_id is None:
        return None
    model = db.session.get(ProcessModel, process_model_id)
    if model is None or model.tenant_id not in (None, ctx.tenant_id):
        raise NotFound(_l("Not found."), field="process_model_id")
    return model


# -- services -------------------------------------------------------------------------------


def open_expedient(
    ctx: Context,
    subject: str,
    process_model_id: int | None = None,
    classification: str | None = None,
    party_ids: Iterable[int] = (),
    responsible_unit: str | None = None,
    opened_at: datetime | None = None,
) -> Expedient:
    """Open an expedient: its gapless number and ENI identifier are allocated in this transaction.

    The caller commits; a rollback gives the number back. Parties are linked as interessats
    (with their representatives, if any). The year is that of the opening date in Catalonia.
    """
    require_role(ctx, OPENERS)
    clean_subject = _clean_subject(subject)
    model = _process_model(ctx, process_model_id)
    parties = [get_owned(Party, ctx, pid) for pid in dict.fromkeys(party_ids)]
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    clean_classification = _clean_classification(classification) or _clean_classification(
        eni_classification(model.classification, tenant.dir3) if model else None)
    moment = as_utc(opened_at) or utcnow()
    year = local_date(moment).year
    # Lock the tenant's audit chain before the counter: a transaction that audited something
    # earlier (e.g. created a party) already holds it, so both orders agree and cannot deadlock.
    hold_chain(ctx.tenant_id)
    seq = next_number(ctx.tenant_id, SERIES, year)
    expedient = Expedient(
        tenant_id=ctx.tenant_id,
        year=year,
        seq=seq,
        number=format_number(year, seq),
        eni_id=eni_identifier(tenant.dir3, year, seq),
        subject=clean_subject,
        process_model_id=model.id if model else None,
        classification=clean_classification,
        responsible_unit=_clean_unit(responsible_unit),
        state=ExpedientState.OPEN.value,
        opened_at=moment,
        opened_by_id=ctx.user_id,
    )
    db.session.add(expedient)
    db.session.flush()
    after = {**expedient.summary(), "opened_at": moment.isoformat(), "parties": [p.nif for p in parties]}
    record(ctx, "expedient.opened", "expedient", expedient.id, expedient_id=expedient.id, after=after)
    for party in parties:
        _add_link(ctx, expedient, party, PartyRole.INTERESSAT)
        if party.representative_id is not None:
            _add_link(ctx, expedient, get_owned(Party, ctx, party.representative_id), PartyRole.REPRESENTANT)
    publish(Event.EXPEDIENT_OPENED, ctx=ctx, expedient_id=expedient.id)
    return expedient


def get_expedient(ctx: Context, expedient_id: int) -> Expedient:
    return get_owned(Expedient, ctx, expedient_id)


def find_by_number(ctx: Context, number: str) -> Expedient:
    """The expedient numbered ``2026/000123`` (``2026/123`` too), or :class:`NotFound`."""
    match = _NUMBER.fullmatch(number or "")
    if match is None:
        raise NotFound(_l("No expedient numbered %(number)s.", number=number))
    stmt = scoped(Expedient, ctx).where(Expedient.year == int(match[1]), Expedient.seq == int(match[2]))
    expedient = db.session.execute(stmt).scalar_one_or_none()
    if expedient is None:
        raise NotFound(_l("No expedient numbered %(number)s.", number=number))
    return expedient


#: An expedient number as GEE writes it: year, slash, six-digit sequence.
WHOLE_NUMBER = re.compile(r"\d{4}/\d{6}")
#: What may be part of an expedient number (:func:`format_number` writes them all): digits and slashes.
NUMBER_PART = re.compile(r"[0-9/]+")


def matching_ids(ctx: Context, term: str) -> Any:
    """The ids of the tenant's expedients whose number or subject contains ``term``, or with a party
    whose NIF or name does (``term`` already tidied, not empty). A union of three selects, so each
    can use its own index (GIN trigram on PostgreSQL, migration 0018) instead of one scan testing
    every row against an OR."""
    like = like_contains(term)
    # A whole number ("2026/000123") is looked up in the unique index: its trigrams are those of
    # every number of the year, which a trigram index cannot narrow down.
    whole = WHOLE_NUMBER.fullmatch(term)
    number = Expedient.number == term if whole else Expedient.number.contains(term, autoescape=True)
    by_number = select(Expedient.id).where(Expedient.tenant_id == ctx.tenant_id, number)
    by_subject = select(Expedient.id).where(Expedient.tenant_id == ctx.tenant_id,
                                            Expedient.subject.ilike(like, escape="\\"))  # fmt: skip
    by_party = (
        select(ExpedientParty.expedient_id)
        .join(Party, Party.id == ExpedientParty.party_id)
        .where(
            ExpedientParty.tenant_id == ctx.tenant_id,
            Party.tenant_id == ctx.tenant_id,  # scanned per tenant, not across the province's parties
            party_matches(term),
        )
    )
    if not NUMBER_PART.fullmatch(term):  # a name or a word: no number contains it, skip its index
        return union(by_subject, by_party)
    return union(by_number, by_subject, by_party)


def expedient_matches(ctx: Context, term: str) -> Any:
    """A condition on :class:`Expedient`: it is one of :func:`matching_ids`."""
    return Expedient.id.in_(matching_ids(ctx, term))


def relate(ctx: Context, expedient_id: int, other_id: int) -> None:
    """Relate two expedients of the tenant, both ways (idempotent; closed ones may be related too)."""
    require_role(ctx, OPENERS)
    one, other = get_owned(Expedient, ctx, expedient_id), get_owned(Expedient, ctx, other_id)
    if one.id == other.id:
        raise ValidationFailed(_l("An expedient cannot be related to itself."), field="related_id")
    if other in one.related:
        return
    db.session.execute(
        insert(expedient_relations),
        [{"expedient_id": one.id, "related_id": other.id}, {"expedient_id": other.id, "related_id": one.id}],
    )
    db.session.expire(one, ["related"])
    db.session.expire(other, ["related"])
    for a, b in ((one, other), (other, one)):
        record(ctx, "expedient.related", "expedient", a.id, expedient_id=a.id,
               after={"related_id": b.id, "related_number": b.number}, note=b.number)  # the history names it


def typed_number(ctx: Context, number: str, *, field: str = "number", missing: Any = None) -> Expedient:
    """The expedient a person names in a form by its number (``2026/000012``).

    An empty or unknown number is the form's mistake (a :class:`ValidationFailed` on ``field``,
    ``missing`` when empty), not a missing page; another municipality's numbers are unknown here too."""
    wanted = " ".join((number or "").split())
    if not wanted:
        raise ValidationFailed(missing or _l("Give the expedient's number, e.g. 2026/000012."), field=field)
    try:
        return find_by_number(ctx, wanted)
    except NotFound as err:
        raise ValidationFailed(err.message, field=field) from None


def relate_by_number(ctx: Context, expedient_id: int, number: str) -> Expedient:
    """Relate an open expedient to the one a clerk names by its number; answer that one."""
    ensure_open(get_owned(Expedient, ctx, expedient_id))
    other = typed_number(ctx, number, missing=_l("Give the number of the expedient to relate, e.g. 2026/000012."))
    relate(ctx, expedient_id, other.id)
    return other


def numbers_of(ctx: Context, expedient_ids: Iterable[int | None]) -> dict[int, str]:
    """Expedient id -> number for the tenant's expedients among ``expedient_ids``, in one query."""
    ids = {eid for eid in expedient_ids if eid is not None}
    if not ids:
        return {}
    stmt = scoped(Expedient, ctx).where(Expedient.id.in_(ids)).with_only_columns(Expedient.id, Expedient.number)
    return {row.id: row.number for row in db.session.execute(stmt)}


def link_party(ctx: Context, expedient_id: int, party_id: int, role: str = PartyRole.INTERESSAT) -> ExpedientParty:
    """Add a party to an open expedient as interessat or representant (idempotent); audited."""
    require_role(ctx, OPENERS)
    if role not in tuple(PartyRole):
        raise ValidationFailed(_l("The role must be interessat or representant."), field="role")
    expedient = get_owned(Expedient, ctx, expedient_id)
    ensure_open(expedient)
    party = get_owned(Party, ctx, party_id)
    return _add_link(ctx, expedient, party, PartyRole(role))


def _add_link(ctx: Context, expedient: Expedient, party: Party, role: PartyRole) -> ExpedientParty:
    existing = db.session.execute(
        scoped(ExpedientParty, ctx).where(
            ExpedientParty.expedient_id == expedient.id,
            ExpedientParty.party_id == party.id,
            ExpedientParty.role == role.value,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    link = ExpedientParty(tenant_id=ctx.tenant_id, expedient_id=expedient.id, party_id=party.id, role=role.value)
    db.session.add(link)
    db.session.flush()
    record(ctx, "expedient.party_added", "expedient", expedient.id, expedient_id=expedient.id,
           after={"party_id": party.id, "nif": party.nif, "role": role.value})
    return link


def parties_of(ctx: Context, expedient_id: int) -> list[ExpedientParty]:
    """The parties of an expedient with their roles, in the order they were added."""
    expedient = get_owned(Expedient, ctx, expedient_id)
    stmt = scoped(ExpedientParty, ctx).where(ExpedientParty.expedient_id == expedient.id).order_by(ExpedientParty.id)
    return list(db.session.execute(stmt).scalars())


def mark_index_closed_for_remission(ctx: Context, expedient_id: int) -> Expedient:
    """A closed expedient's index is closed for sending to another body or the archive (E03)."""
    require_role(ctx, REOPENERS)
    expedient = get_owned(Expedient, ctx, expedient_id, for_update=True)
    if expedient.state != ExpedientState.CLOSED:
        raise Conflict(_l("Only a closed expedient can have its index closed for remission."))
    before = expedient.summary()
    expedient.state = ExpedientState.INDEX_CLOSED_FOR_REMISSION.value
    db.session.flush()
    record(ctx, "expedient.index_closed", "expedient", expedient.id, expedient_id=expedient.id, before=before,
           after=expedient.summary())
    return expedient


def reopen_expedient(ctx: Context, expedient_id: int, reason: str) -> Expedient:
    """Reopen a closed expedient (back to E01): an exceptional act, audited, with a mandatory reason."""
    require_role(ctx, REOPENERS)
    clean_reason = " ".join((reason or "").split())
    if len(clean_reason) < 5:
        raise ValidationFailed(_l("Give the reason for reopening the expedient."), field="reason")
    expedient = get_owned(Expedient, ctx, expedient_id, for_update=True)
    if expedient.is_open:
        raise Conflict(_l("Expedient %(number)s is already open.", number=expedient.number))
    before = {**expedient.summary(), "index": expedient.closing_index}
    db.session.add(
        ExpedientReopening(
            tenant_id=ctx.tenant_id,
            expedient_id=expedient.id,
            user_id=ctx.user_id,
            reason=clean_reason,
            previous_state=expedient.state,
            previous_closed_at=expedient.closed_at,
            previous_index=expedient.closing_index,
        )
    )
    expedient.state = ExpedientState.OPEN.value
    expedient.closed_at = None
    expedient.closing_index = None
    db.session.flush()
    record(ctx, "expedient.reopened", "expedient", expedient.id, expedient_id=expedient.id, before=before,
           after=expedient.summary(), note=clean_reason)
    return expedient
