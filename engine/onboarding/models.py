"""An import of ens locals from a CSV file, and how far it has gone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.base.clock import utcnow
from engine.base.db import db


class TenantImport(db.Model):  # type: ignore[name-defined]
    """The rows of one uploaded file and the outcome of each row imported so far.

    Each outcome is ``{"line", "name", "status": created | existing | error, "messages",
    "tenant_code", "admin_username"}``; ``line`` is the line number in the file.
    """

    __tablename__ = "tenant_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The provincial service's tenant, whose platform administrator uploaded the file.
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(200))
    #: The language the report is written in (the uploader's).
    locale: Mapped[str] = mapped_column(String(5), default="ca")
    rows: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def done(self) -> int:
        return len(self.outcomes or [])

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes or [] if outcome["status"] == status)
