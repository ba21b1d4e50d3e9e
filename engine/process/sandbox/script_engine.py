"""The script engine an instance of a tenant runs with: sandboxed, with the tenant's calendar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.process.sandbox.runner import CalendarConfig, SandboxedScriptEngine

if TYPE_CHECKING:
    from engine.tenancy.models import Tenant


def calendar_config_for(tenant: Tenant | None) -> CalendarConfig:
    """What the sandbox child needs to build the tenant's calendar (it never reads the database)."""
    if tenant is None:
        return CalendarConfig()
    return CalendarConfig(local_holidays=tuple(tenant.holiday_dates()), aran=bool(tenant.aran))


def script_engine_for(tenant: Tenant | None) -> SandboxedScriptEngine:
    """A SpiffWorkflow script engine that runs scripts, conditions, DMN cells and timer
    expressions in the sandbox, with the helper library bound to ``tenant``'s calendar.

    Cheap to create: the sandbox child processes are shared per thread, not per engine.
    """
    return SandboxedScriptEngine(calendar_config_for(tenant))


__all__ = ["calendar_config_for", "script_engine_for"]
