"""Tenant-scoped access: every query for tenant-owned rows goes through here.

A row of another tenant is reported as *not found* — never as forbidden — so ids of one
municipality reveal nothing to another.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, literal_column, select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound
from engine.base.i18n import _l

M = TypeVar("M")


def scoped(model: type[M], ctx: Context) -> Select[M]:
    """``SELECT model WHERE tenant_id = ctx.tenant_id``."""
    return select(model).where(model.tenant_id == ctx.tenant_id)  # type: ignore[attr-defined]


def owned_by(tenant_column: Any, tenant_id: Any) -> ColumnElement[bool]:
    """The tenant condition of a lookup by primary key: checked on the row found, never used to
    search. PostgreSQL's statistics know nothing of a tenant younger than the last ``ANALYZE``,
    so it reckons the tenant has no rows and, given ``tenant_id = :t``, walks the tenant's index
    instead of the primary key: a cost that grows with the tenant until the statistics catch up.
    An expression (``tenant_id + 0``) is no index's key, so the row is found by its id."""
    return (tenant_column + literal_column("0")) == tenant_id


def by_id(model: type[M], ctx: Context, ident: Any) -> Select[M]:
    """``SELECT model WHERE id = ident`` of the context's tenant, found by the primary key (see :func:`owned_by`)."""
    return select(model).where(model.id == ident, owned_by(model.tenant_id, ctx.tenant_id))  # type: ignore[attr-defined]


def get_owned(model: type[M], ctx: Context, ident: Any, *, for_update: bool = False) -> M:
    """The row with this id in the context's tenant, or :class:`NotFound`."""
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        raise NotFound(_l("Not found.")) from None
    stmt = by_id(model, ctx, ident)
    if for_update:
        stmt = stmt.with_for_update()
    row = db.session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(_l("Not found."))
    return row
