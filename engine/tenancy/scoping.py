"""Tenant-scoped access: every query for tenant-owned rows goes through here.

A row of another tenant is reported as *not found* — never as forbidden — so ids of one
municipality reveal nothing to another.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select

from engine.base.context import Context
from engine.base.db import db
from engine.base.errors import NotFound
from engine.base.i18n import _l

M = TypeVar("M")


def scoped(model: type[M], ctx: Context) -> Select[M]:
    """``SELECT model WHERE tenant_id = ctx.tenant_id``."""
    return select(model).where(model.tenant_id == ctx.tenant_id)  # type: ignore[attr-defined]


def get_owned(model: type[M], ctx: Context, ident: Any, *, for_update: bool = False) -> M:
    """The row with this id in the context's tenant, or :class:`NotFound`."""
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        raise NotFound(_l("Not found.")) from None
    stmt = scoped(model, ctx).where(model.id == ident)  # type: ignore[attr-defined]
    if for_update:
        stmt = stmt.with_for_update()
    row = db.session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(_l("Not found."))
    return row
