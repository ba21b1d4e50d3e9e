"""Who may move expedients in and out of the system in ENI format."""

from __future__ import annotations

from engine.base.context import Context
from engine.base.errors import Forbidden
from engine.base.i18n import _l

#: Clerks, the secretary, the mayor and the tenant admin exchange expedients with other bodies.
ENI_ROLES = ("tramitador", "secretari", "alcalde", "admin")


def require_eni_role(ctx: Context) -> None:
    if not (set(ENI_ROLES) & set(ctx.roles) or ctx.has_role("system")):
        raise Forbidden(_l("You do not have permission to do this."))
