"""What staff publish on the transparency portal by hand: a document or a link in a section."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.base.clock import utcnow
from engine.base.db import db


class Publication(db.Model):  # type: ignore[name-defined]
    __tablename__ = "transparency_publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    #: One of :data:`engine.transparency.sections.UPLOADED`.
    section: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(300))
    #: Either a document kept in GEE or an external link (https).
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    url: Mapped[str | None] = mapped_column(String(1000))
    #: Shown from this day (Spain's calendar day).
    published_on: Mapped[date] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
