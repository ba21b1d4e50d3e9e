"""Documents and links staff publish on the transparency portal (budget, ordinances, contracts,
pay of officers...), each from a publication date until it is withdrawn. Withdrawn entries are
kept, with who and why in the audit trail: nothing published is deleted."""

from __future__ import annotations

from datetime import date
from typing import cast
from urllib.parse import urlsplit

from sqlalchemy import select

from engine.audit import record
from engine.base.clock import local_date, utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, Forbidden, ValidationFailed
from engine.base.i18n import _l
from engine.documents.documents import store_document
from engine.documents.store import sniff_content_type
from engine.tenancy.models import Role
from engine.tenancy.scoping import get_owned, scoped
from engine.transparency.models import Publication
from engine.transparency.sections import UPLOADED

#: Who keeps the portal.
KEEPERS = (Role.SECRETARI.value, Role.ADMIN.value)
SECTION_KEYS = tuple(s.key for s in UPLOADED)


def require_keeper(ctx: Context) -> None:
    if not any(ctx.has_role(role) for role in KEEPERS):
        raise Forbidden(_l("Only the secretary or an administrator keeps the transparency portal."))


#: The earliest publication date accepted: an earlier one is a mistyped year, not a document of the portal.
EARLIEST = date(2000, 1, 1)


def _clean_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc or len(url) > 1000:
        raise ValidationFailed(_l("Give a web address starting with https://."), field="url")
    return url


def _publication_date(published_on: date | None) -> date:
    """The day the entry shows from: today when not given; from 2000 to a year from today."""
    today = local_date(utcnow())
    if published_on is None:
        return today
    if published_on < EARLIEST:
        raise ValidationFailed(_l("The publication date cannot be before 1 January 2000."), field="published_on")
    # The same day next year (28 February for the 29th): farther ahead is most likely a mistyped year.
    leap_day = (today.month, today.day) == (2, 29)
    if published_on > today.replace(year=today.year + 1, day=28 if leap_day else today.day):
        raise ValidationFailed(_l("The publication date cannot be more than a year from today."),
                               field="published_on")
    return published_on


def _pdf(content: bytes) -> None:
    """Refuse a document that is not really a PDF, whatever its name says."""
    try:
        kind = sniff_content_type(content)
    except ValidationFailed:
        kind = None  # a type GEE keeps nowhere: not a PDF either
    if kind != "application/pdf":
        raise ValidationFailed(_l("The document must be a PDF file."), field="file")


def publish(ctx: Context, *, section: str, title: str, published_on: date | None = None,
            url: str | None = None, filename: str | None = None, content: bytes | None = None) -> Publication:
    """Publish a document (a PDF: ``filename`` and ``content``) or a link (``url``, https) in a section,
    shown from ``published_on`` (default today)."""
    require_keeper(ctx)
    if section not in SECTION_KEYS:
        raise ValidationFailed(_l("Choose a section of the portal."), field="section")
    title = " ".join((title or "").split())
    if not title or len(title) > 300:
        raise ValidationFailed(_l("Give a title of at most 300 characters."), field="title")
    url = (url or "").strip() or None
    if (url is None) == (not content):
        raise ValidationFailed(_l("Publish either a document or a link."), field="file")
    url = _clean_url(url) if url else None
    published_on = _publication_date(published_on)
    document_id = None
    if content:
        _pdf(content)
        document_id = store_document(ctx, None, filename or "document.pdf", content, title=title,
                                     tipo_documental="TD08", from_administration=True, author=ctx.username).id
    publication = Publication(tenant_id=ctx.tenant_id, section=section, title=title, document_id=document_id,
                              url=url, published_on=published_on, created_by=ctx.username)
    db.session.add(publication)
    db.session.flush()
    record(ctx, "transparency.published", "transparency_publication", publication.id,
           after={"section": section, "title": title, "document_id": document_id, "url": publication.url,
                  "published_on": publication.published_on.isoformat()})
    return publication


def withdraw(ctx: Context, publication_id: int, reason: str) -> Publication:
    """Take an entry off the portal; it is kept, marked withdrawn, with the reason."""
    require_keeper(ctx)
    publication = get_owned(Publication, ctx, publication_id, for_update=True)
    if publication.withdrawn_at is not None:
        raise Conflict(_l("This entry is already withdrawn."))
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 500:
        raise ValidationFailed(_l("Say why it is withdrawn (at most 500 characters)."), field="reason")
    publication.withdrawn_at, publication.withdrawn_reason = utcnow(), reason
    db.session.flush()
    record(ctx, "transparency.withdrawn", "transparency_publication", publication.id,
           after={"section": publication.section, "title": publication.title, "reason": reason})
    return publication


def all_publications(ctx: Context) -> list[Publication]:
    """Every entry of the tenant, withdrawn ones too, newest first (the staff page)."""
    stmt = scoped(Publication, ctx).order_by(Publication.published_on.desc(), Publication.id.desc())
    return cast(list[Publication], list(db.session.execute(stmt).scalars()))


def published(tenant_id: int, section: str, today: date) -> list[Publication]:
    """What the public sees in a section today: published on or before today and not withdrawn."""
    stmt = select(Publication).where(Publication.tenant_id == tenant_id, Publication.section == section,
                                     Publication.published_on <= today, Publication.withdrawn_at.is_(None))
    return list(db.session.execute(stmt.order_by(Publication.published_on.desc(), Publication.id.desc())).scalars())


def public_publication(tenant_id: int, publication_id: int, today: date) -> Publication | None:
    """One entry the public may open today, or None."""
    found = db.session.get(Publication, publication_id)
    if found is None or found.tenant_id != tenant_id or found.withdrawn_at is not None or found.published_on > today:
        return None
    return found
