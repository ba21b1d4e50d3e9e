"""The decree book (llibre de resolucions, RD 128/2018): the alcalde's decrees, numbered on signature.

A draft has no number. Signing (role alcalde) gives it the next number of its tenant and
year — ``DEC/2026/0001`` — inside the signing transaction, so two decrees signed at the same
instant get consecutive numbers and a failed signature gives its number back. The secretary
then attests it (fe pública). A signed decree is never edited or deleted: annulment keeps the
number and shows the reason. Who signed and attested, and when, is kept here; the
cryptographic signature comes with the signature module.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from engine.audit import record
from engine.audit.trail import hold_chain
from engine.base.clock import as_utc, local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.base.events import Event, publish
from engine.base.i18n import _l
from engine.base.keyset import PAGE_LIMIT, KeysetPage, keyset_page
from engine.base.numbering import next_number
from engine.decrees.search import fold, folded
from engine.documents.pdf import render_pdf
from engine.expedients.expedients import Expedient, ensure_open
from engine.tenancy.models import Role, Tenant, User, role_label
from engine.tenancy.scoping import get_owned, scoped

SERIES = "decree"


class DecreeStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    ANNULLED = "annulled"


class Decree(db.Model):  # type: ignore[name-defined]
    __tablename__ = "decrees"
    __table_args__ = (
        UniqueConstraint("tenant_id", "year", "seq"),
        UniqueConstraint("tenant_id", "number"),
        # The municipality's list, newest first, a page at a time (engine.base.keyset.keyset_page's ``tenant``).
        Index("ix_decrees_tenant_id_id", "tenant_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    expedient_id: Mapped[int | None] = mapped_column(ForeignKey("expedients.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=DecreeStatus.DRAFT.value)
    #: Set on signature: year, sequence and the printed number "DEC/2026/0001".
    year: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_by_name: Mapped[str | None] = mapped_column(String(200))
    attested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    attested_by_name: Mapped[str | None] = mapped_column(String(200))
    annulled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    annulled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    annulled_by_name: Mapped[str | None] = mapped_column(String(200))
    annulment_reason: Mapped[str | None] = mapped_column(Text)

    #: Read by the book (page and PDF), which loads it with its decrees in one more query.
    expedient: Mapped[Expedient | None] = relationship()

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "expedient_id": self.expedient_id,
            "title": self.title,
            "status": self.status,
            "number": self.number,
            "signed_at": as_utc(self.signed_at),
            "signed_by": self.signed_by_name,
            "attested_at": as_utc(self.attested_at),
            "attested_by": self.attested_by_name,
            "annulled_at": as_utc(self.annulled_at),
            "annulment_reason": self.annulment_reason,
        }


def format_number(year: int, seq: int) -> str:
    return f"DEC/{year}/{seq:04d}"


def _text(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(_l("This field is required."), field=field)
    return value


def _require_role(ctx: Context, *roles: Role) -> None:
    if not any(ctx.has_role(role) for role in roles):
        raise Forbidden(_l("This needs the role: %(roles)s.", roles=" / ".join(role_label(r) for r in roles)))


def _expedient_open(ctx: Context, expedient_id: int | None) -> None:
    if expedient_id is not None:
        ensure_open(get_owned(Expedient, ctx, expedient_id))


def _actor_name(ctx: Context) -> str:
    """The acting person's full name, as the book prints it."""
    user = db.session.get(User, ctx.user_id) if ctx.user_id is not None else None
    return user.full_name if user is not None else ctx.username


def _locked(ctx: Context, decree_id: int) -> Decree:
    return get_owned(Decree, ctx, decree_id, for_update=True)


# -- services -------------------------------------------------------------------------------


def create_draft(ctx: Context, *, title: str, text: str, expedient_id: int | None = None) -> Decree:
    """A draft resolution: editable, without a number."""
    _expedient_open(ctx, expedient_id)
    decree = Decree(
        tenant_id=ctx.tenant_id,
        expedient_id=expedient_id,
        title=_text(title, "title"),
        text=_text(text, "text"),
        status=DecreeStatus.DRAFT.value,
        created_by_id=ctx.user_id,
    )
    db.session.add(decree)
    db.session.flush()
    record(ctx, "decree.drafted", "decree", decree.id, expedient_id=expedient_id, after=decree.summary())
    return decree


def sign_decree(ctx: Context, decree_id: int) -> Decree:
    """The alcalde signs: the decree takes the next number of its tenant and year."""
    _require_role(ctx, Role.ALCALDE)
    decree = _locked(ctx, decree_id)
    if decree.status != DecreeStatus.DRAFT:
        raise Conflict(_l("Decree %(number)s is already signed.", number=decree.number))
    _expedient_open(ctx, decree.expedient_id)
    signed_at = utcnow()
    year = local_date(signed_at).year
    hold_chain(ctx.tenant_id)  # audit lock before the counter's, like every numbering transaction
    seq = next_number(ctx.tenant_id, SERIES, year)
    decree.status = DecreeStatus.SIGNED.value
    decree.year, decree.seq, decree.number = year, seq, format_number(year, seq)
    decree.signed_at, decree.signed_by_id, decree.signed_by_name = signed_at, ctx.user_id, _actor_name(ctx)
    db.session.flush()
    record(ctx, "decree.signed", "decree", decree.id, expedient_id=decree.expedient_id, after=decree.summary())
    publish(Event.DECREE_SIGNED, ctx=ctx, decree_id=decree.id)
    return decree


def attest(ctx: Context, decree_id: int) -> Decree:
    """The secretary attests a signed decree (fe pública)."""
    _require_role(ctx, Role.SECRETARI)
    decree = _locked(ctx, decree_id)
    if decree.status != DecreeStatus.SIGNED:
        raise Conflict(_l("Only a signed decree in force can be attested."))
    if decree.attested_at is not None:
        raise Conflict(_l("Decree %(number)s is already attested.", number=decree.number))
    decree.attested_at, decree.attested_by_id, decree.attested_by_name = utcnow(), ctx.user_id, _actor_name(ctx)
    db.session.flush()
    record(ctx, "decree.attested", "decree", decree.id, expedient_id=decree.expedient_id,
           after=decree.summary())
    return decree


#: Who may annul a signed decree.
ANNULLERS = (Role.ALCALDE, Role.SECRETARI)


def may_annul(ctx: Context, decree: Decree) -> bool:
    """Whether ``ctx`` may annul ``decree`` now (a signed decree in force, and the role)."""
    return decree.status == DecreeStatus.SIGNED and any(ctx.has_role(role) for role in ANNULLERS)


def annul_decree(ctx: Context, decree_id: int, reason: str) -> Decree:
    """Annul a signed decree: it keeps its number and the book shows why it was annulled."""
    _require_role(ctx, *ANNULLERS)
    reason = _text(reason, "reason")
    decree = _locked(ctx, decree_id)
    if decree.status != DecreeStatus.SIGNED:
        raise Conflict(_l("Only a signed decree in force can be annulled."))
    before = decree.summary()
    decree.status = DecreeStatus.ANNULLED.value
    decree.annulled_at, decree.annulled_by_id, decree.annulled_by_name = utcnow(), ctx.user_id, _actor_name(ctx)
    decree.annulment_reason = reason
    db.session.flush()
    record(ctx, "decree.annulled", "decree", decree.id, expedient_id=decree.expedient_id,
           before=before, after=decree.summary())
    return decree


def get_decree(ctx: Context, decree_id: int) -> Decree:
    return get_owned(Decree, ctx, decree_id)


def book(ctx: Context, year: int, q: str = "") -> list[Decree]:
    """The numbered decrees of a year, in number order (annulled ones included); ``q``: those whose
    number, title or expedient (its number or subject) contains it, whatever the accents and the case
    ("ceramica" finds "Ceràmica"). A year's book is read whole anyway (the page lists it all), so the
    words are compared here, the same on SQLite and PostgreSQL, rather than by each database's collation."""
    stmt = (scoped(Decree, ctx).where(Decree.year == year, Decree.seq.is_not(None)).order_by(Decree.seq)
            .options(selectinload(Decree.expedient)))  # fmt: skip
    decrees = cast(list[Decree], list(db.session.execute(stmt).scalars()))
    term = folded(q)
    if not term:
        return decrees
    return [d for d in decrees if any(term in folded(text) for text in _searched(d))]


#: What the search of the book and of the API looks in: the decree's number and title, its expedient's
#: number and subject (:func:`_searched` reads the same of a decree loaded).
SEARCHED = (Decree.number, Decree.title, Expedient.number, Expedient.subject)


def _searched(decree: Decree) -> list[str]:
    """:data:`SEARCHED` of ``decree``."""
    texts = [decree.number or "", decree.title]
    if decree.expedient is not None:
        texts += [decree.expedient.number, decree.expedient.subject]
    return texts


def decrees_page(ctx: Context, *, year: int | None = None, status: str | None = None, q: str = "",
                 after: int | None = None, limit: int = PAGE_LIMIT) -> KeysetPage[Decree]:
    """The tenant's decrees (drafts too), newest first, a page at a time: ``year`` of the book (numbered
    ones), ``status`` draft|signed|annulled, ``q`` found as the book's search finds it (:func:`book`): in the
    number, the title or the expedient's number or subject, whatever the accents and the case."""
    stmt = scoped(Decree, ctx)
    if status is not None:
        if status not in tuple(DecreeStatus):
            raise ValidationFailed(_l("The status must be draft, signed or annulled."), field="status")
        stmt = stmt.where(Decree.status == status)
    if year is not None:
        stmt = stmt.where(Decree.year == year)
    term = folded(q)
    if term:
        stmt = stmt.outerjoin(Expedient, Expedient.id == Decree.expedient_id).where(
            or_(*(fold(column).contains(term, autoescape=True) for column in SEARCHED)))
    return keyset_page(stmt, Decree.id, after, limit, tenant=(Decree.tenant_id, ctx.tenant_id))


BOOK_LABELS: dict[str, dict[str, str]] = {
    "ca": {
        "heading": "Llibre de resolucions de l'Alcaldia",
        "index": "Índex",
        "number": "Número",
        "date": "Data",
        "title": "Títol",
        "expedient": "Expedient",
        "signed_by": "Signat per",
        "attested_by": "En dono fe, el secretari/ària",
        "annulled": "ANUL·LAT",
        "annulled_on": "Anul·lat el",
        "reason": "Motiu",
        "empty": "No hi ha cap decret signat aquest any.",
        "page": "Pàgina",
    },
    "es": {
        "heading": "Libro de resoluciones de la Alcaldía",
        "index": "Índice",
        "number": "Número",
        "date": "Fecha",
        "title": "Título",
        "expedient": "Expediente",
        "signed_by": "Firmado por",
        "attested_by": "Doy fe, el secretario/a",
        "annulled": "ANULADO",
        "annulled_on": "Anulado el",
        "reason": "Motivo",
        "empty": "No hay ningún decreto firmado este año.",
        "page": "Página",
    },
}


def export_year_pdf(ctx: Context, year: int, locale: str = "ca") -> bytes:
    """The year's book as a PDF: an index (number, date, title) and then every decree's text."""
    tenant = db.session.get(Tenant, ctx.tenant_id)
    if tenant is None:
        raise NotFound(_l("Not found."))
    decrees = book(ctx, year)
    pdf = render_pdf(
        "decree_book.html",
        tenant=tenant,
        year=year,
        decrees=decrees,
        labels=BOOK_LABELS.get(locale, BOOK_LABELS["ca"]),
        locale=locale,
    )
    record(ctx, "decree.book_exported", "decree_book", year, after={"decrees": len(decrees)})
    return pdf
