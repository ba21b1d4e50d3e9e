"""An edict on the notice board. Nothing in it changes once published: its content digest is kept
and checked whenever it is shown; only its withdrawal its diligència and the end of its exposure are added later."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.base.clock import as_utc, utcnow
from engine.base.db import db


class Edict(db.Model):  # type: ignore[name-defined]
    __tablename__ = "edicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    expedient_id: Mapped[int] = mapped_column(ForeignKey("expedients.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    #: The expedient's documents published with the edict (ids of the issued versions).
    document_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
    #: SHA-256 of the published content (title, text, documents' digests, period).
    digest: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    diligence_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    #: A public information (Ley 39/2015 art. 83): anyone may file allegations while it is exposed.
    public_information: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When the scheduler took it off the board because its last day had passed.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "published_at": as_utc(self.published_at),
            "digest": self.digest,
            "withdrawn_at": as_utc(self.withdrawn_at),
        }


class Allegation(db.Model):  # type: ignore[name-defined]
    """An allegation filed against an edict of public information: its registry entry, and whether it
    came in after the term (it is kept and listed, marked late)."""

    __tablename__ = "edict_allegations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    edict_id: Mapped[int] = mapped_column(ForeignKey("edicts.id"), index=True)
    registry_entry_id: Mapped[int] = mapped_column(ForeignKey("registry_entries.id"))
    name: Mapped[str] = mapped_column(String(300))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
