"""A power (apoderament): a grantor (poderdant) lets a representative act for them before the
municipality, for every procedure or for named ones, between two dates, until revoked."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.base.clock import utcnow
from engine.base.db import db


class PowerScope(StrEnum):
    ALL = "all"
    PROCEDURES = "procedures"


class PowerOrigin(StrEnum):
    #: Granted by the grantor, identified, in the e-office.
    APUD_ACTA = "apud_acta"
    #: Registered by staff from a signed document kept in the document store.
    DOCUMENT = "document"


class PowerState(StrEnum):
    VALID = "valid"
    PENDING = "pending"  # valid_from still ahead
    EXPIRED = "expired"
    REVOKED = "revoked"


class Power(db.Model):  # type: ignore[name-defined]
    __tablename__ = "powers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    grantor_nif: Mapped[str] = mapped_column(String(9), index=True)
    grantor_name: Mapped[str] = mapped_column(String(300))
    representative_nif: Mapped[str] = mapped_column(String(9), index=True)
    representative_name: Mapped[str] = mapped_column(String(300))
    scope: Mapped[str] = mapped_column(String(12))
    #: Process model keys the power covers when ``scope`` is ``procedures``.
    procedures: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(12))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(80))
    revocation_reason: Mapped[str | None] = mapped_column(Text)

    def state_on(self, day: date) -> PowerState:
        if self.revoked_at is not None:
            return PowerState.REVOKED
        if day > self.valid_until:
            return PowerState.EXPIRED
        if day < self.valid_from:
            return PowerState.PENDING
        return PowerState.VALID

    def summary(self) -> dict[str, Any]:
        return {
            "grantor_nif": self.grantor_nif,
            "grantor_name": self.grantor_name,
            "representative_nif": self.representative_nif,
            "representative_name": self.representative_name,
            "scope": self.scope,
            "procedures": list(self.procedures or []),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "origin": self.origin,
            "document_id": self.document_id,
        }


class PowerExpedient(db.Model):  # type: ignore[name-defined]
    """Staff accredited the representation in this expedient with this power: the power covers
    the expedient whatever its scope of procedures."""

    __tablename__ = "power_expedients"
    __table_args__ = (UniqueConstraint("power_id", "expedient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    power_id: Mapped[int] = mapped_column(ForeignKey("powers.id"), index=True)
    expedient_id: Mapped[int] = mapped_column(ForeignKey("expedients.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    linked_by: Mapped[str] = mapped_column(String(80))
