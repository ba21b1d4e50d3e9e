"""The explicit context every engine service receives: which tenant, which acting user."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Context:
    tenant_id: int
    user_id: int | None
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    locale: str = "ca"
    #: Set for the provincial service's platform administrators.
    platform_admin: bool = False

    @classmethod
    def system(cls, tenant_id: int, reason: str = "system") -> Context:
        """A context for work the platform does by itself (timers, workers, demo loading)."""
        return cls(tenant_id=tenant_id, user_id=None, username=reason, roles=frozenset({"system"}))

    def has_role(self, role: str) -> bool:
        return role in self.roles or "system" in self.roles
