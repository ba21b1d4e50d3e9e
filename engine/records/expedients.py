"""Expedients (Ley 39/2015, art. 70): the numbered case file behind every resolution.

An expedient gets its number ``AAAA/NNNNNN`` (per tenant and year, without gaps) and its ENI
identifier ``ES_<DIR3>_<AAAA>_EXP_<id>`` inside the transaction that opens it. States follow
the NTI: E01 open, E02 closed, E03 index closed for remission.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import db, utcnow
from engine.errors import ValidationFailed
from engine.i18n import _l

SERIES = "expedient"
ENI_ID_MAX = 52
_ENI_ID = re.compile(r"ES_[A-Z0-9]{1,21}_\d{4}_EXP_[A-Za-z0-9]{1,30}")


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
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    #: "2026/000123"
    number: Mapped[str] = mapped_column(String(20))
    #: ENI Identificador, e.g. "ES_L01259999_2026_EXP_000123"
    eni_id: Mapped[str] = mapped_column(String(ENI_ID_MAX), unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    process_model_id: Mapped[int | None] = mapped_column(ForeignKey("process_models.id"), index=True)
    #: SIA procedure code or "<organ>_PRO_<id>"
    classification: Mapped[str | None] = mapped_column(String(60))
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(3), default=ExpedientState.OPEN.value)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Index computed at closing: [{"order": 1, "document_id": ..., "digest": ..., "algorithm": ...}]
    closing_index: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

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
