"""Tenant, user and membership records."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.base.clock import utcnow
from engine.base.db import db
from engine.base.i18n import _l


class Role(StrEnum):
    TRAMITADOR = "tramitador"
    TECNIC = "tecnic"
    SECRETARI = "secretari"
    ALCALDE = "alcalde"
    DISSENYADOR = "dissenyador"
    ADMIN = "admin"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)

ROLE_LABELS = {
    Role.TRAMITADOR.value: _l("Clerk (tramitador)"),
    Role.TECNIC.value: _l("Technician"),
    Role.SECRETARI.value: _l("Secretary"),
    Role.ALCALDE.value: _l("Mayor"),
    Role.DISSENYADOR.value: _l("Process designer"),
    Role.ADMIN.value: _l("Administrator"),
}


def role_label(role: str) -> str:
    """A role code as people call it, in the current language."""
    return str(ROLE_LABELS.get(role, role))


class Tenant(db.Model):  # type: ignore[name-defined]
    """An ens local (ajuntament, EMD) or the provincial service that hosts them."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="ajuntament")  # ajuntament | emd | provincial
    dir3: Mapped[str] = mapped_column(String(21))
    ine_code: Mapped[str | None] = mapped_column(String(6))
    comarca: Mapped[str | None] = mapped_column(String(100))
    aran: Mapped[bool] = mapped_column(Boolean, default=False)
    #: {"2026": ["2026-05-11", "2026-09-08"], ...} — two local holidays a year, published yearly.
    local_holidays: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    logo_document_id: Mapped[int | None] = mapped_column(Integer)
    #: {"alcalde": user_id, "secretari": user_id}
    signing_officers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The municipality's act creating its CSV system (RegulacionGeneracionCSV of the ENI), e.g.
    #: "Decret d'alcaldia 15/2026, de 3 de febrer, de creació del sistema de codi segur de verificació".
    csv_regulation: Mapped[str | None] = mapped_column(String(500))
    #: The language its e-office, transparency portal and notice board speak unless the reader
    #: chose another, and the one the documents it sends are written in by default.
    default_locale: Mapped[str] = mapped_column(String(5), default="ca", server_default="ca")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def holiday_dates(self) -> list[str]:
        """All configured local holidays as ISO dates, every year flattened."""
        return sorted(d for days in (self.local_holidays or {}).values() for d in days)


class User(db.Model):  # type: ignore[name-defined]
    """A person who logs in; may hold roles in several tenants."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(5), default="ca")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Bumped by logout, a password change or a deactivation: every older session cookie stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The last successful password login (the platform view counts users active in the last 30 days).
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def roles_in(self, tenant_id: int) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships if m.tenant_id == tenant_id)

    def tenant_ids(self) -> list[int]:
        return sorted({m.tenant_id for m in self.memberships})


class Membership(db.Model):  # type: ignore[name-defined]
    """One role of one user in one tenant."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="memberships")
    tenant: Mapped[Tenant] = relationship()
