"""Administrative units (unitats) of a municipality: Urbanisme, Secretaria, Serveis socials...

A unit has a stable ``code`` (what a process designer writes in ``gee:unit`` and a migration
mapping names) and a ``name`` people read, which may change. Its members are users of the same
tenant. A user task assigned to a unit is offered to every member of the unit; the inbox asks
"is the task's unit one of mine?" with :func:`unit_codes_of`, a subquery, so nothing is loaded
into Python. A deactivated unit keeps its members but no longer offers tasks to them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, Select, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.audit import record
from engine.base.clock import utcnow
from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import Conflict, NotFound, ValidationFailed
from engine.base.i18n import _l
from engine.base.text import clean_text
from engine.tenancy.admin import require_tenant_admin, tenant_user
from engine.tenancy.models import User
from engine.tenancy.scoping import get_owned

#: A unit code: lower-case letters, digits and underscores, starting with a letter.
UNIT_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


class Unit(db.Model):  # type: ignore[name-defined]
    """An administrative unit of one tenant."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UnitMember(db.Model):  # type: ignore[name-defined]
    """A user of the tenant who works in a unit."""

    __tablename__ = "unit_members"
    __table_args__ = (UniqueConstraint("unit_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


def check_unit_code(value: str | None) -> str:
    """A unit code as stored (trimmed, lower case), or ValidationFailed."""
    code = (value or "").strip().lower()
    if not UNIT_CODE.fullmatch(code):
        raise ValidationFailed(_l("The unit code must be lower-case letters, digits or _, starting with a letter "
                                  "(e.g. urbanisme), at most 40 characters."), field="code")
    return code


def _name(value: str | None) -> str:
    return clean_text(value, 200, "name", required=True, required_message=_l("Give the unit a name."),
                      too_long_message=_l("The unit name is too long (at most 200 characters)."))


def unit_codes_of(tenant_id: int, user_id: int | None) -> Select[Any]:
    """The codes of the active units of ``tenant_id`` that ``user_id`` is a member of (a subquery)."""
    return (
        select(Unit.code).join(UnitMember, UnitMember.unit_id == Unit.id)
        .where(Unit.tenant_id == tenant_id, Unit.active.is_(True), UnitMember.tenant_id == tenant_id,
               UnitMember.user_id == user_id)
    )  # fmt: skip


def is_member(tenant_id: int, user_id: int | None, code: str) -> bool:
    """Whether the user works in the tenant's active unit ``code``."""
    found = db.session.execute(unit_codes_of(tenant_id, user_id).where(Unit.code == code).limit(1)).first()
    return found is not None


def find_unit(tenant_id: int, code: str) -> Unit | None:
    """The tenant's unit with this code (active or not), or None."""
    return db.session.execute(
        select(Unit).where(Unit.tenant_id == tenant_id, Unit.code == code.strip().lower())
    ).scalar_one_or_none()


def unit_names(tenant_id: int) -> dict[str, str]:
    """Code -> name of every unit of the tenant (to show "unit: Urbanisme" beside a task)."""
    rows = db.session.execute(select(Unit.code, Unit.name).where(Unit.tenant_id == tenant_id)).all()
    return {code: name for code, name in rows}


def list_units(ctx: Context) -> list[Unit]:
    """The tenant's units, active first, by name."""
    stmt = select(Unit).where(Unit.tenant_id == ctx.tenant_id).order_by(Unit.active.desc(), Unit.name)
    return list(db.session.execute(stmt).scalars())


def get_unit(ctx: Context, unit_id: object) -> Unit:
    return get_owned(Unit, ctx, unit_id)


def members(ctx: Context, unit_id: object) -> list[User]:
    unit = get_unit(ctx, unit_id)
    stmt = (select(User).join(UnitMember, UnitMember.user_id == User.id)
            .where(UnitMember.unit_id == unit.id, UnitMember.tenant_id == ctx.tenant_id).order_by(User.full_name))
    return list(db.session.execute(stmt).scalars())


def member_ids(tenant_id: int, code: str) -> Select[Any]:
    """The ids of the members of the tenant's active unit ``code`` (a subquery)."""
    return (select(UnitMember.user_id).join(Unit, Unit.id == UnitMember.unit_id)
            .where(Unit.tenant_id == tenant_id, Unit.code == code, Unit.active.is_(True)))


def _summary(unit: Unit) -> dict[str, object]:
    return {"code": unit.code, "name": unit.name, "active": unit.active}


def create_unit(ctx: Context, code: str, name: str) -> Unit:
    """A new unit of the tenant (administrators only). Flushes."""
    require_tenant_admin(ctx)
    clean_code, clean_name = check_unit_code(code), _name(name)
    if find_unit(ctx.tenant_id, clean_code) is not None:
        raise Conflict(_l("There is already a unit with code %(code)s.", code=clean_code), field="code")
    unit = Unit(tenant_id=ctx.tenant_id, code=clean_code, name=clean_name, active=True)
    db.session.add(unit)
    db.session.flush()
    record(ctx, "unit.created", "unit", unit.id, after=_summary(unit))
    return unit


def rename_unit(ctx: Context, unit_id: object, name: str) -> Unit:
    """Give a unit a new name; its code (what models and mappings name) stays."""
    require_tenant_admin(ctx)
    unit = get_owned(Unit, ctx, unit_id, for_update=True)
    before = _summary(unit)
    unit.name = _name(name)
    db.session.flush()
    record(ctx, "unit.renamed", "unit", unit.id, before=before, after=_summary(unit))
    return unit


def set_unit_active(ctx: Context, unit_id: object, active: bool) -> Unit:
    """Deactivate (or reactivate) a unit: a deactivated unit offers no task to its members."""
    require_tenant_admin(ctx)
    unit = get_owned(Unit, ctx, unit_id, for_update=True)
    if unit.active == active:
        return unit
    before = _summary(unit)
    unit.active = active
    db.session.flush()
    record(ctx, "unit.activated" if active else "unit.deactivated", "unit", unit.id, before=before,
           after=_summary(unit))
    return unit


def add_member(ctx: Context, unit_id: object, user_id: int) -> None:
    """Make a user of the tenant a member of the unit (idempotent); anyone else is not found."""
    require_tenant_admin(ctx)
    unit = get_unit(ctx, unit_id)
    user = tenant_user(ctx, user_id)
    exists = db.session.execute(
        select(func.count()).select_from(UnitMember).where(UnitMember.unit_id == unit.id,
                                                           UnitMember.user_id == user.id)
    ).scalar_one()  # fmt: skip
    if exists:
        return
    db.session.add(UnitMember(tenant_id=ctx.tenant_id, unit_id=unit.id, user_id=user.id))
    db.session.flush()
    record(ctx, "unit.member_added", "unit", unit.id, after={"code": unit.code, "user": user.username})


def remove_member(ctx: Context, unit_id: object, user_id: int) -> None:
    """Take a user out of the unit (nothing happens if they were not in it)."""
    require_tenant_admin(ctx)
    unit = get_unit(ctx, unit_id)
    membership = db.session.execute(
        select(UnitMember).where(UnitMember.unit_id == unit.id, UnitMember.user_id == user_id,
                                 UnitMember.tenant_id == ctx.tenant_id)
    ).scalar_one_or_none()  # fmt: skip
    if membership is None:
        return
    user = db.session.get(User, user_id)
    db.session.delete(membership)
    db.session.flush()
    record(ctx, "unit.member_removed", "unit", unit.id,
           before={"code": unit.code, "user": user.username if user else user_id})


def require_unit(tenant_id: int, code: str) -> Unit:
    """The tenant's active unit ``code``, or NotFound with a sentence naming it."""
    unit = find_unit(tenant_id, code)
    if unit is None or not unit.active:
        raise NotFound(_l("The unit %(code)s does not exist in this municipality (or is deactivated).", code=code),
                       field="unit")
    return unit
