"""Publishing edicts from an expedient, and what the public notice board shows.

An edict is published with its text, some documents of its expedient and an exposure period
(start and end dates, or a number of working days counted from the day after the start, Ley
39/2015 art. 30.2: one or the other, never both). It is never edited: to correct one, withdraw it
and publish another. The public page lists, per tenant, the edicts exposed today, with search and a
JSON feed; each is shown only if its content still matches the digest taken at publication.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any, cast

from sqlalchemy import or_, select

from engine.audit import record
from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, ValidationFailed
from engine.base.i18n import _l
from engine.base.text import clean_text
from engine.calendar import TenantCalendar
from engine.documents.documents import Document, list_documents
from engine.expedients.expedients import Expedient, ensure_open
from engine.noticeboard.models import Edict
from engine.registry.entries import RECEIPT_TIPO
from engine.tenancy.models import Role, Tenant
from engine.tenancy.scoping import get_owned, scoped

PUBLISHERS = (Role.SECRETARI.value, Role.TRAMITADOR.value, Role.ALCALDE.value, Role.ADMIN.value)
#: The longest title (the column's size) and text an edict is published with.
TITLE_LIMIT, TEXT_LIMIT = 300, 20_000


def _documents(ctx: Context, expedient_id: int, document_ids: list[int]) -> list[Document]:
    docs = [get_owned(Document, ctx, doc_id) for doc_id in dict.fromkeys(document_ids)]
    if any(d.expedient_id != expedient_id for d in docs):
        raise ValidationFailed(_l("The document does not belong to this expedient."), field="document_ids")
    return docs


def content_digest(edict: Edict, documents: list[Document]) -> str:
    """The digest of what was published: any change to the text, the documents or the period shows."""
    content = {"title": edict.title, "text": edict.text, "starts_on": edict.starts_on.isoformat(),
               "ends_on": edict.ends_on.isoformat(), "documents": [(d.id, d.sha256) for d in documents]}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def calendar_of(tenant_id: int) -> TenantCalendar:
    tenant = db.session.get(Tenant, tenant_id)
    return TenantCalendar.for_tenant(tenant) if tenant is not None else TenantCalendar()


def publish(ctx: Context, expedient_id: int, *, title: str, text: str, starts_on: date,
            ends_on: date | None = None, working_days: int | None = None,
            document_ids: list[int] | None = None, public_information: bool = False) -> Edict:
    """Publish an edict of an open expedient; ``working_days`` computes the end on the tenant's calendar;
    a ``public_information`` edict takes allegations from the e-office while it is exposed."""
    if not any(ctx.has_role(r) for r in PUBLISHERS):
        raise Forbidden(_l("You cannot publish on the notice board."))
    ensure_open(get_owned(Expedient, ctx, expedient_id))
    title = clean_text(title, TITLE_LIMIT, "title", required=True, required_message=_l("This field is required."),
                       too_long_message=_l("Give a title of at most 300 characters."))
    # A browser sends a textarea's line ends as CRLF: counted as one character, as the person sees them.
    text = clean_text((text or "").replace("\r\n", "\n"), TEXT_LIMIT, "text", required=True, collapse=False,
                      required_message=_l("This field is required."),
                      too_long_message=_l("Give a text of at most 20,000 characters."))
    if starts_on < local_date(utcnow()):
        raise ValidationFailed(_l("The exposure cannot start in the past."), field="starts_on")
    if working_days is not None and ends_on is not None:
        raise ValidationFailed(_l("Give the last day or the working days, not both."), field="working_days")
    if working_days is None and ends_on is None:
        raise ValidationFailed(_l("Give the last day of the exposure or how many working days it lasts."),
                               field="ends_on")
    if working_days is not None:
        if not 1 <= working_days <= 365:
            raise ValidationFailed(_l("The exposure lasts between 1 and 365 working days."), field="working_days")
        ends_on = calendar_of(ctx.tenant_id).add_working_days(starts_on, working_days)
    if ends_on is None or ends_on < starts_on:
        raise ValidationFailed(_l("The exposure must end on or after its first day."), field="ends_on")
    docs = _documents(ctx, expedient_id, document_ids or [])
    edict = Edict(tenant_id=ctx.tenant_id, expedient_id=expedient_id, title=title, text=text,
                  document_ids=[d.id for d in docs], starts_on=starts_on, ends_on=ends_on,
                  published_at=utcnow(), published_by=ctx.username, digest="",
                  public_information=public_information)
    edict.digest = content_digest(edict, docs)
    db.session.add(edict)
    db.session.flush()
    record(ctx, "edict.published", "edict", edict.id, expedient_id=expedient_id, after=edict.summary())
    return edict


def withdraw(ctx: Context, edict_id: int, reason: str) -> Edict:
    """Take an edict off the board before its end (the reason is kept); it is never deleted."""
    if not any(ctx.has_role(r) for r in PUBLISHERS):
        raise Forbidden(_l("You cannot publish on the notice board."))
    edict = get_owned(Edict, ctx, edict_id, for_update=True)
    if edict.withdrawn_at is not None or edict.ends_on < local_date(utcnow()):
        raise Conflict(_l("This edict is no longer on the board."))
    clean = " ".join((reason or "").split())
    if len(clean) < 5:
        raise ValidationFailed(_l("Say why it is withdrawn."), field="reason")
    edict.withdrawn_at, edict.withdrawal_reason = utcnow(), clean
    db.session.flush()
    record(ctx, "edict.withdrawn", "edict", edict.id, expedient_id=edict.expedient_id, after=edict.summary())
    return edict


def intact(edict: Edict) -> bool:
    """Whether the edict still shows exactly what was published."""
    docs = [db.session.get(Document, doc_id) for doc_id in edict.document_ids]
    return all(d is not None for d in docs) and content_digest(edict, cast(list[Document], docs)) == edict.digest


def published_documents(edict: Edict) -> list[Document]:
    """The documents an edict carries, in the order it was published with (what the public page lists
    by title and CSV); one gone since is left out, though :func:`exposed` shows no such edict."""
    docs = [db.session.get(Document, doc_id) for doc_id in edict.document_ids]
    return [d for d in docs if d is not None]


def publishable_documents(ctx: Context, expedient_id: int) -> list[Document]:
    """What an edict of the expedient may carry to the public board: its issued documents (with
    their CSV), latest versions, in the order they were added; never a registry receipt, which
    names the person who filed."""
    return [doc for doc in list_documents(ctx, expedient_id) if doc.issued and doc.tipo_documental != RECEIPT_TIPO]


def edicts_of(ctx: Context) -> list[Edict]:
    stmt = scoped(Edict, ctx).order_by(Edict.starts_on.desc(), Edict.id.desc())
    return cast(list[Edict], list(db.session.execute(stmt).scalars()))


def get_edict(ctx: Context, edict_id: int) -> Edict:
    return get_owned(Edict, ctx, edict_id)


def exposed(tenant_id: int, today: date, query: str = "") -> list[Edict]:
    """The public board of a tenant on ``today``: edicts in their period, not withdrawn, intact."""
    stmt = select(Edict).where(Edict.tenant_id == tenant_id, Edict.starts_on <= today, Edict.ends_on >= today,
                               Edict.withdrawn_at.is_(None), Edict.closed_at.is_(None))
    words = [w for w in (query or "").split() if w][:5]
    for word in words:
        pattern = f"%{word[:50]}%"
        stmt = stmt.where(or_(Edict.title.ilike(pattern), Edict.text.ilike(pattern)))
    rows = db.session.execute(stmt.order_by(Edict.starts_on.desc(), Edict.id.desc())).scalars()
    return [e for e in rows if intact(e)]


def public_edict(tenant_id: int, edict_id: int, today: date) -> Edict | None:
    return next((e for e in exposed(tenant_id, today) if e.id == edict_id), None)


def feed_entry(edict: Edict) -> dict[str, Any]:
    return {"id": edict.id, "title": edict.title, "text": edict.text, "starts_on": edict.starts_on.isoformat(),
            "ends_on": edict.ends_on.isoformat(), "digest": edict.digest, "documents": edict.document_ids}
