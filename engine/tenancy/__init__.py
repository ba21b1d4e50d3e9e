"""Tenants (ens locals), users, and the roles a user holds in each tenant."""

from engine.tenancy.models import ROLES, Membership, Role, Tenant, User

__all__ = ["ROLES", "Membership", "Role", "Tenant", "User"]
