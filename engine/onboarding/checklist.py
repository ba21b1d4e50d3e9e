"""The welcome checklist of a new tenant's administrator.

Every item is read from the records, never ticked by hand: it is done when the thing is really
there (this year's local holidays, both signing officers, the seal certificate, the logo, a
colleague besides the administrator).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from engine.base.clock import local_date, utcnow
from engine.base.db import db
from engine.base.i18n import _l
from engine.signatures.credentials import seal_of
from engine.tenancy.admin import LOCAL_HOLIDAYS_PER_YEAR, SIGNING_OFFICES, TenantKind
from engine.tenancy.models import Membership, Tenant, User


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    hint: str
    done: bool


@dataclass(frozen=True)
class Checklist:
    items: list[ChecklistItem]

    @property
    def complete(self) -> bool:
        return all(item.done for item in self.items)

    @property
    def done_count(self) -> int:
        return sum(1 for item in self.items if item.done)


def _other_users(tenant_id: int) -> int:
    return int(db.session.scalar(
        select(func.count(func.distinct(Membership.user_id)))
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id, User.active.is_(True))
    ) or 0) - 1


def _holidays_set(tenant: Tenant, year: str) -> bool:
    """An ajuntament has its two local holidays; another body at least the one it keeps."""
    wanted = LOCAL_HOLIDAYS_PER_YEAR if tenant.kind == TenantKind.AJUNTAMENT else 1
    return len((tenant.local_holidays or {}).get(year, [])) >= wanted


def welcome_checklist(tenant: Tenant, today: date | None = None) -> Checklist:
    """What a tenant still has to set up, each item checked against the records."""
    year = str((today or local_date(utcnow())).year)
    officers = tenant.signing_officers or {}
    items = [
        ChecklistItem("holidays", str(_l("Local holidays of %(year)s", year=year)),
                      str(_l("The two local holidays published for this year.")),
                      _holidays_set(tenant, year)),
        ChecklistItem("officers", str(_l("Signing officers")),
                      str(_l("Who signs as mayor and as secretary.")),
                      all(officers.get(office.value) for office in SIGNING_OFFICES)),
        ChecklistItem("seal", str(_l("Seal certificate")),
                      str(_l("The municipality's seal, which signs automated acts.")),
                      seal_of(tenant.id) is not None),
        ChecklistItem("logo", str(_l("Logo")), str(_l("Printed on every document.")),
                      tenant.logo_document_id is not None),
        ChecklistItem("users", str(_l("Users")), str(_l("At least one colleague besides you, with their roles.")),
                      _other_users(tenant.id) >= 1),
    ]  # fmt: skip
    return Checklist(items)
